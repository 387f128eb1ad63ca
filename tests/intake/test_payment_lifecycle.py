"""The financial obligation through the running installation: a dossier whose fees are
due before processing is received (code, Form 01) but waits in awaiting_payment, in no
department's queue, until payments confirms the payment (payment_confirmed, published
here to payments' exchange as payments publishes it); then processing queues it, with
the appointment counted from the payment."""

import json
import random
import time
from datetime import timedelta

import pytest
import requests

from shared import clock, events
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import ADMIN, AGENCY, COUNTER, dossier_body, submit

pytestmark = pytest.mark.e2e

DEPARTMENT = "TCKH"


def procedure(code):
    return {
        "code": code,
        "name": f"Thủ tục có phí trước khi giải quyết {code}",
        "field": "Thử nghiệm",
        "online_service": "partial",
        "agency_code": AGENCY,
        "duration_days": 3,
        "route": [{"department": DEPARTMENT, "days": 3}],
        "fees": [
            {"name": "Lệ phí", "amount": 50000, "kind": "le_phi", "when": "before_processing"},
            {"name": "Phí thẩm định", "amount": 25000, "kind": "phi", "when": "before_processing"},
        ],
        "fee_exemptions": [{"code": "ho_ngheo", "name": "Hộ nghèo"}],
        "documents": ["Đơn đề nghị"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "cutoff": "15:00",
        "effective_from": "2026-01-01",
        "effective_to": None,
        "legal_basis": "thử",
    }


def publish_confirmed(system, code, paid_at, stage="before_processing"):
    data = {
        "stage": stage,
        "amount": 75000,
        "method": "cash",
        "order_id": f"QUAY-{code}",
        "receipt_number": "BL-0001",
        "paid_at": paid_at,
    }
    raw = events.envelope("payment_confirmed", code, data, source="payments")
    publisher = ConfirmingPublisher(system.env["MOTCUA_AMQP_URI"])
    try:
        publisher.publish_batch([(event_exchange("payments"), "payment_confirmed", json.dumps(raw).encode(), {})])
    finally:
        publisher.close()


def dossier(system, code):
    response = requests.get(system.url("intake", f"/api/dossiers/{code}"), headers=COUNTER, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def tasks(system, code):
    response = requests.get(system.url("processing", f"/api/dossiers/{code}/tasks"), headers=ADMIN, timeout=10)
    return response.json()["tasks"] if response.status_code == 200 else []


def test_a_dossier_owing_fees_before_processing_reaches_processing_only_once_paid(system):
    code_of_procedure = f"9.{random.randint(100000, 999999)}"
    imported = requests.post(
        system.url("intake", "/api/procedures/import"),
        json={"procedures": [procedure(code_of_procedure)]},
        headers=ADMIN,
        timeout=10,
    )
    assert imported.status_code == 200, imported.text

    body = dossier_body(procedure=code_of_procedure, documents=[{"name": "Đơn đề nghị", "copies": 1}])
    unknown = requests.post(
        system.url("intake", "/api/dossiers"),
        json={**body, "fee_exemption": {"code": "khong_co", "reason": "x"}},
        headers=COUNTER,
        timeout=10,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_exemption", unknown.text

    code = submit(system, body)
    waiting = dossier(system, code)
    assert waiting["status"] == "awaiting_payment" and waiting["due_at"] is None
    assert waiting["received_at"] is not None
    owed = waiting["payments"]["before_processing"]
    assert owed["amount"] == 75000 and owed["paid_at"] is None

    receipt = requests.get(system.url("intake", f"/api/dossiers/{code}/receipt"), headers=COUNTER, timeout=10)
    assert receipt.status_code == 200 and "tính từ khi hoàn thành nghĩa vụ tài chính" in receipt.text

    looked_up = requests.post(
        system.url("intake", "/api/lookup"),
        json={"code": code, "id_number": body["applicant"]["id_number"]},
        timeout=10,
    ).json()
    assert looked_up["status"] == "awaiting_payment"
    assert looked_up["payment_due"] == {
        "stage": "before_processing",
        "amount": 75000,
        "pay_by": owed["pay_by"],
        "online": True,
    }

    time.sleep(3)  # time enough for a dossier_received to reach processing, were one published
    assert tasks(system, code) == []

    paid_at = clock.now() + timedelta(days=1)  # paid the next day: the appointment counts from then
    publish_confirmed(system, code, paid_at)
    [task] = wait_for(lambda: tasks(system, code), timeout=30, interval=0.3, message=f"{code} queued in processing")
    assert task["department"] == DEPARTMENT

    after = dossier(system, code)
    assert after["status"] in ("received", "in_progress")
    assert after["received_at"] == waiting["received_at"]  # the legal reception stays
    appointment = requests.get(
        system.url("intake", "/api/calendar/due"),
        params={"procedure_code": code_of_procedure, "received_at": paid_at.isoformat()},
        headers=COUNTER,
        timeout=10,
    ).json()["due_at"]
    assert after["due_at"] == appointment
    assert after["payments"]["before_processing"]["paid_at"] is not None

    publish_confirmed(system, code, paid_at + timedelta(hours=1))  # a repeat changes nothing
    time.sleep(2)
    assert dossier(system, code)["due_at"] == appointment and len(tasks(system, code)) == 1
