"""A carrier simulator (`motcua carrier-sim`): a real HTTP server that plays a
VNPost-style postal carrier, in tests and in `motcua up`.

It takes orders (idempotent on the sender's reference: the same reference always
gives the same waybill), and sends signed tracking callbacks on a compressed
schedule, one step every `step_seconds`:

- a delivery: accepted, in_transit, then delivered, or a failed attempt with
  probability `failure_rate`, a second attempt, and after a second failure the
  return to the agency;
- a pickup: accepted, collected (with the fees collected), in_transit, handed_over.

Tests steer it, in-process through the constructor and `configure()`, or over HTTP:
`POST /control` {down, delay_seconds, failure_rate, step_seconds, schedule}
(schedule: "auto", "manual" (no callbacks of its own), or a list of delivery
steps such as ["accepted", {"status": "failed", "attempt": 1}, ...]);
`POST /control/orders/<waybill>/callback` {status, attempt, reason, at} sends one
signed callback now and answers what the receiver said; `GET /control` shows the
settings and every order request received.
"""

import json
import logging
import random
import threading
import time
import uuid
from typing import Any

import requests

from devtools.fake_server import JsonHandler, Server
from shared import clock
from shared.signing import sign

log = logging.getLogger("carrier-sim")

PICKUP_STEPS = [{"status": "accepted"}, {"status": "collected"}, {"status": "in_transit"}, {"status": "handed_over"}]
SETTINGS = ("down", "delay_seconds", "failure_rate", "step_seconds", "schedule")


def _step(step):
    return {"status": step} if isinstance(step, str) else dict(step)


class CarrierSimulator:
    def __init__(
        self,
        secret,
        step_seconds=0.5,
        failure_rate=0.0,
        seed=None,
        api_key=None,
        delay_seconds=0.0,
        down=False,
        schedule="auto",
        callback_patience_seconds=120.0,
    ):
        self.secret, self.api_key = secret, api_key
        self.step_seconds, self.failure_rate = step_seconds, failure_rate
        self.delay_seconds, self.down = delay_seconds, down  # slow or "down" carrier
        self.schedule = schedule
        self.callback_patience_seconds = callback_patience_seconds
        self.random = random.Random(seed)
        self.orders = {}  # waybill -> order
        self.by_reference = {}
        self.requests = []  # every order request received: (reference, kind)
        self.lock = threading.Lock()

    def configure(self, **settings):
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for name, value in settings.items():
            setattr(self, name, value)

    def settings(self):
        return {name: getattr(self, name) for name in SETTINGS}

    def create(self, body):
        """The order for the body's reference, created on first sight. Returns (order, new)."""
        with self.lock:
            self.requests.append((body["reference"], body.get("kind", "delivery")))
            if body["reference"] in self.by_reference:
                return self.by_reference[body["reference"]], False
            waybill = f"EB{self.random.randrange(10**8, 10**9)}VN"
            kind = body.get("kind", "delivery")
            order = {
                "waybill": waybill,
                "reference": body["reference"],
                "kind": kind,
                "address": body["address"],
                "callback_url": body["callback_url"],
                "collect_amount": int(body.get("collect_amount") or 0),
                "postage": 25000 if kind == "delivery" else 30000,
                "status": "created",
                "history": [],
            }
            self.orders[waybill] = order
            self.by_reference[body["reference"]] = order
        if self.schedule != "manual":
            threading.Thread(target=self._run_schedule, args=(order, self._steps(order)), daemon=True).start()
        return order, True

    def _steps(self, order):
        if order["kind"] == "pickup":
            return [
                dict(s, collected_amount=order["collect_amount"]) if s["status"] == "collected" else dict(s)
                for s in PICKUP_STEPS
            ]
        if isinstance(self.schedule, list):
            return [_step(s) for s in self.schedule]
        steps: list[dict[str, Any]] = [{"status": "accepted"}, {"status": "in_transit"}]
        for attempt in (1, 2):
            if self.random.random() < self.failure_rate:
                steps.append({"status": "failed", "attempt": attempt, "reason": "Không liên lạc được người nhận"})
                if attempt == 2:
                    steps.append({"status": "returned", "attempt": attempt, "reason": "Hoàn về cơ quan"})
            else:
                steps.append({"status": "delivered", "attempt": attempt})
                break
        return steps

    def _run_schedule(self, order, steps):
        for step in steps:
            time.sleep(self.step_seconds)
            if order["status"] == "cancelled":
                return
            self.callback(order, **step)

    def callback(self, order, status, attempt=0, reason=None, at=None, collected_amount=None, patient=True):
        """Send one signed tracking callback; the carrier retries (growing pauses)
        until the receiver answers something other than a 5xx or the patience runs
        out. Returns (status code, body) of the last answer, or None."""
        body = {
            "waybill": order["waybill"],
            "reference": order["reference"],
            "status": status,
            "attempt": attempt,
            "reason": reason,
            "at": at or clock.now().isoformat(),
            "timestamp": int(time.time()),
            "callback_id": str(uuid.uuid4()),
            "postage": order["postage"],
        }
        if collected_amount is not None:
            body["collected_amount"] = collected_amount
        raw = json.dumps(body, ensure_ascii=False).encode()
        order["history"].append(body)
        if status in ("delivered", "returned", "handed_over", "cancelled"):
            order["status"] = status
        deadline = time.monotonic() + (self.callback_patience_seconds if patient else 0)
        pause = 0.1
        while True:
            try:
                answer = requests.post(
                    order["callback_url"],
                    data=raw,
                    timeout=10,
                    headers={"Content-Type": "application/json", "X-Signature": sign(self.secret, raw)},
                )
                if answer.status_code < 500:
                    return answer.status_code, _json_or_text(answer)
            except requests.RequestException:
                answer = None
            if time.monotonic() > deadline:
                log.warning("callback for %s (%s) never acknowledged", order["waybill"], status)
                return (answer.status_code, _json_or_text(answer)) if answer is not None else None
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _json_or_text(response):
    try:
        return response.json()
    except ValueError:
        return response.text


def make_server(sim, host="127.0.0.1", port=8010):
    class Handler(JsonHandler):
        def _authorised(self):
            return not sim.api_key or self.headers.get("Authorization") == f"Bearer {sim.api_key}"

        def do_POST(self):
            body = self.json_body()
            if body is None:
                return self.answer(400, {"error": "bad json"})
            if self.path.startswith("/control"):
                return self._control(body)
            if sim.down:
                return self.answer(503, {"error": "carrier unavailable"})
            if not self._authorised():
                return self.answer(401, {"error": "bad api key"})
            if self.path == "/orders":
                if not all(body.get(k) for k in ("reference", "address", "callback_url")):
                    return self.answer(400, {"error": "reference, address and callback_url are required"})
                order, new = sim.create(body)
                time.sleep(sim.delay_seconds)  # a slow carrier: the order exists, the answer is late
                return self.answer(201 if new else 200, {"waybill": order["waybill"], "postage": order["postage"]})
            parts = self.path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "orders" and parts[2] == "cancel":
                order = sim.orders.get(parts[1])
                if order is None:
                    return self.answer(404, {"error": "unknown waybill"})
                if order["status"] in ("delivered", "returned", "handed_over"):
                    return self.answer(409, {"error": f"order already {order['status']}"})
                order["status"] = "cancelled"
                return self.answer(200, {"waybill": order["waybill"], "cancelled": True})
            self.answer(404, {"error": "not found"})

        def _control(self, body):
            if self.path == "/control":
                try:
                    sim.configure(**body)
                except ValueError as exc:
                    return self.answer(400, {"error": str(exc)})
                return self.answer(200, sim.settings())
            parts = self.path.strip("/").split("/")
            if len(parts) == 4 and parts[1] == "orders" and parts[3] == "callback":
                order = sim.orders.get(parts[2])
                if order is None:
                    return self.answer(404, {"error": "unknown waybill"})
                if not body.get("status"):
                    return self.answer(400, {"error": "status is required"})
                answer = sim.callback(
                    order,
                    patient=False,
                    **{k: body[k] for k in ("status", "attempt", "reason", "at", "collected_amount") if k in body},
                )
                status, reply = answer if answer else (None, None)
                return self.answer(200, {"receiver_status": status, "receiver_body": reply})
            self.answer(404, {"error": "not found"})

        def do_GET(self):
            if self.path == "/health":
                return self.answer(200, {"status": "ok"})
            if self.path == "/control":
                return self.answer(
                    200,
                    {
                        **sim.settings(),
                        "requests": sim.requests,
                        "orders": {
                            w: {k: o[k] for k in ("reference", "kind", "status")} for w, o in list(sim.orders.items())
                        },
                    },
                )
            if sim.down:
                return self.answer(503, {"error": "carrier unavailable"})
            if self.path.startswith("/orders/"):
                order = sim.orders.get(self.path.split("/")[2])
                return self.answer(200, order) if order else self.answer(404, {"error": "unknown waybill"})
            self.answer(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return Server((host, port), Handler)
