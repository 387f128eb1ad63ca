"""One dossier at a time through the whole system, over HTTP, on PostgreSQL."""

import pytest

from tests.helpers import wait_for
from tests.system import COUNTER, JUST_RECEIVED, call, dossier, dossier_body, submit, work_through

pytestmark = pytest.mark.e2e


def notifications(system, code):
    return call("GET", system.url("notify", f"/api/notifications?dossier_code={code}"), headers=COUNTER).json()[
        "notifications"
    ]


def test_counter_return_through_two_departments(system):
    code = submit(system, dossier_body(procedure="1.001776", return_method="counter", sms=True, email=True))
    assert dossier(system, code)["status"] in JUST_RECEIVED

    wait_for(lambda: work_through(system, "QLDT"), message="step 1 in QLDT")
    wait_for(lambda: work_through(system, "LANHDAO"), message="step 2 in LANHDAO")
    wait_for(lambda: dossier(system, code)["status"] == "result_ready", message="result ready at the counter")

    handed = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
    assert handed.status_code == 200, handed.text
    view = dossier(system, code)
    assert view["status"] == "returned"
    assert [h["status"] for h in view["history"]] == [
        "received",
        "in_progress",
        "in_progress",
        "result_ready",
        "returned",
    ]
    assert view["applicant"]["id_number"] == "*********234"

    expected = {(e, c) for e in ("dossier_received", "result_ready", "dossier_returned") for c in ("sms", "email")}
    sent = wait_for(
        lambda: (
            lambda n: (
                n
                if {(m["event_type"], m["channel"]) for m in n} == expected
                and all(m["status"] == "delivered" for m in n)
                else None
            )
        )(notifications(system, code)),
        message="six messages delivered",
    )
    assert len(sent) == 6
    sms = [m for m in sent if m["channel"] == "sms"]
    assert all(m["body"].startswith(code) for m in sms)  # the code first, for a basic phone

    # handing it back twice is refused and changes nothing
    again = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_ready_for_counter_return"


def test_postal_return_through_the_carrier(system):
    code = submit(system, dossier_body(procedure="2.000635", return_method="postal", sms=True))
    wait_for(lambda: work_through(system, "TUPHAP"), message="approved by TUPHAP")
    view = wait_for(
        lambda: (lambda d: d if d["status"] == "returned" else None)(dossier(system, code)),
        timeout=30,
        message="delivered by post",
    )
    assert view["flags"]["postal_status"] == "delivered"
    assert view["history"][-1]["note"] == "bưu chính đã phát"

    # the counter cannot hand back a result that went by post
    refused = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
    assert refused.status_code == 409

    shipments = call("GET", system.url("postal", f"/api/shipments?dossier_code={code}"), headers=COUNTER).json()
    [shipment] = shipments["shipments"]
    assert shipment["status"] == "delivered" and shipment["waybill"].endswith("VN")
    assert [t["status"] for t in shipment["tracking"]] == ["accepted", "in_transit", "delivered"]

    # delivered by post: shipment_delivered is the last step told (no second message for dossier_returned)
    expected = {"dossier_received", "result_ready", "shipment_created", "shipment_delivered"}
    wait_for(
        lambda: {m["event_type"] for m in notifications(system, code) if m["status"] == "delivered"} == expected,
        message="four SMS delivered",
    )
    bodies = {m["event_type"]: m["body"] for m in notifications(system, code)}
    assert "buu chinh" in bodies["result_ready"]
