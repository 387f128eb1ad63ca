"""POST /api/pickups: the carrier collects a dossier at the citizen's address and
hands it over at the counter; the hand-over time is the legal reception time that
pickup_completed carries to intake."""

import uuid

import pytest
import requests

from shared import calendar_store
from tests.helpers import wait_for
from tests.postal.conftest import PORTAL, STAFF, headers

PICKUP = {
    "procedure_code": "2.000635",
    "applicant": {
        "full_name": "Trần Văn Bình",
        "id_number": "031190004321",
        "phone": "0912345670",
        "email": "binh@example.vn",
        "address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
    },
    "documents": [{"name": "Tờ khai cấp bản sao trích lục hộ tịch", "copies": 1}],
    "return_method": "postal",
    "delivery_address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
    "notify": {"sms": True, "email": False},
    "pickup_address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
    "fees_to_collect": 8000,
}


def post(postal, body, auth=PORTAL, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return requests.post(postal.url("/api/pickups"), json=body, headers={**auth, **extra}, timeout=10)


def pickup_view(postal, pickup_id):
    # read by who asked for it (the portal client): nobody else sees a pickup
    answer = requests.get(postal.url(f"/api/pickups/{pickup_id}"), headers=PORTAL, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def completed_events(postal, pickup_id):
    return [
        e for e in postal.owed(calendar_store.NOT_A_DOSSIER, "pickup_completed") if e["data"]["pickup_id"] == pickup_id
    ]


def test_a_collected_dossier_handed_over_at_the_counter_is_announced_with_its_hand_over_time(postal, carrier, sim):
    key = str(uuid.uuid4())
    answer = post(postal, PICKUP, key=key)
    assert answer.status_code == 201, answer.text
    pickup = answer.json()
    assert pickup["purpose"] == "pickup" and pickup["waybill"] and pickup["postage"] == 30000
    assert post(postal, PICKUP, key=key).json()["id"] == pickup["id"]  # the same request again: same pickup
    reused = post(postal, {**PICKUP, "fees_to_collect": 0}, key=key)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"

    done = wait_for(
        lambda: (lambda v: v if v["status"] == "handed_over" else None)(pickup_view(postal, pickup["id"])),
        message="handed over at the counter",
    )
    assert [t["status"] for t in done["tracking"]] == ["accepted", "collected", "in_transit", "handed_over"]
    assert done["fees_collected"] == 8000
    [event] = completed_events(postal, pickup["id"])
    [handed_over] = [
        c for c in carrier.orders_for(f"pickup:{pickup['id']}")[0]["history"] if c["status"] == "handed_over"
    ]
    assert event["data"]["handed_over_at"] == handed_over["at"] == done["handed_over_at"]
    assert event["dossier_code"] == "-" and event["data"]["waybill"] == pickup["waybill"]
    submission = event["data"]["submission"]
    assert submission["channel"] == "postal" and submission["applicant"]["id_number"] == "031190004321"
    assert "pickup_address" not in submission and submission["procedure_code"] == "2.000635"


def test_a_pickup_not_yet_collected_can_be_cancelled_at_the_carrier(postal, carrier, sim):
    sim.configure(schedule="manual")
    pickup = post(postal, PICKUP).json()
    cancelled = requests.post(postal.url(f"/api/pickups/{pickup['id']}/cancel"), headers=PORTAL, timeout=10)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert carrier.orders_for(f"pickup:{pickup['id']}")[0]["status"] == "cancelled"
    again = requests.post(postal.url(f"/api/pickups/{pickup['id']}/cancel"), headers=PORTAL, timeout=10)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_cancellable"
    assert completed_events(postal, pickup["id"]) == []


def test_a_pickup_asked_while_the_carrier_is_down_waits_visibly_and_is_ordered_later(postal, carrier, sim):
    sim.configure(down=True)
    answer = post(postal, PICKUP)
    assert answer.status_code == 201 and answer.json()["status"] == "pending"
    assert "503" in answer.json()["order"]["last_error"]
    sim.configure(down=False)
    wait_for(lambda: completed_events(postal, answer.json()["id"]), message="collected once the carrier is back")


@pytest.mark.parametrize(
    "body, auth, status, field",
    [
        ({**PICKUP, "pickup_address": ""}, PORTAL, 400, "pickup_address"),
        ({k: v for k, v in PICKUP.items() if k != "pickup_address"}, PORTAL, 400, "pickup_address"),
        ({**PICKUP, "applicant": {**PICKUP["applicant"], "id_number": "123"}}, PORTAL, 400, "applicant"),
        ({**PICKUP, "delivery_address": None}, PORTAL, 400, "delivery_address"),
        ({**PICKUP, "channel": "counter"}, PORTAL, 400, "channel"),
        ({**PICKUP, "documents": []}, PORTAL, 400, "documents"),
        ({**PICKUP, "surprise": 1}, PORTAL, 400, "surprise"),
        (PICKUP, headers("officer", department="TUPHAP"), 403, None),
        (PICKUP, {}, 401, None),
    ],
)
def test_bad_pickup_requests_are_refused_and_order_nothing(postal, carrier, body, auth, status, field):
    before = len(carrier.sim.requests)
    answer = post(postal, body, auth=auth)
    assert answer.status_code == status, answer.text
    if field:
        assert field in answer.json()["error"]["fields"]
    assert len(carrier.sim.requests) == before


def test_an_unknown_pickup_is_a_404(postal):
    answer = requests.get(postal.url("/api/pickups/no-such-pickup"), headers=STAFF, timeout=10)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
