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

Scenarios no real org produces on demand are set through PUT /__fake/state (same token), a JSON
object with any of: `users` (objects with id, login, status, department), `groups` (id, name,
type, members), `rate_limit` (requests per window), `window_seconds` (the window's length, default
60), `too_many_requests` (answer 429 to this many
requests), `failing` ({"text": ..., "status": ...}: that status for requests whose path and query
contain the text), `next_origin` (send rel="next" to this origin instead). A user's and a group's
`lastUpdated` (and a group's `lastMembershipUpdated`) may be given as RFC 3339 times; they default
to 2026-11-30T09:00:00.000Z. GET /__fake/requests
lists the requests served, as "METHOD path?query".

    okta-fake.py PORT TOKEN
"""
import datetime
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
}
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

    def do_PUT(self):
        if self.path != "/__fake/state" or not self.authorized():
            return self.error(401, "E0000011", "Invalid token provided")
        length = int(self.headers.get("Content-Length", "0"))
        update = json.loads(self.rfile.read(length) or b"{}")
        with LOCK:
            for key in ("users", "groups", "rate_limit", "window_seconds", "too_many_requests", "failing", "next_origin"):
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
            if not self.authorized():
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
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
