"""The Twilio double (twilio_server.py) speaks Twilio's Messaging API as the official `twilio`
package expects it: its REST client sends through it and reads its answers and errors, and its
`RequestValidator` accepts the status callbacks and inbound webhooks the double signs. Tests of
Switchboard's `twilio` carrier rely on the double being faithful; this shows that it is.
"""

import json
import pathlib
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

HERE = pathlib.Path(__file__).resolve().parent
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "double-auth-token"
# Callbacks are posted by the double's own threads: a wait for them is generous, never a pace.
WAIT = 20


@pytest.fixture(scope="module")
def twilio():
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "twilio_server.py"), "--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith("listening "), line
    yield line.split()[1]
    proc.terminate()
    proc.wait(timeout=30)


class Receiver:
    """A webhook receiver that checks each request's signature as Twilio's docs tell receivers to."""

    def __init__(self):
        self.requests = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                url = receiver.url + self.path
                valid = RequestValidator(AUTH_TOKEN).validate(url, params, self.headers.get("X-Twilio-Signature", ""))
                with receiver.changed:
                    receiver.requests.append({"path": self.path, "params": params, "valid": valid})
                    receiver.changed.notify_all()
                twiml = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(twiml)))
                self.end_headers()
                self.wfile.write(twiml)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def wait_for(self, count):
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.requests) >= count, timeout=WAIT), self.requests
            return list(self.requests)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.http.shutdown()


def client(base, token=AUTH_TOKEN):
    c = Client(ACCOUNT_SID, token)
    c.api.base_url = base
    return c


def test_the_official_client_sends_through_it_and_the_status_callbacks_validate(twilio, receiver):
    callback = receiver.url + "/carriers/twilio/status?m=1"
    message = client(twilio).messages.create(
        to="+14155550100",
        from_="+14155550199",
        body="Your table is ready",
        media_url=["https://sms.example.com/files/1", "https://sms.example.com/files/2"],
        status_callback=callback,
    )
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert (message.to, message.from_, message.num_media) == ("+14155550100", "+14155550199", "2")

    received = json.load(urllib.request.urlopen(twilio + "/_test/received"))[-1]
    assert received["authorized"] and received["sid"] == message.sid
    assert [p for p in map(tuple, received["params"]) if p[0] == "MediaUrl"] == [
        ("MediaUrl", "https://sms.example.com/files/1"),
        ("MediaUrl", "https://sms.example.com/files/2"),
    ]

    callbacks = receiver.wait_for(2)
    assert [(c["path"], c["params"]["MessageStatus"], c["valid"]) for c in callbacks] == [
        ("/carriers/twilio/status?m=1", "sent", True),
        ("/carriers/twilio/status?m=1", "delivered", True),
    ]
    assert all(c["params"]["MessageSid"] == message.sid for c in callbacks)


def test_an_undeliverable_number_gets_an_undelivered_callback_with_its_error_code(twilio, receiver):
    client(twilio).messages.create(
        to="+15005550009", from_="+14155550199", body="hi", status_callback=receiver.url + "/status"
    )
    final = receiver.wait_for(2)[1]["params"]
    assert (final["MessageStatus"], final["ErrorCode"]) == ("undelivered", "30003")


def test_errors_are_twilios_as_the_client_reads_them(twilio):
    with pytest.raises(TwilioRestException) as refused:
        client(twilio).messages.create(to="+15005550001", from_="+14155550199", body="hi")
    assert (refused.value.status, refused.value.code) == (400, 21211)
    with pytest.raises(TwilioRestException) as unauthorized:
        client(twilio, token="wrong").messages.create(to="+14155550100", from_="+14155550199", body="hi")
    assert (unauthorized.value.status, unauthorized.value.code) == (401, 20003)
    fail = urllib.request.Request(twilio + "/_test/fail", data=json.dumps({"count": 1, "status": 429}).encode())
    urllib.request.urlopen(fail)
    with pytest.raises(TwilioRestException) as limited:
        client(twilio).messages.create(to="+14155550100", from_="+14155550199", body="hi")
    assert (limited.value.status, limited.value.code) == (429, 20429)


def test_an_inbound_message_is_posted_signed_with_its_media_served(twilio, receiver):
    spec = {
        "url": receiver.url + "/carriers/twilio/inbound",
        "from": "+14155550100",
        "to": "+14155550199",
        "body": "Hello",
        "media": [{"content_type": "image/png", "data_base64": "iVBORw0KGgo="}],
    }
    answer = json.load(urllib.request.urlopen(urllib.request.Request(twilio + "/_test/inbound", data=json.dumps(spec).encode())))
    assert (answer["status"], answer["body"]) == (200, '<?xml version="1.0" encoding="UTF-8"?><Response/>')
    posted = receiver.wait_for(1)[0]
    assert posted["valid"]
    params = posted["params"]
    assert (params["MessageSid"], params["From"], params["To"], params["Body"]) == (answer["sid"], "+14155550100", "+14155550199", "Hello")
    assert (params["NumMedia"], params["MediaContentType0"]) == ("1", "image/png")
    medium = urllib.request.urlopen(params["MediaUrl0"])
    assert (medium.headers["Content-Type"], medium.read()) == ("image/png", bytes.fromhex("89504e470d0a1a0a"))
