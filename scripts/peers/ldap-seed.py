#!/usr/bin/env python3
"""Writes the LDIF that scripts/peers/slapd loads into its directory (dc=example,dc=com).

  ldap-seed.py                      the scenario the integration tests read (below)
  ldap-seed.py --users N --groups G a population for benchmarks: N users, G groups nested in
                                    three levels (every group of the second level holds five of the
                                    first, every group of the third holds two of the second), each
                                    user a direct member of three first-level groups

The scenario, under ou=people and ou=groups:
  ada   Ada Lovelace, member of platform; platform is in admins, and platform and ops hold each
        other (a cycle), so ada is in admins, platform and ops
  bob   locked by an administrator (pwdAccountLockedTime 000001010000Z): a leaver
  cy    locked after failed binds (a time): not a leaver
  dee   member of ops
  eve   member of legacy (groupOfUniqueNames, uniqueMember with a unique identifier)
and cn=rolesync,ou=services,dc=example,dc=com, the account RoleSync binds as.
"""
import argparse
import hashlib
import uuid

BASE = "dc=example,dc=com"
SERVICE_PASSWORD = "rolesync-ldap-pw"


def header():
    return [
        f"dn: {BASE}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
        f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: cn=rolesync,ou=services,{BASE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: rolesync\nuserPassword: {SERVICE_PASSWORD}\n",
    ]


def person(uid, name, mail=None, extra=()):
    given, _, family = name.partition(" ")
    lines = [
        f"dn: uid={uid},ou=people,{BASE}",
        "objectClass: inetOrgPerson",
        f"uid: {uid}",
        f"cn: {name}",
        f"sn: {family or given}",
    ]
    # slapadd does not make entryUUID for an entry that has none: a stable one from the uid.
    lines.append(f"entryUUID: {uuid.UUID(hashlib.sha1(uid.encode()).hexdigest()[:32])}")
    if mail:
        lines.append(f"mail: {mail}")
    lines.extend(extra)
    return "\n".join(lines) + "\n"


def group(cn, members, unique=False):
    kind, attribute = ("groupOfUniqueNames", "uniqueMember") if unique else ("groupOfNames", "member")
    lines = [f"dn: cn={cn},ou=groups,{BASE}", f"objectClass: {kind}", f"cn: {cn}"]
    lines += [f"{attribute}: {member}" for member in members]
    return "\n".join(lines) + "\n"


def scenario():
    people = lambda uid: f"uid={uid},ou=people,{BASE}"
    groups = lambda cn: f"cn={cn},ou=groups,{BASE}"
    return header() + [
        person("ada", "Ada Lovelace", "ada@example.com", ["title: Engineer"]),
        person("bob", "Bob Builder", "bob@example.com", ["pwdAccountLockedTime: 000001010000Z"]),
        person("cy", "Cy Young", "cy@example.com", ["pwdAccountLockedTime: 20261207031500Z"]),
        person("dee", "Dee Dee", "dee@example.com"),
        person("eve", "Eve Adams", "eve@example.com"),
        group("admins", [groups("platform")]),
        group("platform", [people("ada"), groups("ops")]),
        group("ops", [people("dee"), groups("platform")]),
        group("legacy", [people("eve") + "#'0101'B"], unique=True),
    ]


def population(users, groups):
    entries = header()
    first = max(1, groups * 10 // 13)
    second = max(1, (groups - first) * 2 // 3)
    third = max(0, groups - first - second)
    members = {index: [] for index in range(first)}
    for index in range(users):
        uid = f"user{index:06d}"
        entries.append(person(uid, f"User {index:06d}", f"{uid}@example.com"))
        for k in range(3):
            members[(index * 3 + k * 7) % first].append(f"uid={uid},ou=people,{BASE}")
    for index in range(first):
        entries.append(group(f"team{index:05d}", members[index] or [f"cn=rolesync,ou=services,{BASE}"]))
    for index in range(second):
        held = [f"cn=team{(index * 5 + k) % first:05d},ou=groups,{BASE}" for k in range(5)]
        entries.append(group(f"department{index:05d}", held))
    for index in range(third):
        held = [f"cn=department{(index * 2 + k) % second:05d},ou=groups,{BASE}" for k in range(2)]
        entries.append(group(f"division{index:05d}", held))
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int)
    parser.add_argument("--groups", type=int, default=0)
    args = parser.parse_args()
    entries = population(args.users, args.groups) if args.users else scenario()
    print("\n".join(entries))


if __name__ == "__main__":
    main()
