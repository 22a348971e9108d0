"""socket.io at /ws with the real clients: python-socketio (seeds/003's own snippet, path
`/ws/`) and npm socket.io-client (path `/ws`, websocket transport, as seeds/003 shows it)."""

import json
import os
import pathlib
import queue
import subprocess
import uuid

import requests
import socketio

from conftest import BIN

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"
WAIT = 30


def add_contact(server):
    """Produces an event through the HTTP API: a new contact raises `user.created`."""
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    res = requests.post(server.url + "/company/contacts", headers=server.headers(), json={"first_name": "Sam", "contacts": {"email": email}})
    assert res.status_code == 201, res.text
    return email


class Recorder:
    """A python-socketio client wired as in seeds/003: authenticate on connect."""

    def __init__(self, server, token, last_seq=None):
        self.events = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        auth = {"token": token, "user_email": "owner@example.com"}
        if last_seq is not None:
            auth["last_seq"] = last_seq

        @self.sio.event
        def connect():
            self.sio.emit("authenticate", auth)

        @self.sio.event
        def disconnect(*_):
            self.events.put(("disconnect", None))

        @self.sio.on("*")
        def any_event(event, data):
            self.events.put((event, data))

        self.sio.connect(server.url, socketio_path="/ws/")

    def next(self, name):
        while True:
            event, data = self.events.get(timeout=WAIT)
            if event == name:
                return data

    def close(self):
        self.sio.disconnect()


def test_python_client_authenticates_and_receives_an_event_produced_over_http(server):
    client = Recorder(server, server.api_key)
    try:
        assert client.next("authenticated")["company_id"] == server.company_id
        email = add_contact(server)
        while True:
            user = client.next("user.created")
            if user["email"] == email:
                break
        assert isinstance(user["seq"], int)
    finally:
        client.close()


def test_python_client_with_a_bad_token_is_unauthorized_then_disconnected(server):
    client = Recorder(server, "sbk_not-a-key")
    try:
        assert "message" in client.next("unauthorized")
        client.next("disconnect")
    finally:
        client.close()


def test_python_client_resumes_with_last_seq_and_gets_what_it_missed(server):
    client = Recorder(server, server.api_key)
    client.next("authenticated")
    first = add_contact(server)
    seen = client.next("user.created")
    assert seen["email"] == first
    client.close()

    missed = add_contact(server)
    again = Recorder(server, server.api_key, last_seq=seen["seq"])
    try:
        again.next("authenticated")
        replayed = again.next("user.created")
        assert replayed["email"] == missed
        assert replayed["seq"] > seen["seq"]
    finally:
        again.close()


def test_python_client_may_authenticate_in_the_handshake(server):
    events = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("authenticated", lambda data: events.put(data))
    sio.connect(server.url, socketio_path="/ws", auth={"token": server.api_key})
    try:
        assert events.get(timeout=WAIT)["company_id"] == server.company_id
    finally:
        sio.disconnect()


def test_mark_as_read_of_an_unknown_conversation_is_acknowledged_with_its_error(server):
    client = Recorder(server, server.api_key)
    try:
        client.next("authenticated")
        answer = client.sio.call("texting.message.markAsRead", {"conversation_id": "x", "messagesIds": []}, timeout=WAIT)
        assert answer["status"] == 404
        assert "conversation" in answer["error"]
    finally:
        client.close()


def node(script_input):
    assert (NODE_DIR / "node_modules" / "socket.io-client").is_dir(), "run `npm ci` in conformance/node (conformance/run.sh does)"
    proc = subprocess.run(["node", "socketio.js"], input=json.dumps(script_input), capture_output=True, text=True, cwd=NODE_DIR, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_js_client_authenticates_receives_an_event_and_resumes(server):
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    out = node({"url": server.url, "token": server.api_key, "email": email, "api_key": server.api_key})
    assert out["authenticated"]["company_id"] == server.company_id
    assert out["live"]["email"] == email
    assert out["resumed"]["seq"] == out["live"]["seq"]
    assert out["resumed"]["email"] == email


def test_js_client_with_a_bad_token_is_unauthorized(server):
    out = node({"url": server.url, "token": "nope", "email": None, "api_key": server.api_key})
    assert "message" in out["unauthorized"]
    assert out["disconnected"] is True


def test_python_client_that_never_authenticates_is_disconnected(server):
    gone = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("disconnect", lambda *_: gone.put(True))
    sio.connect(server.url, socketio_path="/ws/")
    try:
        # The server allows 5 s; the bound here is only there so a failure cannot hang the suite.
        assert gone.get(timeout=WAIT)
    finally:
        sio.disconnect()


def test_python_client_gets_the_authentication_outcome_as_an_acknowledgement(server):
    sio = socketio.Client(reconnection=False)
    sio.connect(server.url, socketio_path="/ws/")
    try:
        assert sio.call("authenticate", {"token": server.api_key}, timeout=WAIT) == {"status": "authenticated"}
    finally:
        sio.disconnect()


def test_a_socket_gets_only_its_own_companys_events(server):
    """Company B's socket, with B's key: A's event (produced first) never reaches it, B's does."""
    made = subprocess.run(
        [BIN, "--database-url", server.database_url, "company", "create", "--name", "Other Corp", "--email", f"owner-{uuid.uuid4().hex[:8]}@other.example"],
        capture_output=True, text=True, check=True, env={"PATH": os.environ.get("PATH", "")}, cwd=server.workdir,
    )
    other = json.loads(made.stdout)
    client = Recorder(server, other["api_key"])
    try:
        assert client.next("authenticated")["company_id"] == other["company_id"]
        add_contact(server)
        email = f"{uuid.uuid4().hex[:12]}@other.example"
        res = requests.post(server.url + "/company/contacts", headers={"Authorization": "Bearer " + other["api_key"], "X-User-Id": "primary"}, json={"first_name": "Bo", "contacts": {"email": email}})
        assert res.status_code == 201, res.text
        user = client.next("user.created")
        assert user["email"] == email, "the first user.created on B's socket is B's own"
        assert user["company_id"] == other["company_id"]
    finally:
        client.close()
