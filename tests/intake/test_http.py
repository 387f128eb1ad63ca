"""The counter over HTTP, against the running services: roles on every endpoint,
online and postal reception, the receipt, the citizen lookup, the catalogue and the
calendar."""

import http.client
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests

from shared import clock, events
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import ADMIN, AGENCY, COUNTER, JUST_RECEIVED, dossier_body, officer, submit, token

pytestmark = pytest.mark.e2e

PORTAL = token("portal", sub="dichvucong")
OTHER_PORTAL = token("portal", sub="cong-dich-vu-cong-khac")
OTHER_COUNTER = token("counter", agency="000.00.01.H56", sub="canbo.khac")
ID_NUMBER = dossier_body()["applicant"]["id_number"]


def call(system, method, path, headers=None, **kwargs):
    return requests.request(method, system.url("intake", path), headers=headers or {}, timeout=10, **kwargs)


def online(system, portal=PORTAL, **overrides):
    """An online submission: its reference (no code before reception, issue 13)."""
    response = call(system, "POST", "/api/dossiers", portal, json=dossier_body(channel="online", **overrides))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "submitted" and response.json()["due_at"] is None
    assert "code" not in response.json() and response.json()["reference"].startswith("TN-")
    return response.json()["reference"]


COUNTER_ACTIONS = [
    ("POST", "/accept", {}),
    ("POST", "/refuse", {"reason": "Không đúng thẩm quyền"}),
    ("POST", "/supplement", {"documents": [{"name": "Giấy khai sinh", "copies": 1}]}),
    ("POST", "/withdraw", {"reason": "Công dân xin rút"}),
    ("POST", "/return", None),
]


@pytest.mark.parametrize("method,action,payload", COUNTER_ACTIONS, ids=[a[1] for a in COUNTER_ACTIONS])
def test_counter_actions_are_for_the_counter_of_the_dossiers_agency_only(system, method, action, payload):
    code = online(system)
    # the portal supplements and withdraws its own online dossiers (issue 13): another
    # portal client gets the 404 of a dossier that does not exist
    portal = (OTHER_PORTAL, 404) if action in ("/supplement", "/withdraw") else (PORTAL, 403)
    for headers, status in (({}, 401), (officer("TUPHAP"), 403), portal, (ADMIN, 403), (OTHER_COUNTER, 403)):
        response = call(system, method, f"/api/dossiers/{code}{action}", headers, json=payload)
        assert response.status_code == status, (headers, response.text)
        assert response.json()["error"]["code"] in ("unauthenticated", "forbidden", "other_agency", "not_found")
    assert call(system, "GET", f"/api/dossiers/{code}", COUNTER).json()["status"] == "submitted"


def test_staff_only_endpoints(system):
    code = online(system)
    assert call(system, "GET", f"/api/dossiers/{code}").status_code == 401
    assert call(system, "GET", f"/api/dossiers/{code}", PORTAL).status_code == 403
    # out of the reader's scope: the 404 of a code that does not exist (tests/security/test_scoping.py)
    assert call(system, "GET", f"/api/dossiers/{code}", OTHER_COUNTER).status_code == 404
    assert call(system, "GET", f"/api/dossiers/{code}", officer("QLDT")).status_code == 404  # no task of it there
    assert call(system, "GET", f"/api/dossiers/{code}", ADMIN).status_code == 200
    assert call(system, "POST", "/api/procedures/import", COUNTER, json={"procedures": []}).status_code == 403
    assert (
        call(system, "PUT", "/api/calendar/overrides/2026-12-31", COUNTER, json={"kind": "day_off"}).status_code == 403
    )
    assert call(system, "GET", "/api/calendar/due?procedure_code=2.000635").status_code == 401
    assert (
        call(system, "POST", "/api/guidance", officer("QLDT"), json={"procedure_code": "2.000635"}).status_code == 403
    )


def test_online_dossier_accepted_then_a_printable_receipt_with_a_lookup_qr(system):
    code = reference = online(system)
    early = call(system, "GET", f"/api/dossiers/{code}/receipt", COUNTER)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_received"

    incomplete = call(
        system,
        "POST",
        f"/api/dossiers/{code}/accept",
        COUNTER,
        json={"missing_documents": ["Tờ khai cấp bản sao trích lục hộ tịch"]},
    )
    assert incomplete.status_code == 422, incomplete.text
    assert incomplete.json()["error"]["fields"]["missing_documents"] == ["Tờ khai cấp bản sao trích lục hộ tịch"]
    assert call(system, "GET", f"/api/dossiers/{code}", COUNTER).json()["status"] == "submitted"

    accepted = call(system, "POST", f"/api/dossiers/{code}/accept", COUNTER)  # no body: nothing missing
    assert accepted.status_code == 200, accepted.text
    view = accepted.json()
    assert view["status"] == "received" and view["due_at"] and view["applicant"]["id_number"] == "*********234"
    # the code is given now, dated today [Circular 01/2018/TT-VPCP Art. 19]; the reference stays
    code = view["code"]
    received_on = datetime.fromisoformat(view["received_at"])
    assert code.startswith(f"{AGENCY}-{received_on:%y%m%d}-") and view["reference"] == reference

    page = call(system, "GET", f"/api/dossiers/{reference}/receipt", COUNTER)  # either names it
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    for text in (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        code,
        "Nguyễn Thị Hoa",
        "Cấp bản sao trích lục hộ tịch",
        "Tờ khai",
        "Thời gian trả kết quả",
        "Đăng ký nhận kết quả tại",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "<svg",
    ):
        assert text in html, text
    assert ID_NUMBER not in html
    link = call(system, "GET", f"/tra-cuu?code={code}")
    assert link.status_code == 200 and code in link.text


def test_refused_dossier_keeps_its_reason(system):
    code = online(system)
    short = call(system, "POST", f"/api/dossiers/{code}/refuse", COUNTER, json={"reason": "x"})
    assert short.status_code == 400 and "reason" in short.json()["error"]["fields"]
    refused = call(
        system,
        "POST",
        f"/api/dossiers/{code}/refuse",
        COUNTER,
        json={"reason": "Thủ tục không thuộc thẩm quyền của UBND quận"},
    )
    assert refused.status_code == 200 and refused.json()["reason"].startswith("Thủ tục không thuộc")
    again = call(system, "POST", f"/api/dossiers/{code}/accept", COUNTER, json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "wrong_status"


def test_guidance_lists_every_missing_document_before_submission(system):
    response = call(
        system,
        "POST",
        "/api/guidance",
        COUNTER,
        json={"procedure_code": "1.001776", "documents": [{"name": "Bản vẽ thiết kế", "copies": 2}]},
    )
    assert response.status_code == 200
    assert response.json()["missing_documents"] == [
        "Đơn đề nghị cấp giấy phép xây dựng",
        "Bản sao giấy tờ về quyền sử dụng đất",
    ]


def test_citizen_lookup_needs_both_code_and_id_number_and_hides_personal_data(system):
    code = submit(system, dossier_body(return_method="postal"))
    found = call(system, "POST", "/api/lookup", json={"code": code, "id_number": ID_NUMBER})
    assert found.status_code == 200, found.text
    view = found.json()
    assert view["status"] in JUST_RECEIVED and view["appointment"] and view["collect"]["method"] == "postal"
    text = found.text
    assert ID_NUMBER not in text and "Lạch Tray" not in text and "0912345678" not in text

    unknown = call(system, "POST", "/api/lookup", json={"code": code[:-4] + "9999", "id_number": ID_NUMBER})
    wrong_id = call(system, "POST", "/api/lookup", json={"code": code, "id_number": "031190009999"})
    assert unknown.status_code == wrong_id.status_code == 404
    assert unknown.json() == wrong_id.json()
    code_only = call(system, "POST", "/api/lookup", json={"code": code})
    assert code_only.status_code == 400 and "id_number" in code_only.json()["error"]["fields"]


def from_address(system, source, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", system.ports["intake"], timeout=10, source_address=(source, 0))
    try:
        conn.request(
            "POST",
            "/api/lookup",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        return conn.getresponse().status
    finally:
        conn.close()


def test_lookup_is_rate_limited_per_client(system):
    # a new code each time: the per-code limit (5 wrong ID numbers) must not be what answers 429
    statuses = [from_address(system, "127.0.0.77", {"code": f"x-{i}", "id_number": ID_NUMBER}) for i in range(40)]
    assert statuses[:30] == [404] * 30 and statuses[-1] == 429
    assert from_address(system, "127.0.0.78", {"code": "y", "id_number": ID_NUMBER}) == 404  # another client


def test_same_idempotency_key_sent_concurrently_gives_one_dossier(system):
    headers = {**COUNTER, "Idempotency-Key": str(uuid.uuid4())}
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: call(system, "POST", "/api/dossiers", headers, json=dossier_body()), range(8))
        )
    codes = {a.json().get("code") for a in answers if a.status_code == 201}
    assert len(codes) == 1
    assert all(a.status_code in (201, 409) for a in answers)
    assert system.scalar("intake", "SELECT count(*) FROM dossiers WHERE code = :c", c=codes.pop()) == 1


def test_catalogue_import_and_listing_by_day(system):
    entry = {
        "code": "3.000777",
        "name": "Thủ tục nhập qua API",
        "field": "Thử",
        "level": 2,
        "agency_code": AGENCY,
        "duration_days": 2,
        "route": [{"department": "TCKH", "days": 2}],
        "fees": [],
        "documents": ["Đơn"],
        "return_methods": ["counter"],
        "supplement_clock": "pause",
        "cutoff": None,
        "effective_from": "2026-12-01",
        "effective_to": None,
        "legal_basis": "",
    }
    demo = json.loads(open("services/intake/catalog/demo.json", encoding="utf-8").read())["procedures"]
    first = call(system, "POST", "/api/procedures/import", ADMIN, json={"procedures": demo + [entry]})
    assert first.status_code == 200, first.text
    assert [a["code"] for a in first.json()["added"]] == ["3.000777"]
    second = call(system, "POST", "/api/procedures/import", ADMIN, json={"procedures": demo + [entry]})
    assert second.json()["added"] == [] and len(second.json()["unchanged"]) == 4

    today = {p["code"] for p in call(system, "GET", "/api/procedures").json()["procedures"]}
    december = {p["code"] for p in call(system, "GET", "/api/procedures?at=2026-12-01").json()["procedures"]}
    assert "3.000777" not in today and "3.000777" in december
    too_early = call(system, "POST", "/api/dossiers", COUNTER, json=dossier_body(procedure="3.000777"))
    assert too_early.status_code == 422 and too_early.json()["error"]["code"] == "procedure_not_yet_effective"
    assert call(system, "GET", "/api/procedures?at=mai").status_code == 400
    bad = call(system, "POST", "/api/procedures/import", ADMIN, json={"procedures": [{**entry, "level": 9}]})
    assert bad.status_code == 400 and "level" in bad.json()["error"]["fields"]["procedures"]["0"]


def test_calendar_override_moves_the_appointment_shown_before_submission(system):
    received = "2026-12-10T16:00:00+07:00"  # a Thursday, after the cut-off: counted from Friday

    def due():
        params = {"procedure_code": "2.000635", "received_at": received}
        return call(system, "GET", "/api/calendar/due", COUNTER, params=params).json()["due_at"]

    assert due().startswith("2026-12-11T17:00")
    put = call(system, "PUT", "/api/calendar/overrides/2026-12-11", ADMIN, json={"kind": "day_off", "note": "thử"})
    assert put.status_code == 200 and put.json()["version"] >= 1
    try:
        assert due().startswith("2026-12-14T17:00")
        listing = call(system, "GET", "/api/calendar/overrides", COUNTER).json()
        assert {"day": "2026-12-11", "kind": "day_off"}.items() <= listing["overrides"][0].items()
    finally:
        removed = call(system, "DELETE", "/api/calendar/overrides/2026-12-11", ADMIN)
    assert removed.status_code == 200 and removed.json()["version"] == put.json()["version"] + 1
    assert due().startswith("2026-12-11T17:00")
    assert (
        call(
            system, "GET", "/api/calendar/due", COUNTER, params={"procedure_code": "2.000635", "received_at": "hôm nay"}
        ).status_code
        == 400
    )


def test_pickup_completed_registers_one_postal_dossier_received_at_hand_over(system, amqp_uri):
    handed = clock.now() - timedelta(minutes=20)
    pickup = f"pk-{uuid.uuid4().hex[:8]}"
    data = {
        "pickup_id": pickup,
        "handed_over_at": handed,
        "waybill": "EP000111222VN",
        "submission": {k: v for k, v in dossier_body().items() if k != "channel"},
    }
    publisher = ConfirmingPublisher(amqp_uri)
    try:
        for _ in range(2):  # the same collection reported twice (two events)
            env = events.envelope("pickup_completed", "-", data, source="postal")
            publisher.publish_batch([(event_exchange("postal"), "pickup_completed", json.dumps(env).encode(), {})])
    finally:
        publisher.close()
    code = wait_for(
        lambda: system.scalar("intake", "SELECT code FROM dossiers WHERE pickup_id = :p", p=pickup),
        message="postal dossier registered",
    )
    view = call(system, "GET", f"/api/dossiers/{code}", COUNTER).json()
    assert view["status"] == "submitted" and view["channel"] == "postal"
    accepted = call(system, "POST", f"/api/dossiers/{code}/accept", COUNTER, json={}).json()
    assert datetime.fromisoformat(accepted["received_at"]) == handed  # the hand-over, not the check
    wait_for(
        lambda: (
            system.scalar(
                "intake",
                "SELECT count(*) FROM inbox WHERE consumer = 'intake.pickup_completed' "
                "AND event_type = 'pickup_completed'",
            )
            >= 2
        ),
        message="both handled",
    )
    assert system.scalar("intake", "SELECT count(*) FROM dossiers WHERE pickup_id = :p", p=pickup) == 1


# --- issue 13 over HTTP -------------------------------------------------------------------


def test_an_online_submission_with_no_contact_is_400(system):
    """Decree 61/2018/NĐ-CP Art. 17: an online dossier is answered by SMS or e-mail."""
    body = dossier_body(channel="online", sms=False, email=False)
    body["applicant"] = {k: v for k, v in body["applicant"].items() if k not in ("phone", "email")}
    response = call(system, "POST", "/api/dossiers", PORTAL, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "notify" in error["fields"]
    assert "liên lạc" in error["message"]  # Vietnamese, for people


def test_the_portal_supplements_and_withdraws_its_own_online_dossiers_and_nobody_elses(system):
    """Decree 61/2018/NĐ-CP Art. 17: online dossiers are supplemented and withdrawn online."""
    reference = online(system)
    accepted = call(system, "POST", f"/api/dossiers/{reference}/accept", COUNTER)
    assert accepted.status_code == 200, accepted.text
    code = accepted.json()["code"]
    papers = {"documents": [{"name": "Giấy khai sinh", "copies": 1}]}
    for name in (code, reference):
        other = call(system, "POST", f"/api/dossiers/{name}/withdraw", OTHER_PORTAL, json={"reason": "Không phải tôi"})
        assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    early = call(system, "POST", f"/api/dossiers/{code}/supplement", PORTAL, json=papers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "wrong_status"  # nothing asked yet
    mine = call(system, "POST", f"/api/dossiers/{code}/withdraw", PORTAL, json={"reason": "Tôi xin rút hồ sơ"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["status"] == "withdrawn" and mine.json()["history"][-1]["actor"] == "dichvucong"
    # a counter dossier is nobody's online dossier
    counter_code = submit(system, dossier_body())
    assert (
        call(
            system, "POST", f"/api/dossiers/{counter_code}/withdraw", PORTAL, json={"reason": "Tôi xin rút"}
        ).status_code
        == 404
    )


def test_a_refused_submission_uses_no_code_and_the_lookup_finds_either(system):
    """Circular 01/2018/TT-VPCP Art. 19: codes are given at reception, without gaps."""
    refused, accepted = online(system), online(system)
    answer = call(system, "POST", f"/api/dossiers/{refused}/refuse", COUNTER, json={"reason": "Không thuộc thẩm quyền"})
    assert answer.status_code == 200 and answer.json()["code"] is None and answer.json()["reference"] == refused
    before = submit(system, dossier_body())
    code = call(system, "POST", f"/api/dossiers/{accepted}/accept", COUNTER).json()["code"]
    after = submit(system, dossier_body())
    numbers = [int(c.rsplit("-", 1)[1]) for c in (before, code, after)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]  # the refusal took no number
    for name in (code, accepted):
        found = call(system, "POST", "/api/lookup", json={"code": name, "id_number": ID_NUMBER})
        assert found.status_code == 200 and found.json()["code"] == code and found.json()["reference"] == accepted
    pending = call(system, "POST", "/api/lookup", json={"code": refused, "id_number": ID_NUMBER})
    assert pending.status_code == 200 and pending.json()["code"] is None and pending.json()["status"] == "refused"
    # the read scope of a reference is the dossier's agency
    assert call(system, "GET", f"/api/dossiers/{refused}", COUNTER).status_code == 200
    assert call(system, "GET", f"/api/dossiers/{refused}", OTHER_COUNTER).status_code == 404


def test_procedures_show_their_online_service_level(system):
    """Decree 42/2022/NĐ-CP: toàn trình (full) or một phần (partial)."""
    listed = {p["code"]: p for p in call(system, "GET", "/api/procedures").json()["procedures"]}
    assert (listed["2.000635"]["online_service"], listed["2.000635"]["level"]) == ("full", 4)
    assert (listed["1.000105"]["online_service"], listed["1.000105"]["level"]) == ("partial", 3)
