"""A carrier simulator (`motcua carrier-sim`): a real HTTP server that plays the
postal carrier. It takes orders (idempotent on the sender's reference) and sends
signed tracking callbacks on a schedule: accepted, in transit, then delivered, or a
failed attempt with the given probability."""
import json
import logging
import random
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from shared.clock import TZ
from services.postal.carrier import sign

log = logging.getLogger("carrier-sim")


class CarrierSimulator:
    def __init__(self, secret, step_seconds=0.5, failure_rate=0.0, seed=None):
        self.secret = secret
        self.step_seconds = step_seconds
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.orders = {}       # waybill -> order
        self.by_reference = {}
        self.lock = threading.Lock()
        self.down = False      # tests can take the carrier "down"

    def create(self, body):
        with self.lock:
            if body["reference"] in self.by_reference:
                return self.by_reference[body["reference"]]
            waybill = f"EB{self.random.randrange(10**8, 10**9)}VN"
            order = {"waybill": waybill, "reference": body["reference"], "address": body["address"],
                     "callback_url": body["callback_url"], "postage": 25000, "history": []}
            self.orders[waybill] = order
            self.by_reference[body["reference"]] = order
        threading.Thread(target=self._deliver, args=(order,), daemon=True).start()
        return order

    def _deliver(self, order):
        steps = [("accepted", 0, None), ("in_transit", 0, None)]
        for attempt in (1, 2):
            if self.random.random() < self.failure_rate:
                steps.append(("failed", attempt, "Không liên lạc được người nhận"))
                if attempt == 2:
                    steps.append(("returned", attempt, "Hoàn về cơ quan"))
            else:
                steps.append(("delivered", attempt, None))
                break
        for status, attempt, reason in steps:
            time.sleep(self.step_seconds)
            self.callback(order, status, attempt, reason)

    def callback(self, order, status, attempt=0, reason=None, at=None):
        body = {"waybill": order["waybill"], "reference": order["reference"], "status": status,
                "attempt": attempt, "reason": reason, "at": (at or datetime.now(TZ)).isoformat(),
                "timestamp": int(time.time()), "callback_id": str(uuid.uuid4())}
        raw = json.dumps(body).encode()
        order["history"].append(body)
        for _ in range(20):  # the carrier retries its callbacks until we answer
            try:
                answer = requests.post(order["callback_url"], data=raw, timeout=5,
                                       headers={"Content-Type": "application/json",
                                                "X-Signature": sign(self.secret, raw)})
                if answer.status_code < 500:
                    return answer.status_code
            except requests.RequestException:
                pass
            time.sleep(self.step_seconds)
        log.warning("callback for %s (%s) never acknowledged", order["waybill"], status)
        return None


def make_server(sim, host="127.0.0.1", port=8010):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status, body):
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self):
            if sim.down:
                return self._answer(503, {"error": "carrier unavailable"})
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._answer(400, {"error": "bad json"})
            if self.path == "/orders":
                if not all(body.get(k) for k in ("reference", "address", "callback_url")):
                    return self._answer(400, {"error": "reference, address and callback_url are required"})
                order = sim.create(body)
                return self._answer(201, {"waybill": order["waybill"], "postage": order["postage"]})
            if self.path.startswith("/orders/") and self.path.endswith("/cancel"):
                return self._answer(200, {"cancelled": True})
            self._answer(404, {"error": "not found"})

        def do_GET(self):
            if self.path == "/health":
                return self._answer(200, {"status": "ok"})
            if self.path.startswith("/orders/"):
                order = sim.orders.get(self.path.split("/")[2])
                return self._answer(200, order) if order else self._answer(404, {"error": "unknown waybill"})
            self._answer(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return ThreadingHTTPServer((host, port), Handler)
