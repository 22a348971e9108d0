"""A connector built on the official Python Channel SDK (PyPI
`ringcentral_engage_digital_source_sdk`), run with its `rces` CLI. The SDK verifies each request
and signs each answer; this file only serves fixtures.

CONNECTOR_FIXTURES names a JSON file: {"info": {...}, "lists": {"messages": [newest first]},
"page_size": n, "replies": {"<action>": [answer, ...]}} (scripted answers are used first, in
order). Every request body the SDK accepted is appended to the JSON-lines file CONNECTOR_LOG.
"""

import json
import os
import threading

_lock = threading.Lock()
with open(os.environ["CONNECTOR_FIXTURES"], encoding="utf-8") as f:
    _fixtures = json.load(f)
_replies = {action: list(answers) for action, answers in _fixtures.get("replies", {}).items()}


def _list(collection, params):
    items = _fixtures.get("lists", {}).get(collection, [])
    since = (params or {}).get("since_id")
    ids = [i.get("id") for i in items]
    newer = items[: ids.index(since)] if since in ids else items
    size = _fixtures.get("page_size", 100)
    return newer[-size:] if newer else []


def onRequest(event):
    body = event["body"]
    action, params = body.get("action"), body.get("params")
    with _lock:
        with open(os.environ["CONNECTOR_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(body) + "\n")
        scripted = _replies.get(action)
        if scripted:
            return scripted.pop(0)
    if action == "implementation.info":
        return _fixtures["info"]
    collection, _, operation = (action or "").partition(".")
    if operation == "list":
        return _list(collection, params)
    if operation == "create":
        return {"id": "py-" + params["content_id"], "body": params.get("body")}
    return {"id": (params or {}).get("id")}
