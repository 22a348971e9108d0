"""A local HTTP server in the shape of Twilio's Messaging REST API, for tests.

It receives `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` as Twilio does: HTTP Basic
with the account SID and auth token, form-encoded `To`, `From`, `Body`, `MediaUrl` (repeatable)
and `StatusCallback`. It answers as Twilio does (201 and the Message resource, `sid` "SM" and 32
hex digits, `status` "queued"; Twilio's error JSON otherwise) and then posts the status callbacks
`sent` and `delivered` to the message's `StatusCallback`, form-encoded and signed in
`X-Twilio-Signature` by the official `twilio` package's `RequestValidator.compute_signature`.

Test-only endpoints, under `/_test/`:
  GET  /_test/received   the message requests received, in order: {account_sid, authorized, params: [[name, value], ...], sid}
  GET  /_test/callbacks  the status callbacks posted, in order: {url, params, status} (status: the HTTP status, or an error text)
  POST /_test/fail       {"count": n, "status": 429|500|503}: the next n message requests fail so
  POST /_test/inbound    {"url", "from", "to", "body", "media": [{"content_type", "data_base64"}]}:
                         posts an inbound message webhook to `url` as Twilio does (signed), the
                         media served by this server; answers {"status", "content_type", "body", "sid"}

Twilio's own magic numbers choose other outcomes: a message to +15005550001 is refused (21211,
invalid number), to +15005550004 refused (21610, unsubscribed recipient); a message to
+15005550009 is accepted and then `undelivered` (30003).

Run: python twilio_server.py --account-sid AC... --auth-token TOKEN [--port 0]
The first line on stdout is `listening http://127.0.0.1:PORT`.
"""

import argparse
import base64
import email.utils
import hmac
import json
import re
import secrets
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
MEDIA = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)/Media/([^/]+)$")
API_VERSION = "2010-04-01"


def sid(prefix):
    return prefix + secrets.token_hex(16)


def now_rfc2822():
    return email.utils.formatdate(usegmt=True)


class Twilio:
    """What the server knows: its account, what it received and posted, what it is told to do."""

    def __init__(self, account_sid, auth_token):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        self.lock = threading.Lock()
        self.received = []
        self.callbacks = []
        self.failures = []  # HTTP statuses the next message requests answer with
        self.media = {}  # path -> (content type, bytes)
        self.base_url = None

    def post_form(self, url, params):
        """Posts `params` to `url` form-encoded and signed as Twilio signs its webhooks."""
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("X-Twilio-Signature", self.validator.compute_signature(url, dict(params)))
        request.add_header("User-Agent", "TwilioProxy/1.1")
        try:
            with urllib.request.urlopen(request, timeout=30) as res:
                return res.status, res.headers.get("Content-Type"), res.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode("utf-8", "replace")

    def status_callbacks(self, message, statuses):
        for status, error_code in statuses:
            params = [
                ("SmsSid", message["sid"]),
                ("SmsStatus", status),
                ("MessageStatus", status),
                ("To", message["to"]),
                ("MessageSid", message["sid"]),
                ("AccountSid", self.account_sid),
                ("From", message["from"]),
                ("ApiVersion", API_VERSION),
            ]
            if error_code:
                params.append(("ErrorCode", str(error_code)))
            try:
                code, _, _ = self.post_form(message["status_callback"], params)
            except Exception as e:  # recorded for the test to see, as Twilio's debugger would
                code = f"{type(e).__name__}: {e}"
            with self.lock:
                self.callbacks.append({"url": message["status_callback"], "params": params, "status": code})


def error_body(status, code, message):
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class Handler(BaseHTTPRequestHandler):
    server_version = "twilio-double/1"
    twilio: Twilio  # set on the class by main()

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def authorized(self):
        expected = "Basic " + base64.b64encode(f"{self.twilio.account_sid}:{self.twilio.auth_token}".encode()).decode()
        return hmac.compare_digest(self.headers.get("Authorization", ""), expected)

    def do_GET(self):
        t = self.twilio
        if self.path == "/_test/received":
            with t.lock:
                return self.answer(200, t.received)
        if self.path == "/_test/callbacks":
            with t.lock:
                return self.answer(200, t.callbacks)
        with t.lock:
            media = t.media.get(self.path)
        if media and MEDIA.match(self.path):
            return self.answer(200, media[1], media[0])
        self.answer(404, error_body(404, 20404, "The requested resource was not found"))

    def do_POST(self):
        t = self.twilio
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        if path == "/_test/fail":
            spec = json.loads(body)
            with t.lock:
                t.failures.extend([int(spec.get("status", 503))] * int(spec.get("count", 1)))
            return self.answer(200, {"ok": True})
        if path == "/_test/inbound":
            return self.inbound(json.loads(body))
        match = MESSAGES.match(path)
        if not match:
            return self.answer(404, error_body(404, 20404, "The requested resource was not found"))
        params = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
        authorized = self.authorized() and match.group(1) == t.account_sid
        record = {"account_sid": match.group(1), "authorized": authorized, "params": params, "sid": None}
        with t.lock:
            t.received.append(record)
            failure = t.failures.pop(0) if t.failures else None
        if not authorized:
            return self.answer(401, error_body(401, 20003, "Authenticate"))
        if failure == 429:
            return self.answer(429, error_body(429, 20429, "Too Many Requests"))
        if failure:
            return self.answer(failure, error_body(failure, 20500, "An internal server error has occurred"))
        form = {}
        for name, value in params:
            form.setdefault(name, []).append(value)
        one = lambda name: (form.get(name) or [""])[0]
        to, frm, text, media = one("To"), one("From"), one("Body"), form.get("MediaUrl", [])
        if not to:
            return self.answer(400, error_body(400, 21604, "A 'To' phone number is required."))
        if not frm:
            return self.answer(400, error_body(400, 21603, "A 'From' phone number is required."))
        if not text and not media:
            return self.answer(400, error_body(400, 21602, "Message body is required."))
        if not E164.match(to) or to == "+15005550001":
            return self.answer(400, error_body(400, 21211, f"Invalid 'To' Phone Number: {to}"))
        if to == "+15005550004":
            return self.answer(400, error_body(400, 21610, "Attempt to send to unsubscribed recipient"))
        message_sid = sid("SM")
        record["sid"] = message_sid
        now = now_rfc2822()
        uri = f"/2010-04-01/Accounts/{t.account_sid}/Messages/{message_sid}.json"
        self.answer(
            201,
            {
                "account_sid": t.account_sid,
                "api_version": API_VERSION,
                "body": text,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": frm,
                "messaging_service_sid": None,
                "num_media": str(len(media)),
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": message_sid,
                "status": "queued",
                "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
                "to": to,
                "uri": uri,
            },
        )
        callback = one("StatusCallback")
        if callback:
            final = [("undelivered", 30003)] if to == "+15005550009" else [("delivered", None)]
            message = {"sid": message_sid, "to": to, "from": frm, "status_callback": callback}
            threading.Thread(target=t.status_callbacks, args=(message, [("sent", None)] + final), daemon=True).start()

    def inbound(self, spec):
        t = self.twilio
        message_sid = spec.get("sid") or sid("MM" if spec.get("media") else "SM")
        params = [
            ("ToCountry", "US"),
            ("SmsMessageSid", message_sid),
            ("NumMedia", str(len(spec.get("media", [])))),
            ("SmsSid", message_sid),
            ("SmsStatus", "received"),
            ("Body", spec.get("body", "")),
            ("To", spec["to"]),
            ("NumSegments", "1"),
            ("MessageSid", message_sid),
            ("AccountSid", t.account_sid),
            ("From", spec["from"]),
            ("ApiVersion", API_VERSION),
        ]
        for i, medium in enumerate(spec.get("media", [])):
            path = f"/2010-04-01/Accounts/{t.account_sid}/Messages/{message_sid}/Media/{sid('ME')}"
            with t.lock:
                t.media[path] = (medium["content_type"], base64.b64decode(medium["data_base64"]))
            params.append((f"MediaContentType{i}", medium["content_type"]))
            params.append((f"MediaUrl{i}", t.base_url + path))
        status, content_type, body = t.post_form(spec["url"], params)
        self.answer(200, {"status": status, "content_type": content_type, "body": body, "sid": message_sid})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    Handler.twilio = Twilio(args.account_sid, args.auth_token)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    Handler.twilio.base_url = f"http://{args.host}:{server.server_address[1]}"
    print(f"listening {Handler.twilio.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
