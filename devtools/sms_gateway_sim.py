"""A local HTTP server that plays an SMS gateway (development, tests, benchmark).

POST /messages {"to", "from", "text", "reference"} with `Authorization: Bearer KEY`
and `Idempotency-Key`. What it answers for a number follows a script set with
`script(phone, [...])` (or POST /control/script): `delivered` (200), `accepted`
(202, then a signed delivery receipt to the receipt URL), `temporary` (503),
`permanent` (400, invalid number), `slow` (waits, then delivers). Without a script:
`delivered`. A repeated Idempotency-Key gets the first answer again and sends
nothing: `sent` lists the SMS that reached phones, each with the monotonic time it arrived.
GET /control/sent[?since=N] shows them (from the N-th on), GET /control/count counts them.
"""

import json
import logging
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from devtools.fake_server import JsonHandler, Server
from shared.signing import sign

log = logging.getLogger(__name__)


class GatewaySimulator:
    def __init__(self, key="", receipt_url=None, secret="", slow_seconds=3.0, receipt_delay=0.05):
        self.key, self.receipt_url, self.secret = key, receipt_url, secret
        self.slow_seconds, self.receipt_delay = slow_seconds, receipt_delay
        self.scripts = {}  # phone -> answers still to give, in order
        self.answers = {}  # idempotency key -> (status, body)
        self.sent = []  # SMS that reached a phone
        self.requests = []  # every request: (phone, idempotency key)
        self.lock = threading.Lock()

    def script(self, phone, answers):
        with self.lock:
            self.scripts[phone] = list(answers)

    def _next(self, phone):
        with self.lock:
            answers = self.scripts.get(phone)
            return answers.pop(0) if answers else "delivered"

    def handle(self, headers, body):
        if self.key and headers.get("Authorization") != f"Bearer {self.key}":
            return 401, {"error": "invalid api key"}
        if not body.get("to") or not body.get("text"):
            return 400, {"error": "to and text are required"}
        key = headers.get("Idempotency-Key") or str(uuid.uuid4())
        with self.lock:
            self.requests.append((body["to"], key))
            if key in self.answers:
                return self.answers[key]
        behaviour = self._next(body["to"])
        if behaviour == "temporary":
            return 503, {"error": "upstream operator unavailable, try later"}
        if behaviour == "permanent":
            return 400, {"error": "invalid destination number"}
        if behaviour == "slow":
            time.sleep(self.slow_seconds)  # the SMS still goes out, whoever waited for the answer
        answer = (
            202 if behaviour == "accepted" else 200,
            {"id": "gw-" + uuid.uuid4().hex[:12], "status": behaviour if behaviour == "accepted" else "delivered"},
        )
        with self.lock:
            if key in self.answers:  # a concurrent duplicate won
                return self.answers[key]
            self.answers[key] = answer
            self.sent.append(
                {
                    "to": body["to"],
                    "from": body.get("from"),
                    "text": body["text"],
                    "reference": body.get("reference"),
                    "id": answer[1]["id"],
                    "key": key,
                    "at": time.monotonic(),
                }
            )
        if behaviour == "accepted" and self.receipt_url:
            threading.Thread(target=self._receipt, args=(answer[1]["id"], body.get("reference")), daemon=True).start()
        return answer

    def _receipt(self, gateway_id, reference):
        time.sleep(self.receipt_delay)
        raw = json.dumps(
            {"id": gateway_id, "reference": reference, "status": "delivered", "timestamp": int(time.time())}
        ).encode()
        try:
            requests.post(
                self.receipt_url,
                data=raw,
                timeout=10,
                headers={"Content-Type": "application/json", "X-Signature": sign(self.secret, raw)},
            )
        except requests.RequestException as exc:
            log.warning("receipt for %s not delivered: %s", gateway_id, exc)


def make_server(sim, host="127.0.0.1", port=8011):
    class Handler(JsonHandler):
        def do_POST(self):
            body = self.json_body()
            if not isinstance(body, dict):
                return self.answer(400, {"error": "malformed JSON"})
            if self.path == "/messages":
                return self.answer(*sim.handle(self.headers, body))
            if self.path == "/control/script":
                sim.script(body["to"], body["answers"])
                return self.answer(200, {})
            self.answer(404, {"error": "not found"})

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/control/sent":
                since = parse_qs(url.query).get("since", ["0"])[0]
                if not (since.isascii() and since.isdigit()):
                    return self.answer(400, {"error": "since must be a whole number"})
                return self.answer(200, {"sent": sim.sent[int(since) :], "requests": len(sim.requests)})
            if url.path == "/control/count":
                return self.answer(200, {"sent": len(sim.sent), "requests": len(sim.requests)})
            self.answer(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return Server((host, port), Handler)
