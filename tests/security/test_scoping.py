"""Reads are scoped: an officer sees a dossier only when a task of it is or was in
the officer's department, a counter only its agency's dossiers, a portal client
only the pickups it asked for; everything else answers the 404 of a code that does
not exist, so a crawl of the (legally sequential) codes learns nothing."""

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from shared.auth import verify
from shared.http import api, http, json_response
from shared.messaging import rpc
from shared.scope import DossierScope
from tests.helpers import wait_for
from tests.system import (
    ADMIN,
    AGENCY,
    COUNTER,
    TEST_SECRET,
    call,
    dossier_body,
    free_port,
    officer,
    submit,
    token,
    work_through,
)

pytestmark = pytest.mark.e2e

OTHER_COUNTER = token("counter", agency="000.00.01.H56", sub="canbo.xaphuong")
SAME_AGENCY_COUNTER = token("counter", agency=AGENCY, sub="canbo.motcua.2")
NEVER_HAD_IT = officer("TCKH")  # the demo catalogue routes 2.000635 and 1.001776 elsewhere
APPLICANT = dossier_body()["applicant"]


def get(system, service, path, headers, **kwargs):
    return call("GET", system.url(service, path), headers=headers, **kwargs)


def reads(code):
    """Every read of a dossier, by service: (service, path)."""
    return [
        ("intake", f"/api/dossiers/{code}"),
        ("processing", f"/api/dossiers/{code}/control-slip"),
        ("processing", f"/api/dossiers/{code}/control-slip?format=html"),
        ("processing", f"/api/dossiers/{code}/extension"),
        ("postal", f"/api/shipments?dossier_code={code}"),
        ("notify", f"/api/notifications?dossier_code={code}"),
    ]


def assert_hidden(answer, code):
    """The 404 of a dossier that does not exist: the error shape, nothing of the dossier."""
    assert answer.status_code == 404, answer.text
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == "not_found" and body["error"]["fields"] == {}
    assert code in body["error"]["message"]
    text = json.dumps(body, ensure_ascii=False)
    for secret in (
        APPLICANT["full_name"],
        APPLICANT["id_number"][-3:],
        APPLICANT["phone"][-2:],
        "shipments",
        "notifications",
        "hand_offs",
        "history",
    ):
        assert secret not in text.replace(code, ""), (secret, text)


@pytest.fixture(scope="module")
def posted(system):
    """A dossier that went through TUPHAP and out by post: it has a control slip,
    a delivered shipment and messages."""
    code = submit(system, dossier_body(procedure="2.000635", return_method="postal", sms=True))
    wait_for(lambda: work_through(system, "TUPHAP"), message="approved by TUPHAP")
    wait_for(
        lambda: (lambda r: r.status_code == 200 and r.json()["shipments"])(
            get(system, "postal", f"/api/shipments?dossier_code={code}", ADMIN)
        ),
        timeout=30,
        message="its shipment",
    )
    wait_for(
        lambda: (lambda r: r.status_code == 200 and r.json()["notifications"])(
            get(system, "notify", f"/api/notifications?dossier_code={code}", ADMIN)
        ),
        timeout=30,
        message="its messages",
    )
    return code


def test_an_officer_of_a_department_that_never_had_the_dossier_sees_none_of_it(system, posted):
    for service, path in reads(posted):
        assert_hidden(get(system, service, path, NEVER_HAD_IT), posted)
    extend = call(
        "POST",
        system.url("processing", f"/api/dossiers/{posted}/extension"),
        headers=NEVER_HAD_IT,
        json={"reason": "Chờ ý kiến cơ quan phối hợp", "new_due_at": "2026-12-30T17:00:00+07:00"},
    )
    assert_hidden(extend, posted)

    # the department that worked on it reads all of it
    insider = officer("TUPHAP")
    view = get(system, "intake", f"/api/dossiers/{posted}", insider)
    assert view.status_code == 200 and view.json()["code"] == posted
    slip = get(system, "processing", f"/api/dossiers/{posted}/control-slip", insider)
    assert slip.status_code == 200 and "TUPHAP" in [h["to"] for h in slip.json()["hand_offs"]]
    printed = get(system, "processing", f"/api/dossiers/{posted}/control-slip?format=html", insider)
    assert printed.status_code == 200 and posted in printed.text
    [shipment] = get(system, "postal", f"/api/shipments?dossier_code={posted}", insider).json()["shipments"]
    assert shipment["dossier_code"] == posted
    assert get(system, "notify", f"/api/notifications?dossier_code={posted}", insider).json()["notifications"]


def test_a_counter_of_another_agency_sees_none_of_it(system, posted):
    for service, path in [*reads(posted), ("intake", f"/api/dossiers/{posted}/receipt")]:
        assert_hidden(get(system, service, path, OTHER_COUNTER), posted)
    # the receiving agency's counter (any of its officers) and the administrator do
    for reader in (COUNTER, SAME_AGENCY_COUNTER, ADMIN):
        assert get(system, "intake", f"/api/dossiers/{posted}", reader).json()["code"] == posted
        assert get(system, "processing", f"/api/dossiers/{posted}/control-slip", reader).status_code == 200
        assert get(system, "postal", f"/api/shipments?dossier_code={posted}", reader).json()["shipments"]
        assert get(system, "notify", f"/api/notifications?dossier_code={posted}", reader).json()["notifications"]
    assert get(system, "intake", f"/api/dossiers/{posted}/receipt", COUNTER).status_code == 200


def test_a_crawl_of_sequential_codes_yields_nothing(system, posted):
    """The codes around the known one (the day's earlier dossiers, and the next 20):
    every read answers exactly as for a code that was never given out."""
    day, number = posted.rsplit("-", 1)
    codes = [f"{day}-{n:04d}" for n in range(max(1, int(number) - 10), int(number) + 21)]
    assert posted in codes
    for reader in (NEVER_HAD_IT, OTHER_COUNTER):
        for code in codes:
            for service, path in reads(code):
                if service == "processing" and reader is NEVER_HAD_IT and "extension" in path:
                    continue  # covered once above; keeps the crawl short on a shared machine
                assert_hidden(get(system, service, path, reader), code)
    # word for word: the dossier that exists answers as the code never given out
    never = codes[-1]
    for reader in (NEVER_HAD_IT, OTHER_COUNTER):
        for (service, path), (_, unused) in zip(reads(posted), reads(never), strict=True):
            assert get(system, service, path, reader).text.replace(posted, "?") == get(
                system, service, unused, reader
            ).text.replace(never, "?"), path
    # the same crawl by the right counter does find the dossier
    assert get(system, "intake", f"/api/dossiers/{posted}", COUNTER).status_code == 200


def test_the_extension_is_read_and_asked_only_by_the_department_that_holds_the_dossier(system):
    code = submit(system, dossier_body(procedure="1.001776", sms=False))  # QLDT, then LANHDAO
    wait_for(
        lambda: get(system, "processing", f"/api/dossiers/{code}/control-slip", ADMIN).status_code == 200,
        message="planned by processing",
    )
    due = datetime.fromisoformat(get(system, "intake", f"/api/dossiers/{code}", COUNTER).json()["due_at"])
    url = system.url("processing", f"/api/dossiers/{code}/extension")
    body = {"reason": "Chờ kết quả đo đạc địa chính", "new_due_at": (due + timedelta(days=7)).isoformat()}
    try:
        # LANHDAO is on the route but has had no task of it yet: out of scope like TCKH
        for outsider in (NEVER_HAD_IT, officer("LANHDAO")):
            assert_hidden(call("POST", url, headers=outsider, json=body), code)
            assert_hidden(get(system, "intake", f"/api/dossiers/{code}", outsider), code)
        made = call("POST", url, headers=officer("QLDT"), json=body)
        assert made.status_code == 200, made.text
        assert made.json()["reason"] == body["reason"]
        for reader in (officer("QLDT"), COUNTER, ADMIN):
            answer = get(system, "processing", f"/api/dossiers/{code}/extension", reader)
            assert answer.status_code == 200 and answer.json()["dossier_code"] == code
        for outsider in (NEVER_HAD_IT, officer("LANHDAO"), OTHER_COUNTER):
            assert_hidden(get(system, "processing", f"/api/dossiers/{code}/extension", outsider), code)
            assert_hidden(get(system, "processing", f"/api/dossiers/{code}/extension?format=html", outsider), code)
    finally:
        wait_for(lambda: work_through(system, "QLDT"), message="QLDT done with it")
    # once LANHDAO has had a task of it, its officers read it too
    wait_for(
        lambda: get(system, "intake", f"/api/dossiers/{code}", officer("LANHDAO")).status_code == 200,
        message="LANHDAO in scope once its task exists",
    )
    work_through(system, "LANHDAO")


PICKUP = {
    **dossier_body(procedure="2.000635", return_method="counter"),
    "channel": "postal",
    "pickup_address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
    "fees_to_collect": 8000,
}


def ask_pickup(system, headers):
    answer = call("POST", system.url("postal", "/api/pickups"), json=PICKUP, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_a_pickup_is_read_and_cancelled_only_by_who_asked_for_it(system):
    portal_a, portal_b = token("portal", sub="dichvucong.a"), token("portal", sub="dichvucong.b")
    by_portal = ask_pickup(system, portal_a)
    by_counter = ask_pickup(system, COUNTER)

    def pickup(pickup_id, headers):
        return get(system, "postal", f"/api/pickups/{pickup_id}", headers)

    def cancel(pickup_id, headers):
        return call("POST", system.url("postal", f"/api/pickups/{pickup_id}/cancel"), headers=headers)

    for pickup_id, outsiders in (
        (by_portal, (portal_b, COUNTER, OTHER_COUNTER)),
        (by_counter, (portal_a, portal_b, OTHER_COUNTER)),
    ):
        for outsider in outsiders:
            for answer in (pickup(pickup_id, outsider), cancel(pickup_id, outsider)):
                assert answer.status_code == 404, answer.text
                assert answer.json()["error"]["code"] == "not_found" and pickup_id in answer.json()["error"]["message"]
                assert set(answer.json()) == {"error"}
    assert pickup("00000000-0000-0000-0000-000000000000", portal_b).json()["error"]["code"] == "not_found"

    # who asked reads it; a counter's pickup belongs to its agency; the administrator reads all
    assert pickup(by_portal, portal_a).json()["id"] == by_portal
    assert pickup(by_counter, SAME_AGENCY_COUNTER).json()["id"] == by_counter
    for pickup_id in (by_portal, by_counter):
        view = pickup(pickup_id, ADMIN).json()
        assert view["id"] == pickup_id and view["status"] != "cancelled"  # no outsider's cancel went through
    # the asker may cancel (unless the carrier already collected it)
    assert cancel(by_portal, portal_a).status_code in (200, 409)


# --- processing unreachable: a 503 in the error shape, never a hang ----------------


class ScopedReader:
    """The scope dependency as intake, postal and notify use it."""

    name = "scope_reader"
    dossier_scope = DossierScope()

    @http("GET", "/dossiers/<string:code>")
    @api
    def read(self, request, code):
        self.dossier_scope.require(verify(request.headers.get("Authorization"), TEST_SECRET), code)
        return json_response(200, {"code": code})


class Departments:
    """A stand-in for processing's RPC answer, for the unreachable-processing tests."""

    name = "processing"

    @rpc
    def dossier_departments(self, code):
        return ["QLDT"]


@pytest.fixture
def reader(container_factory, new_vhost):
    amqp_uri = new_vhost(f"scope_{uuid.uuid4().hex[:8]}")  # a vhost of its own: nothing left from another test
    port = free_port()
    container = container_factory(
        ScopedReader, {"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "SCOPE_RPC_TIMEOUT_SECONDS": 1}
    )
    container.start()
    yield amqp_uri, f"http://127.0.0.1:{port}/dossiers/{AGENCY}-261126-0001"
    container.stop()
    new_vhost.delete(amqp_uri)


def test_an_officer_read_without_processing_is_a_503_at_once(reader):
    _, url = reader
    started = time.monotonic()
    answer = requests.get(url, headers=officer("QLDT"), timeout=20)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "processing_unavailable"
    assert time.monotonic() - started < 5
    # a counter's read needs no answer from processing
    assert requests.get(url, headers=COUNTER, timeout=20).status_code == 200


def test_an_officer_read_while_processing_does_not_answer_is_a_503_after_the_timeout(reader, container_factory):
    amqp_uri, url = reader
    answering = container_factory(Departments, {"AMQP_URI": amqp_uri})
    answering.start()
    assert requests.get(url, headers=officer("QLDT"), timeout=20).status_code == 200
    assert_hidden(requests.get(url, headers=NEVER_HAD_IT, timeout=20), url.rsplit("/", 1)[1])
    answering.stop()  # its queue stays: the question waits there unanswered
    started = time.monotonic()
    answer = requests.get(url, headers=officer("QLDT"), timeout=20)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "processing_unavailable"
    assert 0.9 < time.monotonic() - started < 5
