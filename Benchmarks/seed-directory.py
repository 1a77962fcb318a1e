#!/usr/bin/env python3
"""Seeds a SCIM directory (scim2-server) with the benchmark population: users 0..N-1 shaped like
RoleSyncTestSupport's LedgerFixtures.claims(i) (externalId sub-i, userName person{i}@example.com)
and their groups (Everyone, team-0..299, finance, helpdesk, eng-0..6, platform-admins), with the
same 1% changed as ReconcileBenchmarks' in-memory directory (one in ten of them gone), through
/Bulk, 1,000 operations a request (users) and POST/PATCH (groups). Standard library only.

usage: Benchmarks/seed-directory.py BASE_URL TOKEN COUNT
"""
import json
import sys
import urllib.request

base, token, count = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
SURNAMES = ["Smith", "Jones", "Garcia", "Chen", "Okafor"]


def call(method, path, body):
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/scim+json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b"null")


def bulk(operations):
    for start in range(0, len(operations), 1000):
        answer = call("POST", "/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                                        "Operations": operations[start:start + 1000]})
        for result in answer["Operations"]:
            if not str(result.get("status", "")).startswith("2"):
                sys.exit(f"bulk operation failed: {result}")
        yield from answer["Operations"]


def groups_of(i):
    groups = ["Everyone", f"team-{i % 300}"]
    if i % 20 == 0:
        groups.append("finance")
    if i % 25 == 0:
        groups.append("helpdesk")
    if i % 3 != 0:
        groups.append(f"eng-{i % 7}")
    if i == 0:
        groups.append("platform-admins")
    if i % 100 == 42:
        if i % 200 == 42:
            groups.append("finance")
        else:
            groups = [g for g in groups if not g.startswith("eng-")] + ["sales"]
    return groups


people = [i for i in range(count) if i % 1000 != 42]


users = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": {
    "userName": f"person{i}@example.com", "externalId": f"sub-{i}", "active": True,
    "displayName": f"Person {i} {SURNAMES[i % 5]}",
    "emails": [{"value": f"person{i}@example.com", "primary": True}]}} for i in people]
ids = dict(zip(people, (result["location"].rstrip("/").rsplit("/", 1)[1] for result in bulk(users))))
members = {}
for i in people:
    for group in groups_of(i):
        members.setdefault(group, []).append({"value": ids[i]})
# Groups one by one (the largest lists every user: too big for one /Bulk payload), members added
# 2,000 a PATCH.
for name, listed in sorted(members.items()):
    group = call("POST", "/Groups", {"displayName": name, "members": listed[:2000]})
    for start in range(2000, len(listed), 2000):
        call("PATCH", f"/Groups/{group['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "add", "path": "members", "value": listed[start:start + 2000]}]})
print(f"seeded {len(people)} users and {len(members)} groups", file=sys.stderr)
