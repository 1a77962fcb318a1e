#!/usr/bin/env python3
"""A reverse proxy in front of a SCIM directory that fails one page of a listing, so tests can prove
that a server error in the middle of a listing changes nothing. Standard library only.

usage: scripts/peers/fault-proxy.py --upstream http://127.0.0.1:18090 --port 18091 \
           --fail-path /Users --fail-start 3

Forwards every request to the upstream unchanged, except GET FAIL_PATH?startIndex=FAIL_START, which
gets 500 with `Retry-After: 0` (so the client's retries do not wait) every time.
"""
import argparse
import http.server
import signal
import urllib.error
import urllib.parse
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--fail-path", required=True)
parser.add_argument("--fail-start", required=True)
args = parser.parse_args()


class Proxy(http.server.BaseHTTPRequestHandler):
    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if self.command == "GET" and url.path == args.fail_path and query.get("startIndex") == [args.fail_start]:
            body = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"injected fault"}'
            self.send_response(500)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/scim+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "accept")}
        request = urllib.request.Request(args.upstream + self.path, data=data, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                status, body, content_type = response.status, response.read(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as error:
            status, body, content_type = error.code, error.read(), error.headers.get("Content-Type")
        except OSError:
            status, body, content_type = 502, b"", None
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    def log_message(self, *_):
        pass


# The test runner that starts this blocks and ignores SIGTERM and SIGINT (swift-service-lifecycle
# handles them itself), and both the mask and an ignored disposition survive exec: restore the
# defaults, or the test's terminate() leaves this proxy running after the test.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.SIG_DFL)
http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Proxy).serve_forever()
