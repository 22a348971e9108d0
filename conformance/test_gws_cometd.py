"""The GWS facade with the official CometD JavaScript client (npm `cometd` 9.0.0 +
`cometd-nodejs-client` 2.0.0, spec §A.10): Basic sign-in, a handshake with the session cookie,
`/v2/me/*`, and the agent's state change delivered as `ChannelStateChangeMessageV2`; and, with
CSRF on, issue 12's first scenario end to end: a queue set up on the native API, a customer
message pushed by the official Python Channel SDK, offered to the agent on CometD, accepted,
answered to the SDK connector, completed."""

import json
import os
import pathlib
import subprocess
import uuid

import pytest
import requests
from conftest import _psql, _start, fresh_database
from test_sdk_polling import connector, free_port, until

# The SDK reads its secret from the environment when it is imported; the test passes the real one.
os.environ.setdefault("RINGCENTRAL_ENGAGE_DIGITAL_API_TOKEN", "conformance-suite-unused-default")
from ringcentral_engage_digital_source_sdk import postMessageToEngage  # noqa: E402

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"
PASSWORD = "correct horse battery"


def add_agent(server):
    email = f"agent-{uuid.uuid4().hex[:10]}@example.com"
    res = requests.post(server.url + "/company/contacts", headers=server.headers(), json={"first_name": "Ann", "contacts": {"email": email}})
    assert res.status_code == 201, res.text
    user_id = res.json()["id"]
    res = requests.put(f"{server.url}/v1/users/{user_id}/password", headers=server.headers(), json={"password": PASSWORD})
    assert res.status_code == 204, res.text
    return user_id, email


def test_the_cometd_client_hears_its_agent_go_ready(server):
    assert (NODE_DIR / "node_modules" / "cometd").is_dir(), "run `npm ci` in conformance/node (conformance/run.sh does)"
    _, email = add_agent(server)
    proc = subprocess.run(
        ["node", "cometd.mjs"],
        input=json.dumps({"url": server.url, "email": email, "password": PASSWORD}),
        capture_output=True,
        text=True,
        cwd=NODE_DIR,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["handshake"] is True
    assert out["subscribed"] is True
    assert out["start"] == {"status": 200, "body": {"statusCode": 0}}
    assert out["ready"] == {"status": 200, "body": {"statusCode": 0}}
    message = out["message"]
    assert message["channel"] == "/v2/me/channels"
    assert message["data"]["messageType"] == "ChannelStateChangeMessageV2"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def csrf_server(request):
    """A server of its own with `gws.csrf` on, on each backend."""
    workdir, database_url, drop = fresh_database(request.param, "switchboard-gws-csrf-")
    srv = _start(database_url, workdir, {"SWITCHBOARD_GWS__CSRF": "true"})
    yield srv
    srv.process.terminate()
    srv.process.wait(timeout=180)
    if drop:
        _psql(drop[0], f"DROP DATABASE IF EXISTS {drop[1]} WITH (FORCE)")


class Agent:
    """gws_agent.mjs, driven in JSON lines."""

    def __init__(self, config):
        self.proc = subprocess.Popen(["node", "gws_agent.mjs"], cwd=NODE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.send(config)

    def send(self, line):
        self.proc.stdin.write(json.dumps(line) + "\n")
        self.proc.stdin.flush()

    def next(self, step):
        line = self.proc.stdout.readline()
        assert line, f"the agent exited before {step}: {self.proc.stderr.read()}"
        out = json.loads(line)
        assert out["step"] == step, out
        return out


def test_an_agent_on_the_cometd_client_is_offered_a_connector_message_answers_it_and_completes(csrf_server):
    server = csrf_server
    port = free_port()
    res = requests.post(
        server.url + "/v1/sources",
        headers=server.headers(),
        json={
            "name": "GWS " + uuid.uuid4().hex[:8],
            "kind": "sdk",
            "base_uri": f"http://127.0.0.1:{port}/",
            "response_signature": "strict",
            "objects": {"messages": ["create"]},
        },
    )
    assert res.status_code == 201, res.text
    source = res.json()
    user_id, email = add_agent(server)
    queue = {"name": "support", "strategy": "round_robin", "members": [user_id], "feeds": [{"source_id": source["id"]}]}
    res = requests.post(server.url + "/v1/queues", headers=server.headers(), json=queue)
    assert res.status_code == 201, res.text

    info = {"objects": {"messages": ["create"], "private_messages": [], "threads": []}, "options": []}
    with connector("python", source["access_token"], port, {"info": info}) as conn:
        agent = Agent({"url": server.url, "email": email, "password": PASSWORD})
        try:
            ready = agent.next("ready")
            # CSRF on: the write without the token was refused and changed nothing (the
            # session started afterwards, with the token).
            assert ready["csrfHeader"] == "X-CSRF-TOKEN"
            assert ready["withoutToken"] == {"status": 403, "body": {"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"}}
            assert (ready["handshake"], ready["subscribed"]) == (True, True)
            assert ready["start"] == {"status": 200, "body": {"statusCode": 0}}
            assert ready["ready"] == {"status": 200, "body": {"statusCode": 0}}

            customer = {
                "action": "messages.create",
                "params": {"id": "msg-" + uuid.uuid4().hex, "body": "My parcel never came", "thread_id": "thread-" + uuid.uuid4().hex, "author": {"id": "cust-1", "screenname": "Jane Customer"}},
            }
            res = postMessageToEngage(customer, f"{server.url}/realtime/sdk/{source['id']}", source["access_token"])
            assert (res.status_code, res.text) == (200, "ok")

            answered = agent.next("answered")
            invitation = answered["invitation"]
            assert invitation["channel"] == "/v2/me/interactions"
            assert invitation["data"]["notificationType"] == "StatusChange"
            interaction = invitation["data"]["interaction"]
            assert (interaction["state"], interaction["capabilities"]) == ("Invited", ["Accept", "Reject"])
            assert answered["accept"] == {"status": 200, "body": {"status": "ok"}}
            assert answered["send"] == {"status": 200, "body": {"statusCode": 0}}

            created = until(lambda: conn.received("messages.create"), lambda r: len(r) == 1, "the answer reaching the connector")
            assert created[0]["params"]["body"] == "On it, from the CometD desktop!"
            assert created[0]["params"]["in_reply_to_id"] == customer["params"]["id"]

            agent.send({"do": "complete"})
            assert agent.next("done")["complete"] == {"status": 200, "body": {"statusCode": 0}}
            assert agent.proc.wait(timeout=30) == 0
        finally:
            if agent.proc.poll() is None:
                agent.proc.kill()
                agent.proc.wait()

    res = requests.get(f"{server.url}/v1/interactions/{interaction['id']}", headers=server.headers())
    assert res.status_code == 200, res.text
    assert (res.json()["state"], res.json()["agent_id"]) == ("completed", user_id)
