#!/usr/bin/env python3
"""A scenario fake of Google Workspace's Admin SDK Directory API and Google's OAuth 2.0 token
endpoint, for RoleSync's integration checks.

Google Workspace has no server to run here, so this one answers what RoleSync's
`kind: google_workspace` reads, as Google documents it, and `scripts/peers/google-sdk-check.py`
proves that Google's own Python client (google-api-python-client 2.202.0 with google-auth) lists
users, groups and members from it:

- On start it makes a service account key (RSA 2048) and writes its JSON key file (type
  service_account, client_email, private_key, private_key_id, token_uri pointing here) to KEYFILE.
- POST /token: the JWT bearer grant (RFC 7523): the assertion's RS256 signature is checked with
  that key, then `iss` (the service account), `aud` (https://oauth2.googleapis.com/token, as Google
  documents it for every assertion), `iat`/`exp` (at most an hour),
  the read-only Directory scopes, and `sub`: an administrator the delegation covers
  (admin@example.com unless set); else `invalid_grant` or `unauthorized_client`, as Google answers.
- GET /admin/directory/v1/users, /groups (`customer=my_customer`), /groups/{id}/members
  (`includeDerivedMembership=true` expands nested groups; a member `customer` is the whole account,
  listed as type CUSTOMER): pages of at most `maxResults` (users 500, the others 200), paged by
  `nextPageToken`; an empty page leaves its list out, as Google does.
- `Authorization: Bearer <a token it issued>`, else 401 authError.

Scenarios are set through PUT /__fake/state (`Authorization: Bearer local-google-fake-admin`), a
JSON object with any of: `users` (id, primaryEmail, suspended, archived), `groups` (id, email,
name, members), `administrators`, `rate_limited` (answer 403 rateLimitExceeded to this many
Directory requests), `failing` ({"text": ..., "status": ...}).

    google-fake.py PORT KEYFILE
"""
import base64
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

LOCK = threading.Lock()
STATE = {"users": [], "groups": [], "administrators": ["admin@example.com"], "rate_limited": 0, "failing": None}
TOKENS = set()
ADMIN = "local-google-fake-admin"
SCOPES = {"https://www.googleapis.com/auth/admin.directory.user.readonly",
          "https://www.googleapis.com/auth/admin.directory.group.readonly"}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CLIENT_EMAIL = "rolesync@local-project.iam.gserviceaccount.com"


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def user_json(user):
    local = user["primaryEmail"].split("@")[0].capitalize()
    return {"kind": "admin#directory#user", "id": user["id"], "primaryEmail": user["primaryEmail"],
            "name": {"givenName": local, "familyName": "Example", "fullName": user.get("fullName", f"{local} Example")},
            "isAdmin": False, "suspended": user.get("suspended", False), "archived": user.get("archived", False),
            "orgUnitPath": user.get("orgUnitPath", "/"), "creationTime": "2025-01-06T10:00:00.000Z"}


def members(group_id, derived):
    groups = {g["id"]: g for g in STATE["groups"]}
    users = {u["id"]: u for u in STATE["users"]}
    seen, result, stack = {group_id}, [], [group_id]
    while stack:
        group = groups.get(stack.pop())
        if not group:
            continue
        for member in group["members"]:
            if member in seen:
                continue
            seen.add(member)
            if member == "customer":
                result.append({"kind": "admin#directory#member", "id": "C0local", "type": "CUSTOMER", "role": "MEMBER"})
            elif member in groups:
                result.append({"kind": "admin#directory#member", "id": member, "email": groups[member]["email"], "type": "GROUP",
                               "role": "MEMBER", "status": "ACTIVE"})
                if derived:
                    stack.append(member)
            elif member in users:
                result.append({"kind": "admin#directory#member", "id": member, "email": users[member]["primaryEmail"], "type": "USER",
                               "role": "MEMBER", "status": "ACTIVE"})
    return result


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def google_error(self, status, reason, message):
        self.send_json(status, {"error": {"code": status, "message": message,
                                          "errors": [{"message": message, "domain": "global", "reason": reason}]}})

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_PUT(self):
        if self.path != "/__fake/state" or self.headers.get("Authorization") != f"Bearer {ADMIN}":
            return self.google_error(401, "authError", "Invalid Credentials")
        update = json.loads(self.read_body() or b"{}")
        with LOCK:
            for key in ("users", "groups", "administrators", "rate_limited", "failing"):
                if key in update:
                    STATE[key] = update[key]
        self.send_json(200, {"ok": True})

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/token":
            return self.google_error(404, "notFound", "Not Found")
        form = dict(urllib.parse.parse_qsl(self.read_body().decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or "assertion" not in form:
            return self.send_json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        try:
            head, body, signature = form["assertion"].split(".")
            header, claims = json.loads(b64url(head)), json.loads(b64url(body))
            if header.get("alg") != "RS256":
                raise ValueError("alg")
            KEY.public_key().verify(b64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature, json.JSONDecodeError):
            return self.send_json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        now = time.time()
        # Google's audience is always https://oauth2.googleapis.com/token, wherever the assertion is
        # sent (google-auth sends exactly that to any token_uri).
        if (claims.get("iss") != CLIENT_EMAIL or claims.get("aud") != "https://oauth2.googleapis.com/token" or not isinstance(claims.get("iat"), (int, float))
                or not isinstance(claims.get("exp"), (int, float)) or claims["iat"] > now + 60 or claims["exp"] <= now
                or claims["exp"] - claims["iat"] > 3600):
            return self.send_json(400, {"error": "invalid_grant", "error_description":
                                        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."})
        with LOCK:
            allowed = claims.get("sub") in STATE["administrators"]
        if not SCOPES <= set(claims.get("scope", "").split()) or not allowed:
            return self.send_json(401, {"error": "unauthorized_client", "error_description":
                                        "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."})
        token = "ya29." + secrets.token_urlsafe(24)
        with LOCK:
            TOKENS.add(token)
        self.send_json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        authorization = self.headers.get("Authorization", "")
        with LOCK:
            if not authorization.startswith("Bearer ") or authorization[7:] not in TOKENS:
                return self.google_error(401, "authError", "Invalid Credentials")
            if STATE["rate_limited"] > 0:
                STATE["rate_limited"] -= 1
                return self.google_error(403, "rateLimitExceeded", "Rate Limit Exceeded")
            failing = STATE["failing"]
            if failing and failing["text"] in urllib.parse.unquote(self.path):
                return self.google_error(failing["status"], "backendError", "Backend Error")
            query = dict(urllib.parse.parse_qsl(url.query))
            base = "/admin/directory/v1"
            parts = url.path.split("/")
            if url.path in (base + "/users", base + "/groups"):
                if query.get("customer") != "my_customer":
                    return self.google_error(400, "badRequest", "Bad Request")
                if url.path.endswith("/users"):
                    field, most = "users", 500
                    items = [user_json(u) for u in sorted(STATE["users"], key=lambda u: u["primaryEmail"])]
                else:
                    field, most = "groups", 200
                    items = [{"kind": "admin#directory#group", "id": g["id"], "email": g["email"], "name": g["name"],
                              "directMembersCount": str(len(g["members"]))} for g in sorted(STATE["groups"], key=lambda g: g["email"])]
            elif len(parts) == 7 and url.path.startswith(base + "/groups/") and parts[6] == "members":
                if not any(g["id"] == parts[5] for g in STATE["groups"]):
                    return self.google_error(404, "notFound", "Resource Not Found: groupKey")
                field, most = "members", 200
                items = members(parts[5], query.get("includeDerivedMembership") == "true")
            else:
                return self.google_error(404, "notFound", "Not Found")
            try:
                limit = min(int(query.get("maxResults", "100")), most)
                start = int(query.get("pageToken", "0"))
            except ValueError:
                return self.google_error(400, "invalid", "Invalid value")
            page = items[start:start + limit]
            body = {"kind": f"admin#directory#{field}", "etag": '"local"'}
            if page:
                body[field] = page
            if start + limit < len(items):
                body["nextPageToken"] = str(start + limit)
            return self.send_json(200, body)


def main():
    port, keyfile = int(sys.argv[1]), sys.argv[2]
    pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with open(keyfile, "w") as out:
        json.dump({"type": "service_account", "project_id": "local-project", "private_key_id": secrets.token_hex(20),
                   "private_key": pem, "client_email": CLIENT_EMAIL, "client_id": "100000000000000000001",
                   "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": f"http://127.0.0.1:{port}/token"}, out)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
