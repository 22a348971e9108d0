"""Switchboard polling and exporting to connectors built on the official Channel SDKs, each run
with its own `rces` CLI on a loopback port and serving our fixtures (connectors/): spec §10.1
P1–P3, P5, P6 with PyPI `ringcentral_engage_digital_source_sdk`, and §10.2 J1–J3, J6 with npm
`ringcentral-engage-source`. The SDKs verify Switchboard's signatures over their own
re-serialisation of the body and sign their answers, which sources here check strictly.

Not covered here: P4/J4 (`show`; Switchboard never sends it), J5 (bodies over 100 kB; agent
bodies are capped at 20,000 characters), `messaging.queuing_update` (an engine function with no
HTTP trigger; tested against the Rust fake connector).
"""

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests

HERE = pathlib.Path(__file__).resolve().parent
CONNECTORS = HERE / "connectors"
PY_RCES = pathlib.Path(sys.executable).parent / "rces"
JS_RCES = HERE / "node" / "node_modules" / ".bin" / "rces"
ADVANCED = "/engage/advanced-messaging/v1"

INFO = {
    "objects": {"messages": ["create", "list", "show", "mark_spam"], "private_messages": ["create", "list"], "threads": ["create", "list"]},
    "options": ["messages.text"],
    "locales": {"default": {"mark_spam": "Spam"}, "fr": {"mark_spam": "Pourriel"}},
}


def author(i="cust-1"):
    return {"id": i, "screenname": "Zoë Client"}


def msg(i, body, actions=None):
    m = {"id": i, "thread_id": "t1", "author": author(), "body": body, "format": "text"}
    if actions:
        m["actions"] = actions
    return m


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connector:
    def __init__(self, base_uri, log):
        self.base_uri = base_uri
        self.log = log

    def received(self, action):
        if not self.log.exists():
            return []
        lines = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        return [b for b in lines if b.get("action") == action]


@contextlib.contextmanager
def connector(kind, token, port, fixtures, extra_env=None):
    """Runs an SDK connector on `port` with our fixtures, from an empty directory (so no stray
    .env is loaded); stops its whole process group (Flask's reloader forks a child)."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="switchboard-connector-"))
    (workdir / "fixtures.json").write_text(json.dumps(fixtures), encoding="utf-8")
    log = workdir / "requests.jsonl"
    env = {"PATH": os.environ.get("PATH", ""), "CONNECTOR_FIXTURES": str(workdir / "fixtures.json"), "CONNECTOR_LOG": str(log)}
    if token is not None:
        env["RINGCENTRAL_ENGAGE_DIGITAL_API_TOKEN"] = token
    if kind == "python":
        env.update({"HOST": "127.0.0.1", "PORT": str(port)})
        cmd = [str(PY_RCES), str(CONNECTORS / "python_connector.py")]
    else:
        env.update({"RINGCENTRAL_ENGAGE_SOURCE_EXPRESS_HOST": "127.0.0.1", "RINGCENTRAL_ENGAGE_SOURCE_EXPRESS_PORT": str(port)})
        cmd = [str(JS_RCES), str(CONNECTORS / "js_connector.js")]
    env.update(extra_env or {})
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the {kind} connector exited"
            try:
                if requests.get(f"http://127.0.0.1:{port}/test", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"the {kind} connector never became ready"
            time.sleep(0.2)
        yield Connector(f"http://127.0.0.1:{port}/", log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def new_source(server, port, **settings):
    body = {"name": "Polling " + uuid.uuid4().hex[:8], "kind": "sdk", "base_uri": f"http://127.0.0.1:{port}/", "response_signature": "strict"}
    body.update(settings)
    res = requests.post(server.url + "/v1/sources", headers=server.headers(), json=body)
    assert res.status_code == 201, res.text
    return res.json()


def until(fetch, done, what):
    deadline = time.monotonic() + 90
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"{what} never happened: {value}"
        time.sleep(0.1)


def sync(server, source):
    res = requests.post(f"{server.url}/v1/sources/{source['id']}/sync", headers=server.headers())
    assert res.status_code == 202, res.text
    path = f"{server.url}/v1/sources/{source['id']}/syncs/{res.json()['id']}"
    return until(lambda: requests.get(path, headers=server.headers()).json(), lambda r: r["status"] in ("succeeded", "failed"), "the sync run")


def contents(server, source):
    res = requests.get(f"{server.url}{ADVANCED}/contents", headers=server.headers(), params={"source": source["id"], "perPage": 100})
    assert res.status_code == 200, res.text
    return res.json()["records"]


def reply(server, source, foreign_id, body):
    parent = next(c for c in contents(server, source) if c["foreignId"] == foreign_id)
    res = requests.post(f"{server.url}{ADVANCED}/contents", headers=server.headers(), json={"body": body, "inReplyToId": parent["id"]})
    assert res.status_code == 201, res.text
    content_id = res.json()["id"]
    path = f"{server.url}/v1/contents/{content_id}"
    return until(lambda: requests.get(path, headers=server.headers()).json(), lambda c: c["export_status"] != "pending", "the export")


def patch(server, source, **fields):
    res = requests.patch(f"{server.url}/v1/sources/{source['id']}", headers=server.headers(), json=fields)
    assert res.status_code == 200, res.text


# --- Python SDK (§10.1) --------------------------------------------------------------------


def test_p1_p2_python_info_and_lists_import_with_since_id_and_skip_invalid_items(server):
    port = free_port()
    source = new_source(server, port, json_escaping="ascii")
    fixtures = {"info": INFO, "lists": {"messages": [msg("m3", "trois"), {"id": "m2", "thread_id": "t1", "body": "no author"}, msg("m1", "un")]}}
    with connector("python", source["access_token"], port, fixtures) as conn:
        run = sync(server, source)
        assert run["status"] == "succeeded", run
        assert (run["counts"]["imported"], run["counts"]["skipped"], run["counts"]["signature_mismatches"]) == (2, 1, 0)
        shown = requests.get(f"{server.url}/v1/sources/{source['id']}", headers=server.headers()).json()
        assert shown["objects"] == INFO["objects"] and shown["options"] == INFO["options"] and shown["locales"] == INFO["locales"]
        assert shown["last_sync"]["id"] == run["id"]
        assert sorted(c["foreignId"] for c in contents(server, source)) == ["m1", "m3"]
        assert sync(server, source)["status"] == "succeeded"
        lists = conn.received("messages.list")
        assert "since_id" not in lists[0].get("params", {})
        assert lists[-1]["params"]["since_id"] == "m3"


def test_p3_python_verifies_only_ascii_escaped_bodies(server):
    port = free_port()
    source = new_source(server, port)
    with connector("python", source["access_token"], port, {"info": INFO, "lists": {"messages": [msg("m1", "Bonjour")]}}) as conn:
        assert sync(server, source)["status"] == "succeeded"
        refused = reply(server, source, "m1", "Café é")
        assert (refused["export_status"], refused["export_attempts"]) == ("failed", 3), refused
        assert "HTTP 422: not valid" in refused["export_error"]
        assert conn.received("messages.create") == []
        patch(server, source, json_escaping="ascii")
        sent = reply(server, source, "m1", "Café é 🎉")
        assert sent["export_status"] == "exported", sent
        assert sent["foreign_id"] == "py-" + sent["id"]
        create = conn.received("messages.create")[0]["params"]
        assert (create["body"], create["retry"], create["content_id"], create["in_reply_to_id"], create["thread_id"]) == ("Café é 🎉", False, sent["id"], "m1", "t1")


def test_p5_p6_python_answers_without_id_and_resource_errors(server):
    port = free_port()
    fixtures = {
        "info": INFO,
        "lists": {"messages": [msg("m1", "Hello")]},
        "replies": {"messages.create": [{}, {}, {}, {"error": {"fatal": False, "message": "Unable to save message."}}, {"id": "saved-1"}, {"error": {"fatal": True, "message": "Thread closed"}}]},
    }
    source = new_source(server, port, json_escaping="ascii")
    with connector("python", source["access_token"], port, fixtures) as conn:
        assert sync(server, source)["status"] == "succeeded"
        no_id = reply(server, source, "m1", "first")
        assert (no_id["export_status"], no_id["export_attempts"], no_id["foreign_id"]) == ("failed", 3, None), no_id
        assert "no 'id'" in no_id["export_error"]
        retried = reply(server, source, "m1", "second")
        assert (retried["export_status"], retried["export_attempts"], retried["foreign_id"]) == ("exported", 2, "saved-1"), retried
        fatal = reply(server, source, "m1", "third")
        assert (fatal["export_status"], fatal["export_attempts"]) == ("failed", 1), fatal
        assert "Thread closed" in fatal["export_error"]
        creates = conn.received("messages.create")
        assert [c["params"]["retry"] for c in creates] == [False, True, True, False, True, False]
        assert len({c["params"]["content_id"] for c in creates[3:5]}) == 1


# --- JavaScript SDK (§10.2) ----------------------------------------------------------------


def test_j1_j2_js_imports_and_verifies_only_raw_utf8_bodies(server):
    port = free_port()
    source = new_source(server, port)
    fixtures = {"info": INFO, "lists": {"messages": [msg("m2", "Ça va ?"), msg("m1", "Salut")]}, "page_size": 1}
    with connector("js", source["access_token"], port, fixtures) as conn:
        run = sync(server, source)
        assert run["status"] == "succeeded", run
        assert (run["counts"]["imported"], run["counts"]["pages"]) == (2, 2)
        assert [b.get("params", {}).get("since_id") for b in conn.received("messages.list")] == [None, "m1", "m2"]
        sent = reply(server, source, "m2", "Très bien 🎉")
        assert (sent["export_status"], sent["foreign_id"]) == ("exported", "js-" + sent["id"]), sent
        assert conn.received("messages.create")[0]["params"]["body"] == "Très bien 🎉"
        patch(server, source, json_escaping="ascii")
        refused = reply(server, source, "m2", "Très mal")
        assert (refused["export_status"], refused["export_attempts"]) == ("failed", 3), refused
        assert "Invalid signature" in refused["export_error"]


def test_j3_js_custom_actions_declared_by_the_connector(server):
    port = free_port()
    source = new_source(server, port)
    fixtures = {"info": INFO, "lists": {"messages": [msg("m1", "Buy now!", actions=["mark_spam"])]}}
    with connector("js", source["access_token"], port, fixtures, {"CUSTOM_ACTIONS": "mark_spam"}) as conn:
        assert sync(server, source)["status"] == "succeeded"
        content = next(c for c in contents(server, source) if c["foreignId"] == "m1")
        res = requests.post(f"{server.url}/v1/contents/{content['id']}/actions/mark_spam", headers=server.headers(), json={"user_id": "agent-7"})
        assert res.status_code == 202, res.text
        done = until(lambda: conn.received("messages.mark_spam"), bool, "the custom action")
        assert done[0]["params"] == {"id": "m1", "user_id": "agent-7"}
        res = requests.post(f"{server.url}/v1/contents/{content['id']}/actions/publish", headers=server.headers(), json={"user_id": "agent-7"})
        assert res.status_code == 400 and "not an action the source allows" in res.json()["detail"]


def test_j6_js_connector_without_its_secret_never_answers_and_the_run_fails(server):
    # Without its secret the SDK throws while signing, inside an async handler: the request
    # hangs (old Node) or the process dies on the unhandled rejection (current Node). Either
    # way Switchboard gets no answer (a time-out or a dropped connection) and says so.
    port = free_port()
    source = new_source(server, port)
    with connector("js", None, port, {"info": INFO}):
        run = sync(server, source)
        assert run["status"] == "failed"
        assert "implementation.info failed: no answer from the connector" in run["error"], run
