"""schemathesis hooks for `.ci/fuzz-admin-api` (SCHEMATHESIS_HOOKS=schemathesis_hooks).

POST /api/admin/keys/revoke takes its key ids in the body, where `.ci/schemathesis.toml` cannot pin
them as it pins the `id` of the revoke, roll and offboard routes. A generated id could name the
admin key schemathesis authenticates with (every later request would be a 401) or a key another
route acts on, so every id the schema allows becomes the one key seeded for this route
(BULK_REVOKE_KEY_ID): the first request revokes it, the rest answer 409. Ids the schema refuses
(0, negatives, strings) are left as generated, so the negative cases stay negative.
"""

import os

import schemathesis

LARGEST_ID = 2**53 - 1


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Every phase's requests pass here (examples, coverage, fuzzing, stateful), just before they
    # are sent: the body is edited in place.
    operation = ctx.operation
    if operation is None or operation.method.upper() != "POST" or operation.path != "/api/admin/keys/revoke":
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        return
    seeded = int(os.environ["BULK_REVOKE_KEY_ID"])
    body["ids"] = [
        seeded if isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= LARGEST_ID else i for i in body["ids"]
    ]
