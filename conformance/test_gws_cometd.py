"""The GWS facade with the official CometD JavaScript client (npm `cometd` 9.0.0 +
`cometd-nodejs-client` 2.0.0, spec §A.10): Basic sign-in, a handshake with the session cookie,
`/v2/me/*`, and the agent's state change delivered as `ChannelStateChangeMessageV2`."""

import json
import pathlib
import subprocess
import uuid

import requests

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"
PASSWORD = "correct horse battery"


def add_agent(server):
    email = f"agent-{uuid.uuid4().hex[:10]}@example.com"
    res = requests.post(server.url + "/company/contacts", headers=server.headers(), json={"first_name": "Ann", "contacts": {"email": email}})
    assert res.status_code == 201, res.text
    user_id = res.json()["id"]
    res = requests.put(f"{server.url}/v1/users/{user_id}/password", headers=server.headers(), json={"password": PASSWORD})
    assert res.status_code == 204, res.text
    return email


def test_the_cometd_client_hears_its_agent_go_ready(server):
    assert (NODE_DIR / "node_modules" / "cometd").is_dir(), "run `npm ci` in conformance/node (conformance/run.sh does)"
    email = add_agent(server)
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
