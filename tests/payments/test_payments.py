"""payments end to end: the running services, the gateway simulator as a process, the
real broker and PostgreSQL. An obligation comes from payment_requested; it is paid
once, whatever the gateway repeats or reorders, and refunded once."""

import json
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from shared import payment_gateway
from tests.helpers import wait_for
from tests.payments.conftest import request_payment
from tests.system import ADMIN, BUSINESS_MORNING, COUNTER, PAYMENT_SECRET, ROOT, call, token

pytestmark = pytest.mark.e2e

PORTAL = token("portal", sub="dichvucong")
OTHER_COUNTER = token("counter", agency="000.00.07.H56", sub="canbo.khac")


def open_order(system, code, stage="before_processing"):
    answer = call(
        "POST",
        system.url("payments", "/api/payments"),
        json={"dossier_code": code, "stage": stage, "return_url": "http://127.0.0.1:8000/tra-cuu"},
        headers=PORTAL,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def open_at_gateway(gateway, pay_url):
    """The citizen's browser opening the pay URL (the transaction becomes pending)."""
    params = dict(parse_qsl(urlsplit(pay_url).query))
    assert payment_gateway.verify(params, PAYMENT_SECRET)
    assert requests.get(pay_url, timeout=5).status_code == 200
    return params


def pay(gateway, order_id):
    answer = requests.post(f"{gateway}/control/pay", json={"order_id": order_id}, timeout=15)
    assert answer.status_code == 200, answer.text


def ipn_log(gateway, order_id):
    return [
        e for e in requests.get(f"{gateway}/control/ipn-log", timeout=5).json()["ipn_log"] if e["order_id"] == order_id
    ]


def orders(system, code):
    return call("GET", system.url("payments", f"/api/payments?dossier_code={code}"), headers=ADMIN).json()["orders"]


def confirmations(system, code):
    return system.scalar("payments", "SELECT count(*) FROM confirmations WHERE dossier_code = :c", c=code)


def ipn(system, params):
    return requests.get(system.url("payments", "/api/payments/ipn"), params=params, timeout=10)


def test_online_payment_is_confirmed_once_through_the_ipn(system, gateway, mode, payments_events):
    code = request_payment(system, amount=150_000)
    opened = open_order(system, code)
    assert opened["amount"] == 150_000 and opened["pay_url"].startswith(gateway + "/pay?")
    open_at_gateway(gateway, opened["pay_url"])
    mode("duplicate")  # the gateway sends its IPN twice
    pay(gateway, opened["order_id"])
    answers = [(e["status"], e["answer"]["RspCode"]) for e in ipn_log(gateway, opened["order_id"])]
    assert answers == [(200, "00"), (200, "02")]
    confirmed = wait_for(lambda: payments_events.of(code, "payment_confirmed"), timeout=20, message="payment_confirmed")
    data = confirmed[0]["data"]
    assert (data["stage"], data["amount"], data["method"], data["order_id"]) == (
        "before_processing",
        150_000,
        "online",
        opened["order_id"],
    )
    assert data["receipt_number"]  # the gateway's transaction number
    # a replay of the logged notice, and the admin's query afterwards: nothing more
    assert ipn(system, ipn_log(gateway, opened["order_id"])[0]["params"]).json()["RspCode"] == "02"
    queried = call("POST", system.url("payments", f"/api/payments/{opened['order_id']}/query"), headers=ADMIN)
    assert queried.status_code == 200 and queried.json()["outcome"] == "already_confirmed"
    time.sleep(1.5)  # the outbox relay would have published a second one by now
    assert len(payments_events.of(code, "payment_confirmed")) == 1
    assert confirmations(system, code) == 1
    assert [o["status"] for o in orders(system, code)] == ["paid"]


def test_query_first_then_the_late_ipn_answers_already_confirmed(system, gateway, mode, payments_events):
    code = request_payment(system, amount=80_000)
    opened = open_order(system, code)
    open_at_gateway(gateway, opened["pay_url"])
    mode("late", delay_seconds=2)
    pay(gateway, opened["order_id"])  # paid at the gateway; its IPN comes 2 s later
    queried = call("POST", system.url("payments", f"/api/payments/{opened['order_id']}/query"), headers=ADMIN)
    assert queried.status_code == 200, queried.text
    assert queried.json()["outcome"] == "confirmed" and queried.json()["order"]["status"] == "paid"
    late = wait_for(lambda: ipn_log(gateway, opened["order_id"]), timeout=10, message="the late IPN")
    assert (late[0]["status"], late[0]["answer"]["RspCode"]) == (200, "02")
    wait_for(lambda: payments_events.of(code, "payment_confirmed"), timeout=20, message="payment_confirmed")
    assert len(payments_events.of(code, "payment_confirmed")) == 1 and confirmations(system, code) == 1


def test_refused_notices_record_nothing(system, gateway, mode, payments_events):
    code = request_payment(system, amount=50_000)
    opened = open_order(system, code)
    open_at_gateway(gateway, opened["pay_url"])
    mode("wrong_amount")  # the IPN says 1,000 đồng less, correctly signed
    pay(gateway, opened["order_id"])
    [wrong] = ipn_log(gateway, opened["order_id"])
    assert (wrong["status"], wrong["answer"]["RspCode"]) == (422, "04")
    # the same notice with the right amount but signed with another secret
    forged = payment_gateway.signed({**wrong["params"], "amount": "50000"}, "not-the-merchant-secret")
    answer = ipn(system, forged)
    assert answer.status_code == 401 and answer.json()["RspCode"] == "97"
    # an order the gateway invents
    unknown = payment_gateway.signed({**wrong["params"], "order_id": "MC000000NOSUCHORDER"}, PAYMENT_SECRET)
    answer = ipn(system, unknown)
    assert answer.status_code == 404 and answer.json()["RspCode"] == "01"
    assert confirmations(system, code) == 0
    assert [o["status"] for o in orders(system, code)] == ["created"]
    assert payments_events.of(code, "payment_confirmed") == []
    log = (system.logdir / "payments.log").read_text(encoding="utf-8")
    assert "wrong signature" in log and code in log  # the refusal is logged with the dossier code
    # the gateway did take the money: the administrator's query finds it and confirms, once
    queried = call("POST", system.url("payments", f"/api/payments/{opened['order_id']}/query"), headers=ADMIN)
    assert queried.json()["outcome"] == "confirmed" and confirmations(system, code) == 1


def test_counter_payment_with_its_receipt(system, payments_events):
    code = request_payment(system, amount=120_000, online=False)
    url = system.url("payments", "/api/payments/counter")
    body = {"dossier_code": code, "stage": "before_processing", "method": "cash", "receipt_number": "BL-0001"}
    wrong = call("POST", url, json={**body, "amount": 100_000}, headers=COUNTER)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "amount_mismatch"
    other = call("POST", url, json={**body, "amount": 120_000}, headers=OTHER_COUNTER)
    assert other.status_code == 404  # another agency's dossier is one it cannot see
    paid = call("POST", url, json={**body, "amount": 120_000}, headers=COUNTER)
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["receipt_number"], paid.json()["method"]) == ("paid", "BL-0001", "cash")
    again = call("POST", url, json={**body, "amount": 120_000, "receipt_number": "BL-0002"}, headers=COUNTER)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_paid"
    online = call(
        "POST",
        system.url("payments", "/api/payments"),
        json={"dossier_code": code, "stage": "before_processing"},
        headers=PORTAL,
    )
    assert online.status_code == 409
    [event] = wait_for(lambda: payments_events.of(code, "payment_confirmed"), timeout=20, message="payment_confirmed")
    assert (event["data"]["method"], event["data"]["receipt_number"], event["data"]["amount"]) == (
        "cash",
        "BL-0001",
        120_000,
    )
    view = call("GET", system.url("payments", f"/api/payments?dossier_code={code}"), headers=COUNTER).json()
    assert view["obligations"][0]["paid"] is True
    assert (
        call("GET", system.url("payments", f"/api/payments?dossier_code={code}"), headers=OTHER_COUNTER).status_code
        == 404
    )


def test_a_paid_order_is_refunded_once(system, gateway, mode, payments_events):
    code = request_payment(system, amount=60_000)
    opened = open_order(system, code)
    open_at_gateway(gateway, opened["pay_url"])
    pay(gateway, opened["order_id"])
    url = system.url("payments", f"/api/payments/{opened['order_id']}/refund")
    first = call("POST", url, json={"reason": "Hồ sơ bị từ chối"}, headers=ADMIN)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "refunded" and first.json()["refund_reason"] == "Hồ sơ bị từ chối"
    second = call("POST", url, json={"reason": "lần nữa"}, headers=ADMIN)
    assert second.status_code == 409 and second.json()["error"]["code"] == "not_refundable"
    [event] = wait_for(lambda: payments_events.of(code, "payment_refunded"), timeout=20, message="payment_refunded")
    assert (event["data"]["amount"], event["data"]["order_id"]) == (60_000, opened["order_id"])


def reconcile(system, day):
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "payments", "reconcile", "--date", day, "--json"],
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_reconcile_reports_a_payment_the_gateway_forgot(system, gateway, mode):
    day = BUSINESS_MORNING.date().isoformat()
    code = request_payment(system, amount=70_000)
    opened = open_order(system, code)
    open_at_gateway(gateway, opened["pay_url"])
    pay(gateway, opened["order_id"])
    wait_for(lambda: confirmations(system, code), timeout=10, message="the payment recorded")
    done = reconcile(system, day)
    assert done.returncode == 0, done.stdout + done.stderr  # every earlier test's payment agrees too
    assert json.loads(done.stdout)["differences"] == []
    assert (
        requests.post(f"{gateway}/control/forget", json={"order_id": opened["order_id"]}, timeout=5).status_code == 200
    )
    done = reconcile(system, day)
    assert done.returncode == 1, done.stdout + done.stderr
    differences = json.loads(done.stdout)["differences"]
    assert [(d["kind"], d["reference"]) for d in differences] == [("missing_at_gateway", opened["order_id"])]
