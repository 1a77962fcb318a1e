#!/usr/bin/env python3
"""A scenario fake of an Okta org's management API, for RoleSync's integration checks.

Okta has no server to run here, so this one answers what RoleSync's `kind: okta` reads, as Okta's
API reference documents it, and `scripts/peers/okta-sdk-check.py` proves that Okta's own Python
SDK (okta 3.4.6) lists users, groups and members from it:

- GET /api/v1/users, /api/v1/groups, /api/v1/groups/{id}/users: JSON arrays, at most `limit`
  (default and most 200) a page, ordered by id, paged by an `after` cursor (the last id of the
  page) with `Link: <...>; rel="self"` and `Link: <...>; rel="next"` as two header lines;
  deprovisioned users are left out of /api/v1/users, as Okta's default listing does.
- GET /api/v1/users?filter=lastUpdated gt "<time>": the users stamped after the time, every
  status (Okta's filter lists DEPROVISIONED users too); any other filter is 400 (E0000031).
- GET /api/v1/users/{id}: one user; GET /api/v1/users/{id}/groups: the user's groups.
- `Authorization: SSWS <token>` (or `SSWS<token>`, as Okta's SDK sends it), else 401 with Okta's
  error body (E0000011).
- `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` on every answer, per
  one-minute window; past the limit, 429 (E0000047).
- An API service app (OAuth 2.0 for Okta), client ID `0oa-rolesync-local`, whose private key it
  writes to the file named by its third argument: POST /oauth2/v1/token takes the client
  credentials grant with a `private_key_jwt` assertion (RS256, iss = sub = the client ID, aud = the
  org's token endpoint) for the scopes okta.users.read and okta.groups.read, and a DPoP proof
  (RFC 9449) when `require_dpop` is set, with the nonce `dpop_nonce` when that is set
  (`use_dpop_nonce` until the proof carries it). The API then takes `Bearer <token>`, or
  `DPoP <token>` with a proof by the same key for the request's method and URL (`ath`).

Scenarios no real org produces on demand are set through PUT /__fake/state (same token), a JSON
object with any of: `users` (objects with id, login, status, department), `groups` (id, name,
type, members), `rate_limit` (requests per window), `window_seconds` (the window's length, default
60), `too_many_requests` (answer 429 to this many
requests), `failing` ({"text": ..., "status": ...}: that status for requests whose path and query
contain the text), `next_origin` (send rel="next" to this origin instead), `require_dpop` and
`dpop_nonce` (above). A user's and a group's
`lastUpdated` (and a group's `lastMembershipUpdated`) may be given as RFC 3339 times; they default
to 2026-11-30T09:00:00.000Z. GET /__fake/requests
lists the requests served, as "METHOD path?query".

    okta-fake.py PORT TOKEN SERVICE_APP_KEY_FILE
"""
import base64
import datetime
import hashlib
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOCK = threading.Lock()
STATE = {
    "users": [],
    "groups": [],
    "rate_limit": 600,
    "window_seconds": 60,
    "too_many_requests": 0,
    "failing": None,
    "next_origin": None,
    "window": {"used": 0, "reset": 0},
    "requests": [],
    "require_dpop": False,
    "dpop_nonce": None,
}
CLIENT_ID = "0oa-rolesync-local"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUED = {}  # access token -> the DPoP key's modulus it is bound to, or None (Bearer)
STAMP = "2026-11-30T09:00:00.000Z"


def user_json(user, origin):
    local = user["login"].split("@")[0]
    profile = {
        "login": user["login"],
        "email": user.get("email", user["login"]),
        "firstName": user.get("firstName", local.capitalize()),
        "lastName": user.get("lastName", "Example"),
        "mobilePhone": None,
        "secondEmail": None,
    }
    if user.get("department"):
        profile["department"] = user["department"]
    return {
        "id": user["id"],
        "status": user.get("status", "ACTIVE"),
        "created": "2025-01-06T10:00:00.000Z",
        "activated": "2025-01-06T10:00:00.000Z",
        "statusChanged": STAMP,
        "lastLogin": None,
        "lastUpdated": user.get("lastUpdated", STAMP),
        "passwordChanged": None,
        "type": {"id": "oty1fake"},
        "profile": profile,
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": f"{origin}/api/v1/users/{user['id']}"}},
    }


def group_json(group, origin):
    return {
        "id": group["id"],
        "created": "2025-01-06T10:00:00.000Z",
        "lastUpdated": group.get("lastUpdated", STAMP),
        "lastMembershipUpdated": group.get("lastMembershipUpdated", STAMP),
        "objectClass": ["okta:user_group"],
        "type": group.get("type", "OKTA_GROUP"),
        "profile": {"name": group["name"], "description": None},
        "_links": {"users": {"href": f"{origin}/api/v1/groups/{group['id']}/users"}},
    }


def moment(text):
    """An RFC 3339 time as Okta writes it (`2026-11-30T09:00:00.000Z`), as a datetime; None if not one."""
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token = ""

    def log_message(self, *args):
        pass

    @property
    def origin(self):
        return f"http://{self.headers.get('Host', '127.0.0.1')}"

    def send_json(self, status, body, headers=(), rate=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if rate:
            limit, remaining, reset = rate
            self.send_header("X-Rate-Limit-Limit", str(limit))
            self.send_header("X-Rate-Limit-Remaining", str(remaining))
            self.send_header("X-Rate-Limit-Reset", str(reset))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, summary, rate=None):
        self.send_json(status, {"errorCode": code, "errorSummary": summary, "errorLink": code,
                                "errorId": f"oae{int(time.time() * 1000) % 10**8}", "errorCauses": []}, rate=rate)

    def authorized(self):
        # Okta documents `SSWS <token>`; its own Python SDK (3.4.6) sends `SSWS<token>`, without the
        # space, so Okta takes both.
        return self.headers.get("Authorization") in (f"SSWS {Handler.token}", f"SSWS{Handler.token}")

    def holds_issued_token(self):
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if value not in ISSUED:
            return False
        bound = ISSUED[value]
        if bound is None:
            return scheme == "Bearer"
        proof = self.dpop_proof()
        if scheme != "DPoP" or proof is None or proof[1].get("n") != bound:
            return False
        claims = proof[0]
        target = urllib.parse.urlsplit(self.origin + self.path)._replace(query="", fragment="").geturl()
        digest = base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).rstrip(b"=").decode()
        return claims.get("htm") == self.command and claims.get("htu") == target and claims.get("ath") == digest

    def dpop_proof(self):
        """The DPoP header's claims and public JWK when its own key signed it, else None."""
        header = self.headers.get("DPoP")
        if not header:
            return None
        try:
            head = jwt.get_unverified_header(header)
            if head.get("typ") != "dpop+jwt" or head.get("alg") != "RS256":
                return None
            key = jwt.PyJWK(head["jwk"], algorithm="RS256")
            return jwt.decode(header, key.key, algorithms=["RS256"], options={"verify_aud": False}), head["jwk"]
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            return None

    def oauth_error(self, status, code, description, headers=()):
        self.send_json(status, {"error": code, "error_description": description}, headers=headers)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        with LOCK:
            STATE["requests"].append(f"POST {self.path}")
            if self.path != "/oauth2/v1/token":
                return self.error(404, "E0000022", "The endpoint does not support the provided HTTP method")
            endpoint = self.origin + "/oauth2/v1/token"
            if form.get("grant_type") != "client_credentials" or \
                    form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return self.oauth_error(400, "invalid_client", "Client authentication failed.")
            try:
                claims = jwt.decode(form.get("client_assertion", ""), KEY.public_key(), algorithms=["RS256"], audience=endpoint,
                                    options={"require": ["exp", "iss", "sub", "aud"]})
            except jwt.PyJWTError:
                return self.oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
            if claims["iss"] != CLIENT_ID or claims["sub"] != CLIENT_ID or claims["exp"] - time.time() > 3600:
                return self.oauth_error(401, "invalid_client", "The client_assertion is not valid for this client.")
            if not {"okta.users.read", "okta.groups.read"} <= set(form.get("scope", "").split()):
                return self.oauth_error(400, "invalid_scope", f"The following scopes are not allowed: {form.get('scope', '')}")
            bound = None
            if self.headers.get("DPoP"):
                proof = self.dpop_proof()
                if proof is None or proof[0].get("htm") != "POST" or proof[0].get("htu") != endpoint:
                    return self.oauth_error(400, "invalid_dpop_proof", "The DPoP proof JWT is invalid.")
                nonce = STATE["dpop_nonce"]
                if nonce and proof[0].get("nonce") != nonce:
                    return self.oauth_error(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.",
                                            headers=[("DPoP-Nonce", nonce)])
                bound = proof[1].get("n")
            elif STATE["require_dpop"]:
                return self.oauth_error(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
            token = f"okta-oauth-token-{len(ISSUED) + 1}"
            ISSUED[token] = bound
        self.send_json(200, {"token_type": "DPoP" if bound else "Bearer", "expires_in": 3600, "access_token": token,
                             "scope": form.get("scope", "")})

    def do_PUT(self):
        if self.path != "/__fake/state" or not self.authorized():
            return self.error(401, "E0000011", "Invalid token provided")
        length = int(self.headers.get("Content-Length", "0"))
        update = json.loads(self.rfile.read(length) or b"{}")
        with LOCK:
            for key in ("users", "groups", "rate_limit", "window_seconds", "too_many_requests", "failing", "next_origin",
                        "require_dpop", "dpop_nonce"):
                if key in update:
                    STATE[key] = update[key]
            STATE["window"] = {"used": 0, "reset": 0}
            STATE["requests"] = []
        self.send_json(200, {"ok": True})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__fake/requests":
            if not self.authorized():
                return self.error(401, "E0000011", "Invalid token provided")
            with LOCK:
                return self.send_json(200, list(STATE["requests"]))
        with LOCK:
            line = f"GET {self.path}"
            STATE["requests"].append(line)
            now = time.time()
            window = STATE["window"]
            if now >= window["reset"]:
                length = STATE["window_seconds"]
                window["used"], window["reset"] = 0, int(now // length) * length + length
            window["used"] += 1
            limit = STATE["rate_limit"]
            rate = (limit, max(0, limit - window["used"]), window["reset"])
            if not self.authorized() and not self.holds_issued_token():
                return self.error(401, "E0000011", "Invalid token provided", rate)
            if STATE["too_many_requests"] > 0 or window["used"] > limit:
                STATE["too_many_requests"] = max(0, STATE["too_many_requests"] - 1)
                return self.error(429, "E0000047", "API call exceeded rate limit due to too many requests.", rate)
            failing = STATE["failing"]
            if failing and failing["text"] in self.path:
                return self.error(failing["status"], "E0000009", "Internal Server Error", rate)
            origin = self.origin
            query = urllib.parse.parse_qs(url.query)
            try:
                limit_items = min(int(query.get("limit", ["200"])[0]), 200)
            except ValueError:
                return self.error(400, "E0000001", "Api validation failed: limit", rate)
            after = query.get("after", [None])[0]
            parts = url.path.split("/")
            filters = query.get("filter")
            if url.path == "/api/v1/users" and filters:
                text = filters[0]
                prefix = 'lastUpdated gt "'
                since = moment(text[len(prefix):-1]) if text.startswith(prefix) and text.endswith('"') else None
                if since is None:
                    return self.error(400, "E0000031", "Invalid search criteria.", rate)
                items = [user_json(u, origin) for u in STATE["users"] if moment(u.get("lastUpdated", STAMP)) > since]
            elif url.path == "/api/v1/users":
                items = [user_json(u, origin) for u in STATE["users"] if u.get("status") != "DEPROVISIONED"]
            elif len(parts) == 6 and parts[1:4] == ["api", "v1", "users"] and parts[5] == "groups":
                if not any(u["id"] == parts[4] for u in STATE["users"]):
                    return self.error(404, "E0000007", f"Not found: Resource not found: {parts[4]} (User)", rate)
                items = [group_json(g, origin) for g in STATE["groups"] if parts[4] in g["members"]]
            elif url.path == "/api/v1/groups":
                items = [group_json(g, origin) for g in STATE["groups"]]
            elif len(parts) == 6 and parts[1:4] == ["api", "v1", "groups"] and parts[5] == "users":
                group = next((g for g in STATE["groups"] if g["id"] == parts[4]), None)
                if group is None:
                    return self.error(404, "E0000007", f"Not found: Resource not found: {parts[4]} (UserGroup)", rate)
                items = [user_json(u, origin) for u in STATE["users"] if u["id"] in group["members"]]
            elif len(parts) == 5 and parts[1:4] == ["api", "v1", "users"]:
                found = next((u for u in STATE["users"] if u["id"] == parts[4] or u["login"] == parts[4]), None)
                if found is None:
                    return self.error(404, "E0000007", f"Not found: Resource not found: {parts[4]} (User)", rate)
                return self.send_json(200, user_json(found, origin), rate=rate)
            else:
                return self.error(404, "E0000022", "The endpoint does not support the provided HTTP method", rate)
            items.sort(key=lambda item: item["id"])
            start = 0
            if after is not None:
                start = next((i for i, item in enumerate(items) if item["id"] > after), len(items))
            page = items[start:start + limit_items]
            links = [("Link", f'<{origin}{self.path}>; rel="self"')]
            if start + limit_items < len(items) and page:
                base = STATE["next_origin"] or origin
                next_query = urllib.parse.urlencode({"after": page[-1]["id"], "limit": limit_items, **({"filter": filters[0]} if filters else {})})
                links.append(("Link", f'<{base}{url.path}?{next_query}>; rel="next"'))
            return self.send_json(200, page, links, rate)


def main():
    port, Handler.token = int(sys.argv[1]), sys.argv[2]
    with open(sys.argv[3], "wb") as key_file:
        key_file.write(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
