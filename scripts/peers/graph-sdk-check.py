#!/usr/bin/env python3
"""Microsoft's own Python SDK for Graph (msgraph-sdk 1.65.0) lists users, groups and every group's
transitive members from the Graph fake, page by page: the proof that scripts/peers/graph-fake.py
speaks Graph's API as Microsoft documents it, so what RoleSync reads from the fake is what it would
read from Graph.

    .venv/bin/python scripts/peers/graph-sdk-check.py http://127.0.0.1:18096 local-graph-app local-graph-secret

The token comes from the fake's token endpoint (client credentials, as RoleSync asks for it),
handed to the SDK through an azure-core credential: azure-identity itself only signs in at
login.microsoftonline.com over https. Seeds the fake (its state is replaced), then checks what the
SDK sees against what was seeded; exits non-zero, saying what differs, on any mismatch.
"""
import asyncio
import json
import sys
import time
import urllib.parse
import urllib.request

from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.user import User
from msgraph.generated.users.users_request_builder import UsersRequestBuilder


class TenantCredential:
    """An azure-core async TokenCredential over the fake tenant's token endpoint."""

    def __init__(self, root, client_id, secret):
        self.root, self.client_id, self.secret = root, client_id, secret

    async def get_token(self, *scopes, **kwargs):
        form = urllib.parse.urlencode({"client_id": self.client_id, "client_secret": self.secret,
                                       "scope": " ".join(scopes), "grant_type": "client_credentials"}).encode()
        answer = json.loads(urllib.request.urlopen(f"{self.root}/fake-tenant/oauth2/v2.0/token", data=form).read())
        return AccessToken(answer["access_token"], int(time.time()) + int(answer["expires_in"]))

    async def close(self):
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *args):
        pass


def seed(root, secret):
    users = [{"id": f"u{n:04d}", "userPrincipalName": f"user{n}@contoso.example", "accountEnabled": n % 40 != 0}
             for n in range(1, 301)]
    groups = [{"id": f"g{g:02d}", "displayName": f"team-{g}", "members": [u["id"] for i, u in enumerate(users) if i % 6 == g]}
              for g in range(6)]
    groups.append({"id": "gALL", "displayName": "All", "members": [f"g{g:02d}" for g in range(6)]})
    groups.append({"id": "gLOOP", "displayName": "Loop", "members": ["gALL", "gLOOP"]})
    body = json.dumps({"users": users, "groups": groups, "throttle": 0, "failing": None, "next_origin": None}).encode()
    request = urllib.request.Request(f"{root}/__fake/state", data=body, method="PUT",
                                     headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
    return users, groups


async def every_page(builder, first):
    page = await first
    items, pages = list(page.value or []), 1
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        items.extend(page.value or [])
        pages += 1
    return items, pages


async def main(root, client_id, secret):
    users, groups = seed(root, secret)
    host = urllib.parse.urlsplit(root).hostname
    provider = AzureIdentityAuthenticationProvider(TenantCredential(root, client_id, secret), scopes=[f"{root}/.default"],
                                                   allowed_hosts=[host])
    adapter = GraphRequestAdapter(provider)
    adapter.base_url = f"{root}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)

    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        select=["id", "displayName", "mail", "userPrincipalName", "accountEnabled"], top=50)
    listed, pages = await every_page(client.users, client.users.get(RequestConfiguration(query_parameters=query)))
    if sorted(u.id for u in listed) != sorted(u["id"] for u in users):
        raise SystemExit(f"graph-sdk-check: users.get gave {len(listed)} users, the fake holds {len(users)}")
    if pages < 2:
        raise SystemExit("graph-sdk-check: users.get never followed @odata.nextLink")
    disabled = sorted(u.id for u in listed if u.account_enabled is False)
    if disabled != sorted(u["id"] for u in users if not u["accountEnabled"]):
        raise SystemExit(f"graph-sdk-check: accountEnabled read wrong: {disabled}")
    listed_groups, _ = await every_page(client.groups, client.groups.get())
    if sorted(g.id for g in listed_groups) != sorted(g["id"] for g in groups):
        raise SystemExit("graph-sdk-check: groups.get differs from the fake's groups")
    members, _ = await every_page(client.groups.by_group_id("gLOOP").transitive_members,
                                  client.groups.by_group_id("gLOOP").transitive_members.get())
    people = sorted(m.id for m in members if isinstance(m, User))
    if people != sorted(u["id"] for u in users if any(u["id"] in g["members"] for g in groups[:6])):
        raise SystemExit(f"graph-sdk-check: transitive members of a nested loop gave {len(people)} users")
    # Delta queries, as RoleSync reads them: the present end ($deltatoken=latest), then a user
    # disabled, one deleted and one moved between groups, read back through the SDK's own models.
    users_end = (await client.users.delta.with_url(f"{root}/v1.0/users/delta?$deltatoken=latest").get()).odata_delta_link
    groups_end = (await client.groups.delta.with_url(f"{root}/v1.0/groups/delta?$deltatoken=latest").get()).odata_delta_link
    if not users_end or not groups_end:
        raise SystemExit("graph-sdk-check: $deltatoken=latest gave no @odata.deltaLink")
    changed = [dict(u) for u in users if u["id"] != "u0002"]
    changed[0]["accountEnabled"] = False
    moved = [dict(g, members=[m for m in g["members"] if m != "u0007"]) if g["id"] == "g00" else g for g in groups]
    body = json.dumps({"users": changed, "groups": moved}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{root}/__fake/state", data=body, method="PUT",
                                                  headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})).read()
    user_delta = await client.users.delta.with_url(users_end).get()
    named = sorted(u.id for u in user_delta.value or [])
    removed = sorted(u.id for u in user_delta.value or [] if "@removed" in (u.additional_data or {}))
    if named != ["u0001", "u0002"] or removed != ["u0002"] or not user_delta.odata_delta_link:
        raise SystemExit(f"graph-sdk-check: users delta gave {named}, removed {removed}")
    group_delta = await client.groups.delta.with_url(groups_end).get()
    left = [m for g in group_delta.value or [] for m in (g.additional_data or {}).get("members@delta", []) if "@removed" in m]
    if [m["id"] for m in left] != ["u0007"]:
        raise SystemExit(f"graph-sdk-check: groups delta gave members@delta {left}")
    print(f"graph-sdk-check: msgraph-sdk listed {len(listed)} users in {pages} pages, {len(listed_groups)} groups "
          f"and {len(people)} transitive members through nested groups from {root}; its delta queries read a disabled, "
          f"a deleted and a moved user")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
