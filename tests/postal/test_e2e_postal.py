"""The postal paths through the whole running system (real processes, the carrier
simulator's real HTTP callbacks): a result that cannot be delivered comes back to
the counter after two failed attempts and is handed over there."""

from datetime import date, datetime

import pytest
import requests

from tests.helpers import wait_for
from tests.system import COUNTER, call, dossier, dossier_body, submit, token, work_through

pytestmark = pytest.mark.e2e

FAILING_TWICE = [
    "accepted",
    "in_transit",
    {"status": "failed", "attempt": 1, "reason": "Không có người nhận"},
    {"status": "in_transit", "attempt": 2},
    {"status": "failed", "attempt": 2, "reason": "Không có người nhận"},
    {"status": "returned", "attempt": 2},
]


def control(system, **settings):
    answer = requests.post(f"http://127.0.0.1:{system.sim_port}/control", json=settings, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def shipments(system, code):
    return call("GET", system.url("postal", f"/api/shipments?dossier_code={code}"), headers=COUNTER).json()["shipments"]


def test_a_result_undeliverable_twice_is_handed_over_at_the_counter(system):
    previous = requests.get(f"http://127.0.0.1:{system.sim_port}/control", timeout=10).json()
    control(system, schedule=FAILING_TWICE)
    try:
        code = submit(system, dossier_body(procedure="2.000635", return_method="postal", sms=True))
        wait_for(lambda: work_through(system, "TUPHAP"), message="approved by TUPHAP")
        view = wait_for(
            lambda: (lambda d: d if d["flags"]["postal_status"] == "returned_to_counter" else None)(
                dossier(system, code)
            ),
            timeout=30,
            message="result back at the counter",
        )
    finally:
        control(system, schedule=previous["schedule"])
    assert view["status"] == "result_ready"
    [shipment] = shipments(system, code)
    assert shipment["status"] == "returned" and shipment["attempts"] == 2
    # Thursday 26/11/2026, same district as the agency: J+1 is Friday
    assert (shipment["distance_class"], shipment["expected_delivery"]) == ("same_district", "2026-11-27")
    wait_for(lambda: len(shipments(system, code)[0]["tracking"]) == 6, message="every callback recorded")

    handed = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
    assert handed.status_code == 200, handed.text
    assert dossier(system, code)["status"] == "returned"


def test_the_expected_delivery_is_announced_with_the_waybill(system):
    code = submit(
        system,
        dossier_body(
            procedure="2.000635", return_method="postal", sms=False, delivery_address="1 Tràng Tiền, Hoàn Kiếm, Hà Nội"
        ),
    )
    wait_for(lambda: work_through(system, "TUPHAP"), message="approved by TUPHAP")
    shipment = wait_for(
        lambda: (lambda s: s[0] if s and s[0]["status"] == "delivered" else None)(shipments(system, code)),
        timeout=30,
        message="delivered",
    )
    # another province: J+4 working days from Thursday 26/11/2026 is Wednesday 2/12
    assert shipment["distance_class"] == "other_province"
    assert date.fromisoformat(shipment["expected_delivery"]) == date(2026, 12, 2)
    assert shipment["postage"] == 25000 and shipment["handed_over_at"] and shipment["delivered_at"]


def _intake_registers_pickups():
    from shared.messaging import ReliableEventHandler
    from shared.runner import service_class

    return any(
        isinstance(e, ReliableEventHandler) and e.event_type == "pickup_completed"
        for method in vars(service_class("intake")).values()
        for e in getattr(method, "nameko_entrypoints", ())
    )


@pytest.mark.skipif(not _intake_registers_pickups(), reason="intake does not register collected dossiers yet")
def test_a_dossier_collected_by_post_is_received_as_of_its_hand_over(system):
    body = {
        **dossier_body(procedure="2.000635", return_method="counter"),
        "channel": "postal",
        "pickup_address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
        "fees_to_collect": 8000,
    }
    answer = call("POST", system.url("postal", "/api/pickups"), json=body, headers=token("portal"))
    assert answer.status_code == 201, answer.text
    pickup_id = answer.json()["id"]
    code = wait_for(
        lambda: system.scalar("intake", "SELECT code FROM dossiers WHERE pickup_id = :p", p=pickup_id),
        timeout=30,
        message="registered by intake",
    )
    pickup = call("GET", system.url("postal", f"/api/pickups/{pickup_id}"), headers=token("portal")).json()
    handed_over_at = datetime.fromisoformat(pickup["handed_over_at"])
    view = dossier(system, code)
    assert (view["status"], view["channel"]) == ("submitted", "postal")
    assert datetime.fromisoformat(view["handed_over_at"]) == handed_over_at

    accepted = call("POST", system.url("intake", f"/api/dossiers/{code}/accept"), headers=COUNTER)
    assert accepted.status_code == 200, accepted.text
    assert datetime.fromisoformat(accepted.json()["received_at"]) == handed_over_at
