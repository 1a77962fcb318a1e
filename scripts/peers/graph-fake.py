#!/usr/bin/env python3
"""A scenario fake of Microsoft Graph and an Entra ID tenant's token endpoint, for RoleSync's
integration checks.

Entra ID has no server to run here, so this one answers what RoleSync's `kind: microsoft_graph`
reads, as Microsoft documents it, and `scripts/peers/graph-sdk-check.py` proves that Microsoft's
own Python SDK (msgraph-sdk 1.65.0) lists users, groups and transitive members from it:

- POST /{tenant}/oauth2/v2.0/token: the client credentials grant (client_id, client_secret,
  scope {root}/.default); `invalid_client` with AADSTS7000215 for a wrong secret. Or, instead of
  the secret, a certificate credential: a `client_assertion` (PS256 or RS256, `x5t#S256` the
  SHA-256 thumbprint of the certificate in the file named by the fourth argument, `aud` the token
  endpoint, `iss` = `sub` = the client id, unexpired), checked with PyJWT; AADSTS700027 for an
  unknown certificate or a bad signature.
- GET /v1.0/users, /v1.0/groups, /v1.0/groups/{id}/transitiveMembers: `{"value": [...]}` pages of at
  most `$top` (default 100, most 999), `$select` honoured, an absolute `@odata.nextLink` with a
  `$skiptoken`; nested groups expanded, cycles ended; members typed by `@odata.type`.
- GET /v1.0/users/{id} (`$select` honoured) and /v1.0/users/{id}/transitiveMemberOf (its groups,
  nested ones included, and a directory role, as Entra lists them).
- Delta queries, GET /v1.0/users/delta and /v1.0/groups/delta: `$deltatoken=latest` answers no
  items and an `@odata.deltaLink`; a delta token answers what changed since it, minimal (a user's
  `id`, or `@removed`; a group's `displayName` when it was created or renamed, `members@delta`
  with `@removed` for members who left, or the group `@removed`), paged, ending with a new
  `@odata.deltaLink`. The changes are the differences each PUT /__fake/state makes to the users
  and groups. A forgotten token answers 410 `syncStateNotFound`.
- `Authorization: Bearer <a token it issued>`, else 401 InvalidAuthenticationToken.

Scenarios are set through PUT /__fake/state (with `Authorization: Bearer <client secret>`), a JSON
object with any of: `users` (id, userPrincipalName, accountEnabled, department), `groups` (id,
displayName, members: user and group ids), `throttle` (answer 429 with `Retry-After: retry_after`
to this many Graph requests), `retry_after`, `failing` ({"text": ..., "status": ...}),
`next_origin`, `forget_delta_tokens` (true: every delta token issued so far is forgotten).

    graph-fake.py PORT CLIENT_ID CLIENT_SECRET CERTIFICATE_FILE
"""
import base64
import hashlib
import json
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

LOCK = threading.Lock()
STATE = {"users": [], "groups": [], "throttle": 0, "retry_after": "1", "failing": None, "next_origin": None}
TOKENS = set()
# What the delta queries report: the changes each state update made, in order. A delta token is a
# position in it; tokens below FORGOTTEN[0] are forgotten.
LOG = []
FORGOTTEN = [0]


def log_changes(old_users, new_users, old_groups, new_groups):
    before = {u["id"]: u for u in old_users}
    after = {u["id"]: u for u in new_users}
    for uid in sorted(after):
        if before.get(uid) != after[uid]:
            LOG.append(("user", uid))
    for uid in sorted(set(before) - set(after)):
        LOG.append(("user_removed", uid))
    old = {g["id"]: g for g in old_groups}
    new = {g["id"]: g for g in new_groups}
    for gid in sorted(new):
        group = new[gid]
        if gid not in old or old[gid]["displayName"] != group["displayName"]:
            LOG.append(("group", gid))
        previous = set(old[gid]["members"]) if gid in old else set()
        for member in sorted(set(group["members"]) - previous):
            LOG.append(("member", gid, member, False))
        for member in sorted(previous - set(group["members"])):
            LOG.append(("member", gid, member, True))
    for gid in sorted(set(old) - set(new)):
        LOG.append(("group_removed", gid))


def user_delta(changes):
    order, removed = [], {}
    for change in changes:
        if change[0] in ("user", "user_removed"):
            if change[1] not in removed:
                order.append(change[1])
            removed[change[1]] = change[0] == "user_removed"
    return [{"id": uid, "@removed": {"reason": "deleted"}} if removed[uid] else {"id": uid} for uid in order]


def group_delta(changes):
    order, items = [], {}
    groups = {g["id"] for g in STATE["groups"]}
    names = {g["id"]: g["displayName"] for g in STATE["groups"]}
    for change in changes:
        gid = change[1]
        if gid not in items:
            order.append(gid)
            items[gid] = {"id": gid}
        if change[0] == "group":
            items[gid]["displayName"] = names.get(gid, gid)
        elif change[0] == "group_removed":
            items[gid] = {"id": gid, "@removed": {"reason": "deleted"}}
        elif change[0] == "member":
            member = {"@odata.type": "#microsoft.graph.group" if change[2] in groups else "#microsoft.graph.user", "id": change[2]}
            if change[3]:
                member["@removed"] = {"reason": "deleted"}
            items[gid].setdefault("members@delta", []).append(member)
    return [items[gid] for gid in order]


def transitive(group_id):
    groups = {g["id"]: g for g in STATE["groups"]}
    seen, result, stack = {group_id}, [], [group_id]
    while stack:
        group = groups.get(stack.pop())
        if not group:
            continue
        for member in group["members"]:
            if member in seen:
                continue
            seen.add(member)
            result.append(member)
            if member in groups:
                stack.append(member)
    return sorted(result)


def user_json(user, select):
    name = user["userPrincipalName"].split("@")[0].capitalize()
    body = {
        "id": user["id"], "userPrincipalName": user["userPrincipalName"], "displayName": user.get("displayName", name),
        "mail": user.get("mail", user["userPrincipalName"]), "accountEnabled": user.get("accountEnabled", True),
        "department": user.get("department"), "givenName": None, "surname": None,
    }
    return {k: v for k, v in body.items() if not select or k in select}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    client_id = ""
    client_secret = ""

    def log_message(self, *args):
        pass

    @property
    def root(self):
        return f"http://{self.headers.get('Host', '127.0.0.1')}"

    def send_json(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def graph_error(self, status, code, message, headers=()):
        self.send_json(status, {"error": {"code": code, "message": message,
                                          "innerError": {"date": "2026-12-06T10:00:00", "request-id": secrets.token_hex(8)}}}, headers)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_PUT(self):
        if self.path != "/__fake/state" or self.headers.get("Authorization") != f"Bearer {Handler.client_secret}":
            return self.graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        update = json.loads(self.read_body() or b"{}")
        with LOCK:
            log_changes(STATE["users"], update.get("users", STATE["users"]), STATE["groups"], update.get("groups", STATE["groups"]))
            if update.get("forget_delta_tokens"):
                FORGOTTEN[0] = len(LOG) + 1
            for key in ("users", "groups", "throttle", "retry_after", "failing", "next_origin"):
                if key in update:
                    STATE[key] = update[key]
        self.send_json(200, {"ok": True})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if not path.endswith("/oauth2/v2.0/token"):
            return self.graph_error(405, "Request_BadRequest", "Unsupported method")
        form = dict(urllib.parse.parse_qsl(self.read_body().decode()))
        if form.get("grant_type") != "client_credentials" or not form.get("scope", "").endswith("/.default"):
            return self.send_json(400, {"error": "invalid_request", "error_description": "AADSTS900144: The request body must contain the following parameter: 'grant_type'."})
        if form.get("client_id") != Handler.client_id:
            return self.send_json(400, {"error": "unauthorized_client", "error_description": f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not found in the directory."})
        if "client_assertion" in form:
            problem = self.assertion_problem(form, f"http://{self.headers.get('Host', '127.0.0.1')}{path}")
            if problem:
                return self.send_json(401, {"error": "invalid_client", "error_description": problem})
        elif form.get("client_secret") != Handler.client_secret:
            return self.send_json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0"})
        token = secrets.token_urlsafe(24)
        with LOCK:
            TOKENS.add(token)
        self.send_json(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    def assertion_problem(self, form, endpoint):
        """Why a certificate credential's assertion is refused, in Entra's words; None when it is good."""
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return "AADSTS50027: JWT token is invalid or malformed."
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return "AADSTS50027: JWT token is invalid or malformed."
        if header.get("x5t#S256") != Handler.thumbprint:
            return "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
        try:
            claims = jwt.decode(assertion, Handler.certificate.public_key(), algorithms=["PS256", "RS256"], audience=endpoint,
                                options={"require": ["exp", "nbf", "iss", "sub", "aud", "jti"]})
        except jwt.InvalidSignatureError:
            return "AADSTS700027: Client assertion failed signature validation."
        except jwt.PyJWTError as error:
            return f"AADSTS700024: Client assertion is not within its valid time range, or names another audience. ({type(error).__name__})"
        if claims["iss"] != Handler.client_id or claims["sub"] != Handler.client_id:
            return "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter."
        return None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        authorization = self.headers.get("Authorization", "")
        with LOCK:
            if not authorization.startswith("Bearer ") or authorization[7:] not in TOKENS:
                return self.graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            if STATE["throttle"] > 0:
                STATE["throttle"] -= 1
                return self.graph_error(429, "TooManyRequests", "Too many requests.", [("Retry-After", str(STATE["retry_after"]))])
            failing = STATE["failing"]
            if failing and failing["text"] in urllib.parse.unquote(self.path):
                return self.graph_error(failing["status"], "generalException", "An error occurred.")
            query = dict(urllib.parse.parse_qsl(url.query))
            top = min(int(query.get("$top", "100")), 999)
            skip = int(query.get("$skiptoken", "0"))
            select = set(query["$select"].split(",")) if "$select" in query else None
            parts = url.path.split("/")
            delta_end = None
            if url.path in ("/v1.0/users/delta", "/v1.0/groups/delta"):
                token = query.get("$deltatoken")
                if token is None:
                    return self.graph_error(400, "Request_BadRequest", "This fake serves delta queries from a $deltatoken only.")
                if token == "latest":
                    items = []
                else:
                    if not token.isdigit() or int(token) < FORGOTTEN[0] or int(token) > len(LOG):
                        return self.graph_error(410, "syncStateNotFound", "The specified sync state is invalid or expired. Restart the sync.")
                    changes = LOG[int(token):]
                    items = user_delta(changes) if url.path == "/v1.0/users/delta" else group_delta(changes)
                delta_end = len(LOG)
                context = "users" if url.path == "/v1.0/users/delta" else "groups"
            elif len(parts) == 5 and parts[1:3] == ["v1.0", "users"] and parts[4] == "transitiveMemberOf":
                if not any(u["id"] == parts[3] for u in STATE["users"]):
                    return self.graph_error(404, "Request_ResourceNotFound", f"Resource '{parts[3]}' does not exist.")
                items = [{"@odata.type": "#microsoft.graph.group", "id": g["id"], "displayName": g["displayName"]}
                         for g in sorted(STATE["groups"], key=lambda g: g["id"]) if parts[3] in transitive(g["id"])]
                items.append({"@odata.type": "#microsoft.graph.directoryRole", "id": f"role-{parts[3]}", "displayName": "Directory Readers"})
                context = "directoryObjects"
            elif len(parts) == 4 and parts[1:3] == ["v1.0", "users"] and parts[3] not in ("delta",):
                user = next((u for u in STATE["users"] if u["id"] == parts[3]), None)
                if user is None:
                    return self.graph_error(404, "Request_ResourceNotFound", f"Resource '{parts[3]}' does not exist.")
                return self.send_json(200, user_json(user, select))
            elif url.path == "/v1.0/users":
                items = [user_json(u, select) for u in sorted(STATE["users"], key=lambda u: u["id"])]
                context = "users"
            elif url.path == "/v1.0/groups":
                items = [{"id": g["id"], "displayName": g["displayName"]} for g in sorted(STATE["groups"], key=lambda g: g["id"])]
                context = "groups"
            elif len(parts) == 5 and parts[1:3] == ["v1.0", "groups"] and parts[4] == "transitiveMembers":
                if not any(g["id"] == parts[3] for g in STATE["groups"]):
                    return self.graph_error(404, "Request_ResourceNotFound", f"Resource '{parts[3]}' does not exist.")
                users = {u["id"] for u in STATE["users"]}
                items = [{"@odata.type": "#microsoft.graph.user" if m in users else "#microsoft.graph.group", "id": m}
                         for m in transitive(parts[3])]
                context = "directoryObjects"
            else:
                return self.graph_error(400, "Request_BadRequest", f"Unsupported resource: {url.path}")
            page = items[skip:skip + top]
            body = {"@odata.context": f"{self.root}/v1.0/$metadata#{context}", "value": page}
            if skip + top < len(items):
                next_query = {k: v for k, v in query.items() if k != "$skiptoken"}
                next_query["$skiptoken"] = str(skip + top)
                base = STATE["next_origin"] or self.root
                body["@odata.nextLink"] = f"{base}{url.path}?{urllib.parse.urlencode(next_query, safe='$,')}"
            elif delta_end is not None:
                body["@odata.deltaLink"] = f"{self.root}{url.path}?{urllib.parse.urlencode({'$deltatoken': str(delta_end)}, safe='$')}"
            return self.send_json(200, body)


def main():
    port, Handler.client_id, Handler.client_secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(sys.argv[4], "rb") as certificate:
        Handler.certificate = x509.load_pem_x509_certificate(certificate.read())
    der = Handler.certificate.public_bytes(serialization.Encoding.DER)
    Handler.thumbprint = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
