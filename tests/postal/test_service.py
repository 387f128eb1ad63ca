"""The postal service against a real broker, database and HTTP carrier: one
shipment per result whatever is repeated, a carrier that is down, slow or
restarted, a service restart, and the callbacks it must refuse."""

import json
import time
import uuid

import requests

from services.postal import application
from services.postal.adapters.repository import PostalWork
from services.postal.domain.policies import PostalRules
from shared import clock
from shared.db import Sessions
from shared.signing import sign
from tests.helpers import wait_for
from tests.postal.conftest import ADDRESS, SECRET, new_code


def result_ready(postal, code, address=ADDRESS):
    return postal.publish(
        "result_ready",
        code,
        {"finished_at": clock.now(), "summary": "Đã cấp bản sao", "return_method": "postal", "postal_address": address},
    )


def test_a_redelivered_or_repeated_result_ready_makes_one_shipment(postal, carrier, sim):
    code = new_code()
    env = result_ready(postal, code)
    postal.redeliver(env)
    postal.redeliver(env)  # the same event redelivered, and a second result_ready for the dossier:
    result_ready(postal, code)
    shipment = postal.shipment(code, "delivered")
    assert len(postal.shipments(code)) == 1
    [order] = carrier.orders_for(f"{code}:result")
    assert shipment["waybill"] == order["waybill"] and shipment["postage"] == 25000
    assert [t["status"] for t in shipment["tracking"]] == ["accepted", "in_transit", "delivered"]
    assert shipment["distance_class"] == "same_district" and shipment["expected_delivery"]
    assert shipment["handed_over_at"] and shipment["delivered_at"]
    owed = [e["event_type"] for e in postal.owed(code)]
    assert owed == ["shipment_created", "shipment_delivered"]


def test_a_counter_return_needs_no_shipment(postal, carrier):
    code = new_code()
    postal.publish("result_ready", code, {"finished_at": clock.now(), "summary": "x", "return_method": "counter"})
    marker = new_code()
    result_ready(postal, marker)  # handled after the first one: then the first was seen too
    postal.shipment(marker)
    assert postal.shipments(code) == [] and carrier.orders_for(f"{code}:result") == []


def dossier_rejected(postal, code, return_method="postal", address=ADDRESS):
    return postal.publish(
        "dossier_rejected",
        code,
        {"reason": "Không đủ điều kiện cấp phép", "return_method": return_method, "postal_address": address},
    )


def test_a_rejected_postal_dossier_gets_one_shipment_of_its_refusal_notice(postal, carrier, sim):
    """Decree 61/2018/NĐ-CP Art. 19-20: the refusal notice and the original papers go
    back by post like a result: one shipment (purpose rejection) whatever is
    repeated, ordered, tracked to delivery, its events saying what it carries."""
    code = new_code()
    env = dossier_rejected(postal, code)
    postal.redeliver(env)
    dossier_rejected(postal, code)
    shipment = postal.shipment(code, "delivered")
    assert len(postal.shipments(code)) == 1
    assert (shipment["purpose"], shipment["reference"]) == ("rejection", f"{code}:rejection")
    [order] = carrier.orders_for(f"{code}:rejection")
    assert shipment["waybill"] == order["waybill"] and carrier.orders_for(f"{code}:result") == []
    owed = postal.owed(code)
    assert [e["event_type"] for e in owed] == ["shipment_created", "shipment_delivered"]
    assert {e["data"]["purpose"] for e in owed} == {"rejection"}


def test_a_rejection_collected_at_the_counter_needs_no_shipment(postal, carrier):
    code = new_code()
    dossier_rejected(postal, code, return_method="counter")
    postal.publish("dossier_rejected", new_code(), {"reason": "x"})  # an older event without return_method
    marker = new_code()
    dossier_rejected(postal, marker)  # handled after the first ones: then they were seen too
    postal.shipment(marker)
    assert postal.shipments(code) == [] and carrier.orders_for(f"{code}:rejection") == []


def test_a_carrier_that_is_down_leaves_the_shipment_visibly_pending_then_it_is_ordered(postal, carrier, sim):
    sim.configure(down=True)
    code = new_code()
    result_ready(postal, code)
    pending = wait_for(
        lambda: (lambda s: s if s and s[0]["order"]["tries"] >= 2 else None)(postal.shipments(code)),
        message="two failed order tries",
    )[0]
    assert pending["status"] == "pending" and pending["waybill"] is None
    assert "503" in pending["order"]["last_error"] and pending["order"]["next_try_at"]
    assert postal.owed(code) == []
    sim.configure(down=False)
    shipment = postal.shipment(code, "delivered")
    assert shipment["order"]["last_error"] is None
    assert len(carrier.orders_for(f"{code}:result")) == 1
    assert [e["event_type"] for e in postal.owed(code)] == ["shipment_created", "shipment_delivered"]


def test_a_carrier_timeout_is_retried_without_a_second_order(postal, carrier, sim):
    sim.configure(delay_seconds=1.0, schedule="manual")  # the order is made, the answer comes too late
    code = new_code()
    result_ready(postal, code)
    wait_for(lambda: sum(r == f"{code}:result" for r, _ in sim.requests) >= 2, message="the order asked again")
    sim.configure(delay_seconds=0.0)
    shipment = postal.shipment(code, "created")
    [order] = carrier.orders_for(f"{code}:result")
    assert shipment["waybill"] == order["waybill"]
    assert shipment["order"]["tries"] >= 1  # the timed-out tries
    assert len(postal.owed(code, "shipment_created")) == 1


def test_a_carrier_restart_loses_no_order(postal, carrier, sim):
    carrier.stop()  # connection refused
    try:
        code = new_code()
        result_ready(postal, code)
        pending = wait_for(
            lambda: (lambda s: s if s and s[0]["order"]["tries"] >= 1 else None)(postal.shipments(code)),
            message="a failed try",
        )[0]
        assert pending["status"] == "pending" and "unreachable" in pending["order"]["last_error"]
    finally:
        carrier.start()
    shipment = postal.shipment(code, "delivered")
    assert len(carrier.orders_for(f"{code}:result")) == 1 and shipment["waybill"]
    assert [e["event_type"] for e in postal.owed(code)] == ["shipment_created", "shipment_delivered"]


def test_a_shipment_left_pending_by_a_crash_is_ordered_by_the_retry_sweep(postal, carrier, sim):
    # What a service killed between recording the shipment and calling the carrier leaves behind
    # (the result_ready was acknowledged with the pending row; nothing else will come).
    code = new_code()
    with Sessions(postal.engine).work(PostalWork) as work:
        application.ship_result(
            work, code, ADDRESS, str(uuid.uuid4()), clock.now(), PostalRules(retry_base_seconds=0.2)
        )
    shipment = postal.shipment(code, "delivered")
    assert len(carrier.orders_for(f"{code}:result")) == 1 and shipment["order"]["tries"] == 0
    assert [e["event_type"] for e in postal.owed(code)] == ["shipment_created", "shipment_delivered"]


def signed_post(postal, body, secret=SECRET, raw=None):
    raw = raw if raw is not None else json.dumps(body).encode()
    return requests.post(
        postal.url("/api/carrier/callback"),
        data=raw,
        timeout=10,
        headers={"Content-Type": "application/json", "X-Signature": sign(secret, raw)},
    )


def test_bad_callbacks_are_refused_with_a_clear_4xx_and_change_nothing(postal, carrier, sim):
    sim.configure(schedule="manual")
    code = new_code()
    result_ready(postal, code)
    waybill = postal.shipment(code, "created")["waybill"]
    good = {
        "waybill": waybill,
        "status": "delivered",
        "attempt": 1,
        "at": clock.now().isoformat(),
        "timestamp": int(time.time()),
    }
    cases = {
        "bad signature": (signed_post(postal, good, secret="not-the-secret"), 401, "bad_signature"),
        "no signature": (
            requests.post(postal.url("/api/carrier/callback"), json=good, timeout=10),
            401,
            "bad_signature",
        ),
        "stale timestamp": (signed_post(postal, {**good, "timestamp": int(time.time()) - 3600}), 401, "stale_callback"),
        "unknown waybill": (signed_post(postal, {**good, "waybill": "EB000000000VN"}), 404, "unknown_waybill"),
        "not JSON": (signed_post(postal, None, raw=b"{not json"), 400, "malformed_json"),
        "missing fields": (signed_post(postal, {"waybill": waybill, "status": "delivered"}), 400, "invalid_input"),
        "unknown status": (signed_post(postal, {**good, "status": "teleported"}), 400, "invalid_input"),
        "status of a pickup": (signed_post(postal, {**good, "status": "handed_over"}), 422, "status_not_applicable"),
    }
    for name, (answer, status, error) in cases.items():
        assert (name, answer.status_code, answer.json()["error"]["code"]) == (name, status, error)
    shipment = postal.shipments(code)[0]
    assert shipment["status"] == "created" and shipment["tracking"] == []
    assert [e["event_type"] for e in postal.owed(code)] == ["shipment_created"]
    # the same callback, well signed and fresh, is taken; replayed, it changes nothing more
    assert signed_post(postal, good).json()["recorded"] is True
    assert signed_post(postal, good).json()["recorded"] is False
    assert [e["event_type"] for e in postal.owed(code)] == ["shipment_created", "shipment_delivered"]


def test_shipments_need_a_staff_token_and_a_dossier_code(postal):
    assert requests.get(postal.url("/api/shipments?dossier_code=x"), timeout=10).status_code == 401
    from tests.postal.conftest import PORTAL, STAFF

    assert requests.get(postal.url("/api/shipments?dossier_code=x"), headers=PORTAL, timeout=10).status_code == 403
    missing = requests.get(postal.url("/api/shipments"), headers=STAFF, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["fields"] == {"dossier_code": ["Bắt buộc"]}
