"""The citizens' forms without the web: the lookup and the online submission as API
bodies, the API's errors back on the form's fields, the timeline, the limit."""

from services.web import citizen_forms as cf
from services.web.form_errors import flatten, unplaced

PROCEDURE = {
    "code": "2.000635",
    "name": "Cấp bản sao trích lục hộ tịch",
    "online_service": "full",
    "documents": ["Tờ khai cấp bản sao trích lục hộ tịch", "Bản sao giấy tờ tùy thân"],
    "return_methods": ["counter", "postal"],
}


def submission(**fields):
    form = {
        "applicant.full_name": " Nguyễn Thị Hoa ",
        "applicant.id_number": "031 190 001 234",
        "applicant.phone": "0912345678",
        "applicant.email": "",
        "applicant.address": "",
        "doc.0": "1",
        "documents.0.copies": "2",
        "documents.1.copies": "1",
        "return_method": "counter",
        "delivery_address": "15 Lạch Tray",
        "notify.sms": "1",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


# --- the lookup ---------------------------------------------------------------------------


def test_the_contracts_id_number_field_is_sent_as_it_is():
    typed = cf.lookup_form({"code": " 000.00.06.h56-261126-0001 ", "id_number": "031190001234"})
    assert typed.errors == {}
    assert typed.body == {"code": "000.00.06.H56-261126-0001", "id_number": "031190001234"}


def test_the_pages_kind_and_identifier_become_that_field_without_spaces():
    typed = cf.lookup_form({"code": "TN-261126-ABCDEFGH", "kind": "passport_number", "identifier": " C 1234567 "})
    assert typed.body == {"code": "TN-261126-ABCDEFGH", "passport_number": "C1234567"}
    assert typed.kind == "passport_number"
    # an unknown kind is never sent as a field name
    forged = cf.lookup_form({"code": "X", "kind": "phone", "identifier": "0912345678"})
    assert forged.body == {"code": "X", "id_number": "0912345678"}


def test_a_missing_code_or_identifier_is_the_forms_own_error():
    typed = cf.lookup_form({"code": "  ", "kind": "id_number", "identifier": ""})
    assert set(typed.errors) == {"code", "identifier"}
    both = cf.lookup_form({"code": "X", "id_number": "031190001234", "passport_number": "C1234567"})
    assert "identifier" in both.errors


def test_the_apis_errors_land_on_the_two_fields():
    errors = cf.lookup_errors({"code": ["Mã hồ sơ có dạng ..."], "id_number": ["Số CCCD phải gồm đúng 12 chữ số"]})
    assert errors == {"code": ["Mã hồ sơ có dạng ..."], "identifier": ["Số CCCD phải gồm đúng 12 chữ số"]}


def test_the_timeline_has_each_status_once_with_its_time_then_the_appointment():
    answer = {
        "status": "in_progress",
        "appointment": "2026-12-03T17:00:00+07:00",
        "rescheduled": True,
        "overdue": False,
        "steps": [
            {"status": "submitted", "at": "2026-11-26T08:00:00+07:00"},
            {"status": "submitted", "at": "2026-11-26T08:30:00+07:00"},
            {"status": "received", "at": "2026-11-26T09:00:00+07:00"},
            {"status": "in_progress", "at": "2026-11-26T09:01:00+07:00"},
        ],
    }
    steps = cf.timeline(answer)
    assert [(s.label, s.at, s.state) for s in steps] == [
        (cf.STEP_WORDS["submitted"], "2026-11-26T08:00:00+07:00", "done"),
        (cf.STEP_WORDS["received"], "2026-11-26T09:00:00+07:00", "done"),
        (cf.STEP_WORDS["in_progress"], "2026-11-26T09:01:00+07:00", "current"),
        ("Hẹn trả kết quả", "2026-12-03T17:00:00+07:00", "next"),
    ]
    assert steps[-1].note == "đã hẹn lại"


def test_a_submitted_dossier_waits_for_the_counter_and_a_returned_one_has_nothing_next():
    waiting = cf.timeline(
        {"status": "submitted", "steps": [{"status": "submitted", "at": "2026-11-26T08:00:00+07:00"}]}
    )
    assert [s.state for s in waiting] == ["current", "next"] and "mã hồ sơ" in waiting[-1].label
    returned = cf.timeline(
        {
            "status": "returned",
            "appointment": "2026-12-03T17:00:00+07:00",
            "steps": [{"status": "received", "at": "a"}, {"status": "returned", "at": "b"}],
        }
    )
    assert [s.label for s in returned] == [cf.STEP_WORDS["received"], cf.STEP_WORDS["returned"]]


def test_without_steps_the_timeline_comes_from_the_dates_of_the_answer():
    steps = cf.timeline(
        {
            "status": "result_ready",
            "received_at": "2026-11-26T09:00:00+07:00",
            "appointment": "2026-12-03T17:00:00+07:00",
            "overdue": True,
        }
    )
    assert [(s.label, s.state) for s in steps] == [
        (cf.STEP_WORDS["received"], "done"),
        (cf.STEP_WORDS["result_ready"], "current"),
        ("Hẹn trả kết quả", "next"),
    ]
    assert steps[-1].note == "đã quá hạn hẹn trả"


def test_where_to_collect_names_the_agency_or_the_post():
    counter = cf.collect_words(
        {
            "collect": {"method": "counter", "where": "Bộ phận Một cửa, cơ quan 000.00.06.H56"},
            "agency": {"code": "000.00.06.H56", "name": "UBND quận Lê Chân", "address": "Số 1 Đinh Tiên Hoàng"},
        }
    )
    assert "UBND quận Lê Chân, Số 1 Đinh Tiên Hoàng" in counter["where"]
    assert cf.collect_words({"collect": {"method": "counter", "where": "cơ quan X"}})["where"] == "cơ quan X"
    assert cf.collect_words({"collect": {"method": "postal", "where": "..."}})["how"] == "Nhận qua bưu chính"


# --- the online submission ------------------------------------------------------------------


def test_the_form_becomes_an_online_submission_of_the_catalogues_documents():
    typed = cf.submission_form(submission(), PROCEDURE)
    assert typed.errors == {}
    assert typed.body == {
        "procedure_code": "2.000635",
        "channel": "online",
        "applicant": {
            "kind": "citizen",
            "full_name": "Nguyễn Thị Hoa",
            "id_number": "031190001234",
            "phone": "0912345678",
        },
        "documents": [{"name": "Tờ khai cấp bản sao trích lục hộ tịch", "copies": 2}],
        "return_method": "counter",  # the delivery address is not sent when nothing goes by post
        "notify": {"sms": True, "email": False},
    }


def test_postal_return_sends_the_delivery_address_and_documents_keep_their_rows():
    typed = cf.submission_form(submission(**{"doc.0": None, "doc.1": "1", "return_method": "postal"}), PROCEDURE)
    assert typed.body["delivery_address"] == "15 Lạch Tray"
    assert typed.body["documents"] == [{"name": "Bản sao giấy tờ tùy thân", "copies": 1}]
    assert typed.documents == {0: 1}
    errors = cf.submission_errors(
        {"documents": {"0": {"copies": ["Số bản phải từ 1 đến 100"]}}, "applicant": {"phone": ["sai"]}},
        typed.documents,
    )
    assert errors == {"documents.1.copies": ["Số bản phải từ 1 đến 100"], "applicant.phone": ["sai"]}


def test_bad_copies_or_a_return_method_the_procedure_has_not_are_refused_before_the_api():
    typed = cf.submission_form(submission(**{"documents.0.copies": "hai", "return_method": "email"}), PROCEDURE)
    assert set(typed.errors) == {"documents.0.copies", "return_method"}
    fullwidth = cf.submission_form(submission(**{"documents.0.copies": "２"}), PROCEDURE)
    assert "documents.0.copies" in fullwidth.errors
    one_way = cf.submission_form(submission(return_method=""), {**PROCEDURE, "return_methods": ["counter"]})
    assert one_way.errors == {} and one_way.body["return_method"] == "counter"


def test_a_document_name_is_never_taken_from_the_form():
    typed = cf.submission_form(submission(**{"documents.0.name": "<script>", "doc.5": "1"}), PROCEDURE)
    assert [d["name"] for d in typed.body["documents"]] == [PROCEDURE["documents"][0]]


def test_the_values_shown_again_and_the_first_showings_defaults():
    first = cf.submission_values({}, PROCEDURE)
    assert first["doc.0"] and first["doc.1"] and first["return_method"] == "counter" and first["notify.sms"]
    again = cf.submission_values(submission(), PROCEDURE)
    assert again["applicant.full_name"] == "Nguyễn Thị Hoa" and again["doc.0"] and not again["doc.1"]
    assert again["documents.0.copies"] == "2" and not again["notify.email"]


def test_nested_api_errors_flatten_to_dotted_names_and_the_rest_are_listed():
    flat = flatten({"applicant": {"on_behalf_of": {"id_number": ["x"]}}, "notify": ["a", "b"], "channel": ["c"]})
    assert flat == {"applicant.on_behalf_of.id_number": ["x"], "notify": ["a", "b"], "channel": ["c"]}
    assert unplaced(flat, ["notify"]) == ["x", "c"]


def test_only_full_and_partial_online_service_is_offered():
    assert cf.offered_online({"online_service": "full"}) and cf.offered_online({"online_service": "partial"})
    assert not cf.offered_online({"online_service": "none"}) and not cf.offered_online({})
