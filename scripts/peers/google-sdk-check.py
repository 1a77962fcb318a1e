#!/usr/bin/env python3
"""Proves scripts/peers/google-fake.py speaks Google's Admin SDK Directory API: Google's own Python
client (google-api-python-client 2.202.0, its bundled directory_v1 discovery document, and
google-auth's service account credentials with domain-wide delegation) signs in with the fake's
key and lists users, groups and members (derived ones too) from it, page by page.

    google-sdk-check.py URL KEYFILE
"""
import json
import sys
import urllib.request

from google.oauth2 import service_account
from googleapiclient.discovery import build

SCOPES = ["https://www.googleapis.com/auth/admin.directory.user.readonly",
          "https://www.googleapis.com/auth/admin.directory.group.readonly"]


def seed(root):
    users = [{"id": f"1{n:05d}", "primaryEmail": f"user{n}@example.com", "suspended": n % 40 == 0} for n in range(1, 301)]
    groups = [{"id": f"g{g:02d}", "email": f"team-{g}@example.com", "name": f"Team {g}",
               "members": [u["id"] for i, u in enumerate(users) if i % 6 == g]} for g in range(6)]
    groups.append({"id": "gALL", "email": "all@example.com", "name": "All", "members": [f"g{g:02d}" for g in range(6)]})
    body = json.dumps({"users": users, "groups": groups, "rate_limited": 0, "failing": None,
                       "administrators": ["admin@example.com"]}).encode()
    request = urllib.request.Request(f"{root}/__fake/state", data=body, method="PUT",
                                     headers={"Authorization": "Bearer local-google-fake-admin", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
    return users, groups


def every(method, field, **arguments):
    items, pages = [], 0
    request = method.list(**arguments)
    while request is not None:
        page = request.execute()
        items.extend(page.get(field, []))
        pages += 1
        request = method.list_next(request, page)
    return items, pages


def main(root, keyfile):
    users, groups = seed(root)
    credentials = service_account.Credentials.from_service_account_file(keyfile, scopes=SCOPES, subject="admin@example.com")
    service = build("admin", "directory_v1", credentials=credentials, client_options={"api_endpoint": root},
                    static_discovery=True, cache_discovery=False)
    listed, pages = every(service.users(), "users", customer="my_customer", maxResults=40)
    if sorted(u["id"] for u in listed) != sorted(u["id"] for u in users):
        raise SystemExit(f"google-sdk-check: users.list gave {len(listed)} users, the fake holds {len(users)}")
    if pages < 2:
        raise SystemExit("google-sdk-check: users.list never followed nextPageToken")
    if sorted(u["id"] for u in listed if u["suspended"]) != sorted(u["id"] for u in users if u["suspended"]):
        raise SystemExit("google-sdk-check: suspended read wrong")
    listed_groups, _ = every(service.groups(), "groups", customer="my_customer", maxResults=3)
    if sorted(g["id"] for g in listed_groups) != sorted(g["id"] for g in groups):
        raise SystemExit("google-sdk-check: groups.list differs from the fake's groups")
    derived, _ = every(service.members(), "members", groupKey="gALL", includeDerivedMembership=True, maxResults=50)
    people = sorted(m["id"] for m in derived if m["type"] == "USER")
    if people != sorted(u["id"] for u in users):
        raise SystemExit(f"google-sdk-check: derived members of a nested group gave {len(people)} users")
    print(f"google-sdk-check: google-api-python-client listed {len(listed)} users in {pages} pages, {len(listed_groups)} groups "
          f"and {len(people)} derived members through nested groups from {root}, signed in with a service account")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
