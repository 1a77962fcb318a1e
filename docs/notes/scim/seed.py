#!/usr/bin/env python3
"""Seed a SCIM server (e.g. scim2-server) with users and groups. Stdlib only.
usage: seed.py BASE_URL [TOKEN]    e.g. seed.py http://127.0.0.1:18080/v2 s3cret
Prints {"users": {userName: id}, "groups": {displayName: id}} as JSON."""
import json, sys, urllib.request
base, token = sys.argv[1].rstrip("/"), (sys.argv[2] if len(sys.argv) > 2 else None)
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/scim+json", "Accept": "application/scim+json",
                 **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None
U = "urn:ietf:params:scim:schemas:core:2.0:User"; G = "urn:ietf:params:scim:schemas:core:2.0:Group"
users = {}
for name, given, family, active in [("alice", "Alice", "Smith", True), ("bob", "Bob", "Jones", True),
                                    ("carol", "Carol", "White", False)]:
    u = call("POST", "/Users", {"schemas": [U], "userName": name, "externalId": f"ext-{name}",
        "name": {"givenName": given, "familyName": family}, "displayName": f"{given} {family}",
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}], "active": active})
    users[name] = u["id"]
groups = {}
for gname, members in [("Engineering", ["alice", "bob"]), ("Admins", ["alice"]), ("Empty", [])]:
    g = call("POST", "/Groups", {"schemas": [G], "displayName": gname, "externalId": f"ext-{gname.lower()}",
        "members": [{"value": users[m], "$ref": f"{base}/Users/{users[m]}", "type": "User", "display": m}
                    for m in members]})
    groups[gname] = g["id"]
print(json.dumps({"users": users, "groups": groups}))
