#!/usr/bin/env python3
"""Run scim2-tester against a SCIM server URL, with tag/resource-type selection,
an optional HTTP trace, a JSON report, and an exit code that fails only on ERROR/CRITICAL.

usage: scripts/peers/scim-tester.py --url http://127.0.0.1:8080/scim/v2 [--token T] [--include TAG ...]
       [--exclude TAG ...] [--resource-type User ...] [--json out.json] [--trace trace.jsonl]
       [--strict]   # also fail on SKIPPED/DEVIATION (what `scim2 test` does)
"""
import argparse, json, sys
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server, Status, get_all_available_tags

p = argparse.ArgumentParser()
p.add_argument("--url", required=True)
p.add_argument("--token")
p.add_argument("--include", nargs="*")
p.add_argument("--exclude", nargs="*")
p.add_argument("--resource-type", nargs="*")
p.add_argument("--json")
p.add_argument("--trace")
p.add_argument("--strict", action="store_true")
p.add_argument("--list-tags", action="store_true")
a = p.parse_args()
if a.list_tags:
    print("\n".join(get_all_available_tags())); sys.exit(0)

trace = open(a.trace, "w") if a.trace else None
def on_response(resp):
    if not trace:
        return
    resp.read()
    req = resp.request
    trace.write(json.dumps({
        "method": req.method, "url": str(req.url),
        "req_headers": {k: v for k, v in req.headers.items() if k.lower() in ("content-type", "accept", "if-match")},
        "req_body": req.content.decode() or None,
        "status": resp.status_code,
        "resp_headers": {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "location", "etag")},
        "resp_body": resp.text or None}) + "\n")

headers = {"Authorization": f"Bearer {a.token}"} if a.token else {}
http = Client(base_url=a.url, headers=headers, event_hooks={"response": [on_response]})
client = SyncSCIMClient(http)
results = check_server(client, include_tags=set(a.include) if a.include else None,
                       exclude_tags=set(a.exclude) if a.exclude else None,
                       resource_types=a.resource_type)
bad = {Status.ERROR, Status.CRITICAL}
if a.strict:
    bad |= {Status.SKIPPED, Status.DEVIATION}
counts = {}
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
    print(f"{r.status.name:10} {r.resource_type or '-':6} {r.title}: {r.reason or ''}".rstrip())
if a.json:
    json.dump([{"status": r.status.name, "title": r.title, "resource_type": r.resource_type,
                "tags": sorted(r.tags), "reason": r.reason,
                "data": None if r.data is None else repr(r.data)[:2000]} for r in results],
              open(a.json, "w"), indent=1)
failed = sum(1 for r in results if r.status in bad)
print(f"{len(results) - failed} passed, {failed} failed")
print("by status:", counts)
sys.exit(1 if failed else 0)
