#!/usr/bin/env python3
"""Okta's own Python SDK (okta 3.4.6) lists users, groups and group members from the Okta fake,
page by page: the proof that scripts/peers/okta-fake.py speaks the API Okta documents, so what
RoleSync reads from the fake is what it would read from Okta.

    .venv/bin/python scripts/peers/okta-sdk-check.py http://127.0.0.1:18095 local-okta-api-token

Seeds the fake (its state is replaced), then checks what the SDK sees against what was seeded.
Exits non-zero, saying what differs, on any mismatch.
"""
import asyncio
import json
import os
import sys
import urllib.request

from okta.client import Client as OktaClient
from okta.pagination import PaginationHelper


def seed(org, token):
    users = [{"id": f"00u{n:04d}", "login": f"user{n}@example.com", "status": "SUSPENDED" if n % 50 == 0 else "ACTIVE"}
             for n in range(1, 251)]
    users.append({"id": "00u9999", "login": "gone@example.com", "status": "DEPROVISIONED", "lastUpdated": "2026-12-05T10:00:00.000Z"})
    users[2]["lastUpdated"] = "2026-12-05T09:00:00.000Z"
    groups = [{"id": f"00g{g:03d}", "name": f"team-{g}", "members": [u["id"] for i, u in enumerate(users) if i % 7 == g]}
              for g in range(7)]
    groups.append({"id": "00gEVERY", "name": "Everyone", "type": "BUILT_IN", "members": [u["id"] for u in users]})
    body = json.dumps({"users": users, "groups": groups, "rate_limit": 600, "too_many_requests": 0}).encode()
    request = urllib.request.Request(f"{org}/__fake/state", data=body, method="PUT",
                                     headers={"Authorization": f"SSWS {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
    return users, groups


async def all_pages(call, **arguments):
    """Every page of a list, as the SDK pages it: the `after` cursor of the `Link: rel="next"`
    header (okta.pagination.PaginationHelper), passed back to the same call."""
    items, pages, after = [], 0, None
    while True:
        page, response, error = await call(**arguments, **({"after": after} if after else {}))
        if error:
            raise SystemExit(f"okta-sdk-check: the SDK reported {error} on page {pages + 1}")
        items.extend(page or [])
        pages += 1
        after = PaginationHelper.extract_next_cursor(response.headers)
        if not after:
            return items, pages


async def main(org, token):
    users, groups = seed(org, token)
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    client = OktaClient({"orgUrl": org, "token": token, "testing": {"testingDisableHttpsCheck": True}})
    listed, pages = await all_pages(client.list_users, limit=40)
    want = sorted(u["id"] for u in users if u["status"] != "DEPROVISIONED")
    got = sorted(u.id for u in listed)
    if got != want:
        raise SystemExit(f"okta-sdk-check: list_users gave {len(got)} users, the fake holds {len(want)} listable")
    if pages < 2:
        raise SystemExit("okta-sdk-check: list_users never followed a rel=next link")
    suspended = sorted(u.id for u in listed if str(u.status.value if hasattr(u.status, "value") else u.status) == "SUSPENDED")
    if suspended != sorted(u["id"] for u in users if u["status"] == "SUSPENDED"):
        raise SystemExit(f"okta-sdk-check: the SDK read statuses wrong: {suspended}")
    logins = {u.id: u.profile.login for u in listed}
    if logins["00u0001"] != "user1@example.com":
        raise SystemExit(f"okta-sdk-check: profile.login read as {logins['00u0001']!r}")
    listed_groups, _ = await all_pages(client.list_groups, limit=3)
    if sorted(g.id for g in listed_groups) != sorted(g["id"] for g in groups):
        raise SystemExit("okta-sdk-check: list_groups differs from the fake's groups")
    for group in groups:
        members, _ = await all_pages(client.list_group_users, group_id=group["id"], limit=25)
        got, want = sorted(m.id for m in members), sorted(group["members"])
        if got != want:
            raise SystemExit(f"okta-sdk-check: list_group_users({group['id']}) gave {len(got)}, the fake holds {len(want)}")
    # RoleSync's incremental listing: the users stamped since a time (deprovisioned ones too), and
    # each one's groups.
    changed, _ = await all_pages(client.list_users, filter='lastUpdated gt "2026-12-01T00:00:00.000Z"', limit=40)
    if sorted(u.id for u in changed) != ["00u0003", "00u9999"]:
        raise SystemExit(f"okta-sdk-check: list_users(filter=lastUpdated gt …) gave {sorted(u.id for u in changed)}")
    mine, _ = await all_pages(client.list_user_groups, id="00u0003")
    if sorted(g.id for g in mine) != sorted(g["id"] for g in groups if "00u0003" in g["members"]):
        raise SystemExit(f"okta-sdk-check: list_user_groups(00u0003) gave {sorted(g.id for g in mine)}")
    print(f"okta-sdk-check: okta {__import__('okta').__version__} listed {len(listed)} users in {pages} pages, "
          f"{len(listed_groups)} groups and their members from {org}; users changed since a time and a user's groups")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
