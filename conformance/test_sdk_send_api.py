"""The Channel SDK Send API (`POST /realtime/sdk/{source_id}`) driven by the official client
libraries, as connectors built on them push to it (spec §8.1, §8.2; test plan P7 and J7):

- Python: `postMessageToEngage(body, endpoint, secret)` of PyPI
  `ringcentral_engage_digital_source_sdk` (compact, ASCII-escaped JSON, signed over those bytes;
  raises on non-2xx).
- JavaScript: npm `ringcentral-engage-source`'s own `sign` over `JSON.stringify(body)` (raw
  UTF-8), posted with its axios, through `node/send_api.js`.

What was imported is read back through the Advanced Messaging API. Each test makes its own
source, so the tests share the server without seeing each other's contents.
"""

import hashlib
import hmac
import json
import os
import pathlib
import re
import secrets
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

# The SDK reads its secret from the environment when it is imported (a default argument), and
# the import fails without it. The tests always pass the real secret explicitly.
os.environ.setdefault("RINGCENTRAL_ENGAGE_DIGITAL_API_TOKEN", "conformance-suite-unused-default")
from ringcentral_engage_digital_source_sdk import parseDict, postMessageToEngage  # noqa: E402

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"
MAX_BODY = 20971520
TOO_MANY_TYPING = "too many typing requests, please try again in a few seconds"
NON_ASCII = "Café é, 日本語 and 🎉 — ça marche"
ADVANCED = "/engage/advanced-messaging/v1"


# --- Switchboard side: sources and what they imported ---------------------------------------


def new_source(server):
    """A Channel SDK source that declares everything the Send API can receive."""
    res = requests.post(
        server.url + "/v1/sources",
        headers=server.headers(),
        json={
            "name": "SDK conformance " + uuid.uuid4().hex[:8],
            "kind": "sdk",
            "objects": {"messages": ["create", "list"], "private_messages": ["create"], "threads": ["create"], "status": ["mark_as_read"]},
            "options": ["messaging.typing_indicator", "view.messaging"],
        },
    )
    assert res.status_code == 201, res.text
    source = res.json()
    assert re.fullmatch(r"[A-Za-z0-9]{64}", source["access_token"]), source
    return source["id"], source["access_token"], f"{server.url}/realtime/sdk/{source['id']}"


def contents(server, source_id):
    res = requests.get(server.url + ADVANCED + "/contents", headers=server.headers(), params={"source": source_id, "perPage": 100})
    assert res.status_code == 200, res.text
    page = res.json()
    assert "nextPageToken" not in page["paging"], "a test source should have fewer than 100 contents"
    return page["records"]


def the_content(server, source_id, foreign_id):
    """The one content of this source with this foreign id."""
    found = [r for r in contents(server, source_id) if r["foreignId"] == foreign_id]
    assert len(found) == 1, found
    return found[0]


def identity(server, identity_id):
    res = requests.get(server.url + ADVANCED + "/identities/" + identity_id, headers=server.headers())
    assert res.status_code == 200, res.text
    return res.json()


def identities_of(server, source_id):
    """Every identity of the source, through all pages of the (company-wide) list."""
    found, token = [], None
    for _ in range(1000):
        params = {"perPage": 100} | ({"pageToken": token} if token else {})
        res = requests.get(server.url + ADVANCED + "/identities", headers=server.headers(), params=params)
        assert res.status_code == 200, res.text
        page = res.json()
        found += [r for r in page["records"] if r["sourceId"] == source_id]
        token = page["paging"].get("nextPageToken")
        if not token:
            return found
    raise AssertionError("identities paging did not end")


# --- Connector side --------------------------------------------------------------------------


def message(text, thread_id=None, message_id=None, author_id=None, screenname="Jane Customer"):
    return {
        "action": "messages.create",
        "params": {
            "actions": ["show", "reply"],
            "id": message_id or "msg-" + uuid.uuid4().hex,
            "body": text,
            "thread_id": thread_id or "thread-" + uuid.uuid4().hex,
            "author": {"id": author_id or "user-" + uuid.uuid4().hex, "firstname": "Jane", "lastname": "Customer", "screenname": screenname},
        },
    }


def sdk_post(body, endpoint, secret):
    """postMessageToEngage; on a non-2xx (which it raises on) the status and text it reported."""
    try:
        res = postMessageToEngage(body, endpoint, secret)
    except Exception as e:  # the SDK raises a bare Exception naming the status and the body
        return sdk_failure(e)
    return res.status_code, res.text


def sdk_failure(exc):
    match = re.fullmatch(r"HTTP status code: (\d+)\n\n(.*)", str(exc), re.S)
    assert match, f"not the SDK's HTTP error: {exc!r}"
    return int(match.group(1)), match.group(2)


def hmac_hex(secret, data):
    return hmac.new(secret.encode(), data, hashlib.sha512).hexdigest()


def js_post(endpoint, secret, *bodies):
    """Each body through the JavaScript SDK's signing, one after the other in one Node process;
    [{"status", "body", "sent"}] in order."""
    script = NODE_DIR / "send_api.js"
    assert (NODE_DIR / "node_modules" / "ringcentral-engage-source").is_dir(), "run `npm ci` in conformance/node (conformance/run.sh does)"
    # Without the secret in its environment, the SDK's `sign` can only use the one passed to it.
    env = {k: v for k, v in os.environ.items() if k != "RINGCENTRAL_ENGAGE_DIGITAL_API_TOKEN"}
    proc = subprocess.run(
        ["node", str(script)],
        input=json.dumps({"url": endpoint, "secret": secret, "bodies": list(bodies)}),
        capture_output=True,
        text=True,
        cwd=NODE_DIR,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == len(bodies)
    return results


# --- Python SDK (P7) -------------------------------------------------------------------------


def test_python_sdk_message_create_is_imported_with_its_author(server):
    source_id, token, endpoint = new_source(server)
    body = message("Hello from the Python SDK", screenname="Pat Python")
    res = postMessageToEngage(body, endpoint, token)
    assert (res.status_code, res.text) == (200, "ok")
    record = the_content(server, source_id, body["params"]["id"])
    assert record["sourceId"] == source_id
    assert record["body"] == "Hello from the Python SDK"
    assert (record["type"], record["direction"], record["status"], record["read"]) == ("message", "inbound", "received", False)
    assert record["threadId"]
    author = identity(server, record["authorIdentityId"])
    assert (author["screenName"], author["foreignId"], author["sourceId"]) == ("Pat Python", body["params"]["author"]["id"], source_id)
    assert (author["firstName"], author["lastName"], author["puppetizable"]) == ("Jane", "Customer", False)


def test_python_sdk_with_a_wrong_secret_raises_on_422(server):
    source_id, token, endpoint = new_source(server)
    wrong = secrets.token_hex(32)
    assert wrong != token
    with pytest.raises(Exception) as raised:
        postMessageToEngage(message("never imported"), endpoint, wrong)
    assert sdk_failure(raised.value) == (422, "Invalid signature")
    assert contents(server, source_id) == []


def test_python_sdk_to_an_unknown_source_raises_on_422(server):
    _, token, _ = new_source(server)
    unknown = secrets.token_hex(12)
    with pytest.raises(Exception) as raised:
        postMessageToEngage(message("nowhere"), f"{server.url}/realtime/sdk/{unknown}", token)
    assert sdk_failure(raised.value) == (422, "Source not found")


def test_python_sdk_users_create_puppetizable(server):
    source_id, token, endpoint = new_source(server)
    user = {"id": "agent-" + uuid.uuid4().hex, "screenname": "Brand Bot", "firstname": "Brand", "puppetizable": True}
    res = postMessageToEngage({"action": "users.create", "params": user}, endpoint, token)
    assert (res.status_code, res.text) == (200, "ok")
    [created] = identities_of(server, source_id)
    assert (created["foreignId"], created["screenName"], created["firstName"], created["puppetizable"]) == (user["id"], "Brand Bot", "Brand", True)
    assert identity(server, created["id"])["puppetizable"] is True
    # A customer pushed without the flag stays non-puppetizable: the flag is what was read.
    customer = {"id": "cust-" + uuid.uuid4().hex, "screenname": "Customer"}
    assert sdk_post({"action": "users.create", "params": customer}, endpoint, token) == (200, "ok")
    assert {i["foreignId"]: i["puppetizable"] for i in identities_of(server, source_id)} == {user["id"]: True, customer["id"]: False}


def test_python_sdk_status_mark_as_read(server):
    source_id, token, endpoint = new_source(server)
    body = message("Please read me")
    foreign_id = body["params"]["id"]
    assert sdk_post(body, endpoint, token) == (200, "ok")
    assert the_content(server, source_id, foreign_id)["read"] is False
    res = postMessageToEngage({"action": "status.mark_as_read", "params": {"id": foreign_id}}, endpoint, token)
    assert (res.status_code, res.text) == (200, "ok")
    assert the_content(server, source_id, foreign_id)["read"] is True
    # A foreign id the source never sent is a resource error, not a silent success.
    status, text = sdk_post({"action": "status.mark_as_read", "params": {"id": "never-sent"}}, endpoint, token)
    assert status == 422 and text.startswith("Invalid resource format: "), (status, text)


def test_python_sdk_typing_start_twice_on_one_thread_is_429(server):
    source_id, token, endpoint = new_source(server)
    body = message("Typing soon")
    thread = body["params"]["thread_id"]
    assert sdk_post(body, endpoint, token) == (200, "ok")
    start = {"action": "typing.start", "params": {"thread_id": thread, "preview": "Hel"}}
    res = postMessageToEngage(start, endpoint, token)
    assert (res.status_code, res.text) == (200, "ok")
    with pytest.raises(Exception) as raised:
        postMessageToEngage(start, endpoint, token)
    assert sdk_failure(raised.value) == (429, TOO_MANY_TYPING)
    # The limit is per thread: another thread of the same source may start at once.
    assert sdk_post({"action": "typing.start", "params": {"thread_id": "other-" + uuid.uuid4().hex, "preview": "Hi"}}, endpoint, token) == (200, "ok")


def test_python_sdk_typing_stop_lets_typing_start_again(server):
    _, token, endpoint = new_source(server)
    thread = "thread-" + uuid.uuid4().hex
    start = {"action": "typing.start", "params": {"thread_id": thread, "preview": "Hel"}}
    stop = {"action": "typing.stop", "params": {"thread_id": thread}}
    assert sdk_post(start, endpoint, token) == (200, "ok")
    assert sdk_post(start, endpoint, token) == (429, TOO_MANY_TYPING)
    assert sdk_post(stop, endpoint, token) == (200, "ok")
    assert sdk_post(start, endpoint, token) == (200, "ok")
    # ... and that start opened a new window.
    assert sdk_post(start, endpoint, token) == (429, TOO_MANY_TYPING)


def sized_message(total_bytes):
    """A signed-ready messages.create body of exactly `total_bytes` bytes."""
    body = message("")
    empty = len(parseDict(body))
    body["params"]["body"] = "x" * (total_bytes - empty)
    data = parseDict(body)
    assert len(data) == total_bytes
    return data


def test_a_body_over_20_mib_is_413(server):
    source_id, token, endpoint = new_source(server)
    data = sized_message(MAX_BODY + 1)
    res = requests.post(endpoint, data=data, headers={"Content-Type": "application/json", "X-SMCCSDK-SIGNATURE": hmac_hex(token, data)})
    assert (res.status_code, res.text) == (413, "Invalid request size (max: 20971520 bytes)")
    # The same without a Content-Length (chunked): the size is counted as the body arrives.
    chunks = (data[i : i + 65536] for i in range(0, len(data), 65536))
    res = requests.post(endpoint, data=chunks, headers={"Content-Type": "application/json", "X-SMCCSDK-SIGNATURE": hmac_hex(token, data)})
    assert res.request.headers.get("Transfer-Encoding") == "chunked"
    assert (res.status_code, res.text) == (413, "Invalid request size (max: 20971520 bytes)")
    # At exactly the limit the size is accepted and the content is judged (its body is too long).
    data = sized_message(MAX_BODY)
    res = requests.post(endpoint, data=data, headers={"Content-Type": "application/json", "X-SMCCSDK-SIGNATURE": hmac_hex(token, data)})
    assert res.status_code == 422 and res.text.startswith("Invalid resource format: "), (res.status_code, res.text[:200])
    assert contents(server, source_id) == []


def test_python_sdk_body_without_params_is_400(server):
    source_id, token, endpoint = new_source(server)
    with pytest.raises(Exception) as raised:
        postMessageToEngage({"action": "messages.create"}, endpoint, token)
    status, text = sdk_failure(raised.value)
    assert status == 400 and text.startswith("Invalid request format: "), (status, text)
    # Not JSON at all, signed all the same.
    data = b"action=messages.create"
    res = requests.post(endpoint, data=data, headers={"X-SMCCSDK-SIGNATURE": hmac_hex(token, data)})
    assert (res.status_code, res.text) == (400, "Bad request")
    assert contents(server, source_id) == []


def test_an_unsigned_body_is_422_invalid_signature(server):
    source_id, token, endpoint = new_source(server)
    data = parseDict(message("unsigned"))
    res = requests.post(endpoint, data=data, headers={"Content-Type": "application/json"})
    assert (res.status_code, res.text) == (422, "Invalid signature")
    # The same bytes signed in the query string instead are accepted.
    res = requests.post(endpoint, params={"signature": hmac_hex(token, data)}, data=data, headers={"Content-Type": "application/json"})
    assert (res.status_code, res.text) == (200, "ok")
    assert [r["body"] for r in contents(server, source_id)] == ["unsigned"]


def test_python_sdk_non_ascii_body_verifies_and_round_trips(server):
    source_id, token, endpoint = new_source(server)
    body = message(NON_ASCII, screenname="Zoë 山田")
    wire = parseDict(body)
    # The SDK really sends ASCII-escaped JSON: this is the \uXXXX (and surrogate pair) path.
    assert wire.isascii() and b"\\u00e9" in wire and b"\\ud83c\\udf89" in wire
    res = postMessageToEngage(body, endpoint, token)
    assert (res.status_code, res.text) == (200, "ok")
    record = the_content(server, source_id, body["params"]["id"])
    assert record["body"] == NON_ASCII
    assert identity(server, record["authorIdentityId"])["screenName"] == "Zoë 山田"


# --- JavaScript SDK (J7) ---------------------------------------------------------------------


def test_js_sdk_non_ascii_message_create_verifies_and_round_trips(server):
    source_id, token, endpoint = new_source(server)
    body = message(NON_ASCII, screenname="Zoë 山田")
    [res] = js_post(endpoint, token, body)
    assert (res["status"], res["body"]) == (200, "ok")
    # JSON.stringify keeps the text as raw UTF-8: the signature is over those bytes.
    assert "é" in res["sent"] and "🎉" in res["sent"] and "\\u" not in res["sent"]
    record = the_content(server, source_id, body["params"]["id"])
    assert (record["body"], record["type"], record["direction"]) == (NON_ASCII, "message", "inbound")
    author = identity(server, record["authorIdentityId"])
    assert (author["screenName"], author["foreignId"]) == ("Zoë 山田", body["params"]["author"]["id"])


def test_js_sdk_with_a_wrong_secret_is_422(server):
    source_id, token, endpoint = new_source(server)
    [res] = js_post(endpoint, secrets.token_hex(32), message("never imported"))
    assert (res["status"], res["body"]) == (422, "Invalid signature")
    assert contents(server, source_id) == []


def test_js_sdk_to_an_unknown_source_is_422(server):
    _, token, _ = new_source(server)
    [res] = js_post(f"{server.url}/realtime/sdk/{secrets.token_hex(12)}", token, message("nowhere"))
    assert (res["status"], res["body"]) == (422, "Source not found")


def test_js_sdk_typing_start_twice_on_one_thread_is_429(server):
    _, token, endpoint = new_source(server)
    start = {"action": "typing.start", "params": {"thread_id": "thread-" + uuid.uuid4().hex, "preview": "Typing…"}}
    first, second = js_post(endpoint, token, start, start)
    assert (first["status"], first["body"]) == (200, "ok")
    assert (second["status"], second["body"]) == (429, TOO_MANY_TYPING)


# --- Both ------------------------------------------------------------------------------------


def test_the_same_message_pushed_twice_is_imported_once(server):
    source_id, token, endpoint = new_source(server)
    body = message("Only once, é")
    assert sdk_post(body, endpoint, token) == (200, "ok")
    assert sdk_post(body, endpoint, token) == (200, "ok")
    # The JavaScript client's raw UTF-8 serialisation of the same message is the same message.
    [res] = js_post(endpoint, token, body)
    assert (res["status"], res["body"]) == (200, "ok")
    records = contents(server, source_id)
    assert [(r["foreignId"], r["body"]) for r in records] == [(body["params"]["id"], "Only once, é")]
    assert [i["foreignId"] for i in identities_of(server, source_id)] == [body["params"]["author"]["id"]]


def test_the_same_message_pushed_concurrently_is_imported_once(server):
    source_id, token, endpoint = new_source(server)
    body = message("Raced")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: sdk_post(body, endpoint, token), range(8)))
    assert answers == [(200, "ok")] * 8
    assert [r["foreignId"] for r in contents(server, source_id)] == [body["params"]["id"]]
    assert [i["foreignId"] for i in identities_of(server, source_id)] == [body["params"]["author"]["id"]]
