"""The register's list (GET /api/dossiers) over HTTP, against the running services:
scoped to the reader (a counter's agency, an officer's department), filtered by
status, day and a search text, newest first, a page at a time."""

import random
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from tests.helpers import wait_for
from tests.system import ADMIN, AGENCY, COUNTER, dossier_body, officer, submit, token

pytestmark = pytest.mark.e2e

PORTAL = token("portal", sub="dichvucong")
OTHER_AGENCY = "000.00.01.H56"
OTHER_COUNTER = token("counter", agency=OTHER_AGENCY, sub="canbo.khac")
LETTERS = "abcdeghiklmnopqrstuvxy"


def page(system, headers=COUNTER, **params):
    response = requests.get(system.url("intake", "/api/dossiers"), params=params, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def listed(system, headers=COUNTER, **params):
    return page(system, headers, **params)["dossiers"]


def refused(system, headers=COUNTER, **params):
    return requests.get(system.url("intake", "/api/dossiers"), params=params, headers=headers, timeout=10)


def unique_word():
    return "".join(random.choice(LETTERS) for _ in range(10))


def id_number():
    return "031" + "".join(random.choice("0123456789") for _ in range(9))


def person(full_name, number=None, **more):
    return {**dossier_body()["applicant"], "full_name": full_name, "id_number": number or id_number(), **more}


def at_counter(system, applicant, headers=COUNTER):
    key = str(uuid.uuid4())
    body = dossier_body(applicant=applicant)
    response = requests.post(
        system.url("intake", "/api/dossiers"), json=body, headers={**headers, "Idempotency-Key": key}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def online(system, applicant):
    response = requests.post(
        system.url("intake", "/api/dossiers"),
        json=dossier_body(channel="online", applicant=applicant),
        headers=PORTAL,
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["reference"]


def test_a_counter_lists_its_own_agencys_dossiers_newest_first(system):
    word = unique_word()
    first = at_counter(system, person(f"Lê Văn {word}"))["code"]
    second = at_counter(system, person(f"Lê Thị {word}"))["code"]
    elsewhere = at_counter(system, person(f"Lê Ngọc {word}"), OTHER_COUNTER)["code"]
    assert first.startswith(AGENCY) and elsewhere.startswith(OTHER_AGENCY)

    mine = listed(system, q=word)
    assert [d["code"] for d in mine] == [second, first]  # newest first, the other agency's not there
    row = mine[0]
    # received, or already taken up by processing (its event arrives on its own time)
    assert row["status"] in ("received", "in_progress") and row["channel"] == "counter" and row["reference"] is None
    assert row["procedure"] == {"code": "2.000635", "name": "Cấp bản sao trích lục hộ tịch"}
    assert row["applicant_name"] == f"Lê Thị {word}" and row["received_at"] and row["due_at"]
    assert "id_number" not in row  # no identity number in a list

    assert [d["code"] for d in listed(system, OTHER_COUNTER, q=word)] == [elsewhere]
    assert {d["code"] for d in listed(system, ADMIN, q=word)} == {first, second, elsewhere}  # an admin: every agency


def test_the_submissions_waiting_for_the_counter_are_listed_by_their_reference(system):
    word = unique_word()
    reference = online(system, person(f"Phan Thị {word}"))
    received = at_counter(system, person(f"Phan Văn {word}"))["code"]
    waiting = listed(system, status="submitted", limit=200)
    row = next(d for d in waiting if d["reference"] == reference)
    assert row["code"] is None and row["channel"] == "online" and row["received_at"] is None
    assert row["submitted_at"] and row["due_at"] is None
    assert all(d["status"] == "submitted" for d in waiting)
    assert received not in [d["code"] for d in waiting]

    accepted = requests.post(system.url("intake", f"/api/dossiers/{reference}/accept"), headers=COUNTER, timeout=10)
    assert accepted.status_code == 200, accepted.text
    assert reference not in [d["reference"] for d in listed(system, status="submitted", limit=200)]
    [now_received] = listed(system, q=reference)
    assert now_received["code"] == accepted.json()["code"] and now_received["status"] in ("received", "in_progress")


def test_a_day_lists_what_was_received_then_and_what_was_submitted_then(system):
    word = unique_word()
    answer = at_counter(system, person(f"Vũ Văn {word}"))
    reference = online(system, person(f"Vũ Thị {word}"))
    day = datetime.fromisoformat(answer["received_at"]).date()  # the answer is in Vietnam's time
    on_day = {d["code"] or d["reference"] for d in listed(system, received_on=day.isoformat(), q=word)}
    assert on_day == {answer["code"], reference}
    assert listed(system, received_on=(day - timedelta(days=1)).isoformat(), q=word) == []
    assert listed(system, received_on=(day + timedelta(days=1)).isoformat(), q=word) == []


def test_search_by_code_reference_identity_number_or_a_part_of_the_name(system):
    word = unique_word()
    number = id_number()
    code = at_counter(system, person(f"Đặng Thị Ánh {word.capitalize()}", number))["code"]
    reference = online(system, person(f"Trịnh Văn {word}"))
    organisation_code = "0" + "".join(random.choice("0123456789") for _ in range(9))
    organisation = {
        "kind": "organisation",
        "name": f"Công ty TNHH {word}",
        "organisation_code": organisation_code,
        "representative": {"full_name": "Ngô Văn Đại", "id_number": id_number()},
        "phone": "0912345678",
    }
    business = at_counter(system, organisation)["code"]

    assert [d["code"] for d in listed(system, q=code)] == [code]
    assert [d["reference"] for d in listed(system, q=reference)] == [reference]
    assert [d["code"] for d in listed(system, q=number)] == [code]
    assert [d["code"] for d in listed(system, q=organisation_code)] == [business]
    # without case or accents, đ as d; and as typed
    assert [d["code"] for d in listed(system, q=f"dang thi anh {word}")] == [code]
    assert [d["code"] for d in listed(system, q=f"ĐẶNG THỊ ÁNH {word.upper()}")] == [code]
    assert [d["code"] for d in listed(system, q=f"Ánh {word.capitalize()}")] == [code]
    assert listed(system, q=f"Đặng Thị Ánh {unique_word()}") == []
    # another agency's counter finds none of them, whatever it types
    for q in (code, reference, number, f"anh {word}"):
        assert listed(system, OTHER_COUNTER, q=q) == []


def test_filters_combine_and_the_list_is_bounded(system):
    word = unique_word()
    codes = [at_counter(system, person(f"Hà Văn {word}"))["code"] for _ in range(3)]
    reference = online(system, person(f"Hà Thị {word}"))
    assert [d["code"] or d["reference"] for d in listed(system, q=word, limit=2)] == [reference, codes[2]]
    assert [d["code"] or d["reference"] for d in listed(system, q=word)] == [reference, *codes[::-1]]
    assert [d["reference"] for d in listed(system, q=word, status="submitted")] == [reference]
    assert listed(system, q=word, status="returned") == []
    assert len(listed(system, limit=1)) == 1
    assert len(listed(system, status="", q="", received_on="")) >= 4  # a blank parameter is no filter


def test_pages_follow_one_another_through_the_cursor(system):
    word = unique_word()
    codes = [at_counter(system, person(f"Đỗ Văn {word}"))["code"] for _ in range(5)]
    first = page(system, q=word, limit=2)
    assert [d["code"] for d in first["dossiers"]] == codes[:-3:-1] and first["next"]
    second = page(system, q=word, limit=2, after=first["next"])
    last = page(system, q=word, limit=2, after=second["next"])
    assert [d["code"] for d in second["dossiers"] + last["dossiers"]] == codes[-3::-1]
    assert last["next"] is None


def test_an_officer_finds_the_dossiers_its_department_had(system):
    word = unique_word()
    code = at_counter(system, person(f"Lâm Văn {word}"))["code"]  # 2.000635: processing routes it to TUPHAP
    wait_for(lambda: listed(system, officer("TUPHAP"), q=word), message="processing_started followed")
    assert [d["code"] for d in listed(system, officer("TUPHAP"), q=word)] == [code]
    for q in (word, code):
        assert listed(system, officer("QLDT"), q=q) == []


def test_bad_parameters_are_named_and_strangers_are_refused(system):
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"limit": "201"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"received_on": "26/11/2026"}, "received_on"),
        ({"received_from": "2026-11-30", "received_to": "2026-11-01"}, "received_to"),
        ({"channel": "fax"}, "channel"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"q": "x" * 101}, "q"),
        ({"after": "not-a-cursor"}, "after"),
    ):
        answer = refused(system, **params)
        assert answer.status_code == 400, (params, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "invalid_input" and list(error["fields"]) == [field], answer.text
    assert refused(system, headers={}).status_code == 401
    answer = refused(system, headers=PORTAL)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert submit(system, dossier_body())  # the POST of the same path still submits


def test_the_dossier_says_which_printable_forms_it_has(system):
    def forms(code):
        answer = requests.get(system.url("intake", f"/api/dossiers/{code}"), headers=COUNTER, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["forms"]

    assert forms(at_counter(system, person("Mai Văn Lộc"))["code"]) == ["01"]  # the receipt
    waiting = online(system, person("Mai Thị Hạnh"))
    assert forms(waiting) == []
    incomplete = requests.post(
        system.url("intake", f"/api/dossiers/{waiting}/accept"),
        json={"missing_documents": ["Tờ khai cấp bản sao trích lục hộ tịch"]},
        headers=COUNTER,
        timeout=10,
    )
    assert incomplete.status_code == 422, incomplete.text
    assert forms(waiting) == ["02"]  # the counter's guidance: the request to complete it
    refusal = requests.post(
        system.url("intake", f"/api/dossiers/{waiting}/refuse"),
        json={"reason": "Không thuộc thẩm quyền của quận"},
        headers=COUNTER,
        timeout=10,
    )
    assert refusal.status_code == 200, refusal.text
    assert forms(waiting) == ["02", "03"]
