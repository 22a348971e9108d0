"""schemathesis hooks for the OpenAPI conformance run (loaded through schemathesis.toml).

Two things in a body depend on the world outside the request, which no schema can say:

- The server calls the URLs it is given: a webhook's `url` when it has a `verify_token` (the
  `hub.challenge` handshake, at registration) and a source's `base_uri` (syncs). This machine
  may reach no host but itself, so every generated http(s) URL is pointed at the test's local
  receiver, keeping its path and query.
- A webhook's `source_ids` and a queue's `feeds[].source_id` must name sources of the
  caller's company. Every generated id there is replaced by the one source the test made,
  which therefore must outlive the run: a `DELETE` that names it (the stateful phase finds its
  id in listings) names an unknown source instead, and is answered 404 as the document says.
- A queue's `members` must be users of the company: every generated id there is replaced by
  the user the test found (the owner).
- Likewise a queue's `overflow.queue_id` must name another queue of the company: it is
  replaced by the one queue the test made, which a `DELETE` or a `PUT` never names (a `PUT` of
  it could make it overflow into itself): they name an unknown queue instead (404).

Only those values change, and only when they already have the documented form: what the
document says of the rest is still what the server is checked against.
"""

import os
import re

import schemathesis

RECEIVER = os.environ["SWITCHBOARD_CONFORMANCE_RECEIVER"]
SOURCE_ID = os.environ["SWITCHBOARD_CONFORMANCE_SOURCE_ID"]
QUEUE_ID = os.environ["SWITCHBOARD_CONFORMANCE_QUEUE_ID"]
USER_ID = os.environ["SWITCHBOARD_CONFORMANCE_USER_ID"]
URL_FIELDS = ("url", "base_uri")
ORIGIN = re.compile(r"^https?://[^/?#]*")
ID = re.compile(r"^[0-9a-f]{24}$")


UNKNOWN_ID = "0" * 24


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method == "DELETE" and (case.path_parameters or {}).get("source_id") == SOURCE_ID:
        case.path_parameters["source_id"] = UNKNOWN_ID
    if case.method in ("DELETE", "PUT") and (case.path_parameters or {}).get("queue_id") == QUEUE_ID:
        case.path_parameters["queue_id"] = UNKNOWN_ID
    if isinstance(case.body, dict):
        for field in URL_FIELDS:
            value = case.body.get(field)
            if isinstance(value, str) and ORIGIN.match(value):
                case.body[field] = ORIGIN.sub(RECEIVER, value, count=1)
        ids = case.body.get("source_ids")
        if isinstance(ids, list):
            case.body["source_ids"] = [SOURCE_ID if isinstance(i, str) and ID.match(i) else i for i in ids]
        feeds = case.body.get("feeds")
        if isinstance(feeds, list):
            for feed in feeds:
                if isinstance(feed, dict) and isinstance(feed.get("source_id"), str) and ID.match(feed["source_id"]):
                    feed["source_id"] = SOURCE_ID
        overflow = case.body.get("overflow")
        if isinstance(overflow, dict) and isinstance(overflow.get("queue_id"), str) and ID.match(overflow["queue_id"]):
            overflow["queue_id"] = QUEUE_ID
        members = case.body.get("members")
        if isinstance(members, list):
            case.body["members"] = [USER_ID if isinstance(m, str) and ID.match(m) else m for m in members]
