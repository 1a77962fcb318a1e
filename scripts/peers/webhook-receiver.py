#!/usr/bin/env python3
"""A Standard Webhooks receiver for RoleSync's integration checks.

Every webhook that reaches it is verified by `standardwebhooks` 1.1.0, the Standard Webhooks
specification's reference library (`Webhook(secret).verify(body, headers)`: the `webhook-id`,
`webhook-timestamp` and `webhook-signature` headers, `v1,<base64 HMAC-SHA256>` signatures over
`<id>.<timestamp>.<body>`, a timestamp at most 5 minutes off): the proof that what RoleSync sends is
what the specification's own code accepts.

- POST /hooks/<anything>: verified against each SECRET in turn (a rotation sends two signatures,
  one passing is enough). If none passes: 401 `{"error": "..."}`. If one does: the current scenario
  decides the answer (200 `{"ok": true}` unless set otherwise; other than 2xx, `{"error": "scenario
  <status>"}`). Either way the request is recorded, in arrival order: `path`, `webhook_id`,
  `webhook_timestamp`, `signature` (the raw header), `verified`, `status` (what it answers),
  `body` (the parsed JSON, or null), `received_at` (unix time of arrival; a delayed answer is
  recorded when it arrives, before the wait).
- GET /_received: 200 `{"requests": [records...]}`; DELETE /_received: forget them, 204.
- PUT /_scenario with a JSON object: what the next verified POSTs get. `status` (200-599, default
  200), `delay` (seconds to wait before answering, default 0), `times` (for how many verified POSTs;
  left out: every one from now on); afterwards back to 200 at once. `{"status": 200}` resets. 204;
  400 `{"error": ...}` for a scenario it cannot use.
- Anything else: 404.

    webhook-receiver.py PORT SECRET [SECRET...]      (SECRETs are whsec_<base64> strings)
"""
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

LOCK = threading.Lock()
RECORDS = []
DEFAULT_SCENARIO = {"status": 200, "delay": 0.0, "times": None}
SCENARIO = dict(DEFAULT_SCENARIO)
WEBHOOKS = []  # one Webhook per SECRET
SIGNED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def parse_json(body):
    try:
        return json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return None


def verify(body, headers):
    """Returns None when one of the secrets verifies the request, else why none did."""
    for name in SIGNED_HEADERS:
        if len(headers.get_all(name) or []) > 1:
            return f"the {name} header is sent more than once"
    plain = {name: value for name, value in headers.items()}
    reasons = []
    for webhook in WEBHOOKS:
        try:
            webhook.verify(body, plain, json_parse=False)
            return None
        except WebhookVerificationError as error:
            reason = str(error)
        except UnicodeDecodeError:
            reason = "the body is not UTF-8"
        except ValueError as error:  # a signature not of the form v1,<base64>; binascii.Error
            reason = f"malformed webhook-signature header ({error})"
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons)


def take_scenario():
    """The scenario for this verified POST, counting it against `times`."""
    with LOCK:
        current = dict(SCENARIO)
        if SCENARIO["times"] is not None:
            SCENARIO["times"] -= 1
            if SCENARIO["times"] <= 0:
                SCENARIO.clear()
                SCENARIO.update(DEFAULT_SCENARIO)
    return current


def parse_scenario(body):
    update = parse_json(body or b"{}")
    if not isinstance(update, dict):
        raise ValueError("the scenario must be a JSON object")
    unknown = set(update) - set(DEFAULT_SCENARIO)
    if unknown:
        raise ValueError(f"unknown scenario keys: {', '.join(sorted(unknown))}")
    status, delay, times = update.get("status", 200), update.get("delay", 0.0), update.get("times")
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError("status must be an integer from 200 to 599")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 600:
        raise ValueError("delay must be a number of seconds from 0 to 600")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive integer (or left out: every request)")
    return {"status": status, "delay": float(delay), "times": times}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: without TCP_NODELAY each answer on a kept-alive
    # connection waits for the client's delayed ACK (40 ms), and the receiver takes 25 messages a second.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def log_error(self, format, *args):
        sys.stderr.write(f"webhook-receiver: {self.address_string()} {format % args}\n")

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        if status in (204, 304):  # no body, and no Content-Length (RFC 9110 8.6)
            self.end_headers()
            return
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def no_content(self):
        self.send_response(204)
        self.end_headers()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, then the empty line
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or "0"))

    def route(self):
        return urllib.parse.urlsplit(self.path).path

    def not_found(self):
        self.read_body()
        self.send_json(404, {"error": f"no route for {self.command} {self.route()}"})

    def do_GET(self):
        if self.route() != "/_received":
            return self.not_found()
        self.read_body()
        with LOCK:
            records = list(RECORDS)
        self.send_json(200, {"requests": records})

    def do_DELETE(self):
        if self.route() != "/_received":
            return self.not_found()
        self.read_body()
        with LOCK:
            RECORDS.clear()
        self.no_content()

    def do_PUT(self):
        if self.route() != "/_scenario":
            return self.not_found()
        try:
            scenario = parse_scenario(self.read_body())
        except ValueError as error:
            return self.send_json(400, {"error": str(error)})
        with LOCK:
            SCENARIO.clear()
            SCENARIO.update(scenario)
        self.no_content()

    def do_POST(self):
        if not self.route().startswith("/hooks/"):
            return self.not_found()
        body = self.read_body()
        received_at = time.time()
        failure = verify(body, self.headers)
        scenario = None if failure else take_scenario()
        status = 401 if failure else scenario["status"]
        signature = self.headers.get_all("webhook-signature")
        with LOCK:
            RECORDS.append({
                "path": self.path,
                "webhook_id": self.headers.get("webhook-id"),
                "webhook_timestamp": self.headers.get("webhook-timestamp"),
                "signature": ", ".join(signature) if signature else None,
                "verified": failure is None,
                "status": status,
                "body": parse_json(body),
                "received_at": received_at,
            })
        if failure:
            return self.send_json(401, {"error": failure})
        if scenario["delay"]:
            time.sleep(scenario["delay"])
        self.send_json(status, {"ok": True} if 200 <= status < 300 else {"error": f"scenario {status}"})

    do_HEAD = do_PATCH = do_OPTIONS = not_found


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):  # the sender gave up (a delay scenario)
            return
        super().handle_error(request, client_address)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: webhook-receiver.py PORT SECRET [SECRET...]  (SECRETs: whsec_<base64>)")
    for secret in sys.argv[2:]:
        # standardwebhooks decodes the secret leniently (it drops characters outside base64's
        # alphabet, so a base64url secret would silently become another key): refuse those here.
        if not re.fullmatch(r"(whsec_)?[A-Za-z0-9+/]+={0,2}", secret):
            sys.exit(f"webhook-receiver.py: not a whsec_<base64> secret: {secret!r}")
        try:
            WEBHOOKS.append(Webhook(secret))
        except Exception as error:
            sys.exit(f"webhook-receiver.py: not a webhook secret: {secret!r} ({error})")
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()


if __name__ == "__main__":
    main()
