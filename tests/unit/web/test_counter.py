"""The counter's forms and intake's API, both ways (services/web/counter_forms.py):
a form as posted becomes the body intake takes (checked against intake's own
Submission schema), and intake's nested `fields` errors come back under the form's
field names, the documents' indexes mapped back to the form's rows."""

import pytest
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from services.intake.domain.fees import FeeSchedule, UnknownExemption, after_exemption
from services.intake.schemas import Acceptance, Reason, Submission, Supplement
from services.web import counter_forms as forms
from services.web.form_errors import unplaced
from shared.http import in_words

PROCEDURE = {
    "code": "1.001776",
    "documents": ["Đơn đề nghị cấp giấy phép xây dựng", "Bản sao giấy tờ về quyền sử dụng đất", "Bản vẽ thiết kế"],
    "return_methods": ["counter", "postal"],
}


def citizen_form(**changes):
    form = forms.blank_reception(PROCEDURE)
    form.update(
        {
            "applicant.full_name": "Nguyễn Thị Hoa",
            "applicant.id_number": "031190001234",
            "applicant.phone": "0912345678",
            "applicant.email": "",
            "applicant.address": "15 Lạch Tray, Hải Phòng",
            "notify.sms": "1",
        }
    )
    form.update(changes)
    return form


def api_errors(body):
    """What intake answers in `fields` for this body (its schema, its words)."""
    with pytest.raises(ValidationError) as refused:
        Submission().load(body)
    return in_words(refused.value.messages)


def test_the_blank_form_has_every_document_of_the_procedure_with_one_copy_and_a_spare_row():
    form = forms.blank_reception(PROCEDURE)
    assert form["applicant.kind"] == "citizen" and form["return_method"] == "counter" and form["sets"] == "1"
    assert [form[f"documents.{i}.name"] for i in range(3)] == PROCEDURE["documents"]
    assert [form[f"documents.{i}.copies"] for i in range(4)] == ["1", "1", "1", "1"]
    assert form["documents.3.name"] == ""  # the spare row
    assert (
        len(form["idempotency_key"]) == 36
        and form["idempotency_key"] != forms.blank_reception(PROCEDURE)["idempotency_key"]
    )


def test_a_citizens_form_becomes_the_body_intake_takes():
    form = citizen_form(**{"documents.1.copies": "0", "documents.2.copies": "2", "documents.3.name": "Giấy ủy quyền"})
    conversion = forms.submission(form, "1.001776")
    assert conversion.errors == {}
    assert conversion.body == {
        "procedure_code": "1.001776",
        "channel": "counter",
        "applicant": {
            "kind": "citizen",
            "full_name": "Nguyễn Thị Hoa",
            "id_number": "031190001234",
            "phone": "0912345678",
            "address": "15 Lạch Tray, Hải Phòng",
        },
        # the document not brought (0 copies) is not sent; the spare row with a name is
        "documents": [
            {"name": "Đơn đề nghị cấp giấy phép xây dựng", "copies": 1},
            {"name": "Bản vẽ thiết kế", "copies": 2},
            {"name": "Giấy ủy quyền", "copies": 1},
        ],
        "return_method": "counter",
        "notify": {"sms": True, "email": False},
        "sets": 1,
    }
    assert conversion.rows == [0, 2, 3]
    Submission().load(conversion.body)  # intake's own schema takes it


def test_an_organisation_sends_its_own_fields_with_the_representative_nested_and_no_citizen_field():
    form = citizen_form(
        **{
            "applicant.kind": "organisation",
            "applicant.name": "Công ty TNHH Hải Âu",
            "applicant.organisation_code": "0100109106",
            "applicant.representative.full_name": "Ngô Văn Đại",
            "applicant.representative.id_number": "031090004321",
        }
    )
    applicant = forms.submission(form, "1.001776").body["applicant"]
    assert applicant == {
        "kind": "organisation",
        "name": "Công ty TNHH Hải Âu",
        "organisation_code": "0100109106",
        "representative": {"full_name": "Ngô Văn Đại", "id_number": "031090004321"},
        "phone": "0912345678",
        "address": "15 Lạch Tray, Hải Phòng",
    }  # the citizen's name and CCCD typed before the switch are not sent
    Submission().load(forms.submission(form, "1.001776").body)


def test_a_foreigner_sends_passport_and_nationality_and_an_unknown_kind_is_a_citizen():
    form = citizen_form(
        **{"applicant.kind": "foreigner", "applicant.passport_number": "m1234567", "applicant.nationality": "kr"}
    )
    applicant = forms.submission(form, "1.001776").body["applicant"]
    assert applicant["kind"] == "foreigner" and applicant["passport_number"] == "m1234567"
    assert applicant["nationality"] == "kr" and "id_number" not in applicant
    assert Submission().load(forms.submission(form, "1.001776").body)["applicant"]["nationality"] == "KR"
    assert forms.kind_of({"applicant.kind": "alien"}) == "citizen"


def test_a_postal_return_carries_the_delivery_address_and_a_counter_return_does_not():
    postal = forms.submission(citizen_form(return_method="postal", delivery_address=" 2 Đà Nẵng "), "1.001776").body
    assert postal["delivery_address"] == "2 Đà Nẵng"
    counter = forms.submission(citizen_form(delivery_address="2 Đà Nẵng"), "1.001776").body
    assert "delivery_address" not in counter
    missing = forms.submission(citizen_form(return_method="postal"), "1.001776").body
    assert missing["delivery_address"] is None
    assert forms.form_errors(api_errors(missing)) == {
        "delivery_address": ["Cần địa chỉ nhận kết quả khi trả qua bưu chính"]
    }


def test_numbers_that_are_not_numbers_are_caught_before_the_api_by_their_field():
    conversion = forms.submission(citizen_form(**{"documents.1.copies": "hai", "sets": "1.5"}), "1.001776")
    assert conversion.errors == {"documents.1.copies": ["Phải là số nguyên"], "sets": ["Phải là số nguyên"]}
    assert forms.submission(citizen_form(**{"documents.0.copies": "１"}), "1.001776").errors  # fullwidth digit


def test_nested_api_errors_come_back_under_the_form_field_names():
    form = citizen_form(
        **{
            "applicant.id_number": "12345",
            "documents.0.copies": "0",
            "documents.2.copies": "101",
        }
    )
    conversion = forms.submission(form, "1.001776")
    assert conversion.rows == [1, 2]
    errors = forms.form_errors(api_errors(conversion.body), conversion.rows)
    assert errors == {
        "applicant.id_number": ["Số CCCD phải gồm đúng 12 chữ số"],
        "documents.2.copies": ["Số bản phải từ 1 đến 100"],  # the body's documents[1] is the form's row 2
    }
    shown = forms.reception_fields("citizen", forms.rows_of(form), postal=True)
    assert unplaced(errors, shown) == []  # every message has its place on the form
    no_phone = forms.submission(citizen_form(**{"applicant.phone": "", "notify.email": "1"}), "1.001776").body
    errors = forms.form_errors(api_errors(no_phone))
    assert errors == {"notify": ["Cần số điện thoại để nhận tin nhắn SMS", "Cần email để nhận thông báo qua email"]}
    assert unplaced(errors, shown) == []


def test_an_organisation_without_a_representative_id_is_named_at_that_field():
    form = citizen_form(
        **{
            "applicant.kind": "organisation",
            "applicant.name": "Công ty TNHH Hải Âu",
            "applicant.organisation_code": "0100109106",
            "applicant.representative.full_name": "Ngô Văn Đại",
        }
    )
    errors = forms.form_errors(api_errors(forms.submission(form, "1.001776").body))
    assert errors == {"applicant.representative.id_number": ["Bắt buộc nhập số CCCD"]}


def test_an_exemption_from_the_le_phi_is_sent_with_its_reason_and_needs_one():
    exempted = forms.submission(
        citizen_form(**{"fee_exemption.code": "ho_ngheo", "fee_exemption.reason": " Sổ hộ nghèo số 12 "}), "1.001776"
    )
    assert exempted.errors == {}
    assert exempted.body["fee_exemption"] == {"code": "ho_ngheo", "reason": "Sổ hộ nghèo số 12"}
    Submission().load(exempted.body)  # intake's own schema takes it
    no_reason = forms.submission(citizen_form(**{"fee_exemption.code": "ho_ngheo"}), "1.001776")
    assert list(no_reason.errors) == ["fee_exemption.reason"]  # said before asking the API
    assert no_reason.errors["fee_exemption.reason"][0].startswith("Nhập lý do")
    not_exempted = forms.submission(citizen_form(**{"fee_exemption.code": "", "fee_exemption.reason": "x"}), "1.001776")
    assert "fee_exemption" not in not_exempted.body and not_exempted.errors == {}


def test_an_exemption_the_procedure_does_not_list_is_named_beside_the_select():
    schedule = FeeSchedule.of(
        [{"name": "Lệ phí", "amount": 50000, "kind": "le_phi", "when": "before_processing"}],
        [{"code": "ho_ngheo", "name": "Hộ nghèo"}],
    )
    with pytest.raises(UnknownExemption) as refused:  # what intake answers in `fields`
        after_exemption(schedule, "nguoi_co_cong")
    errors = forms.form_errors(refused.value.fields)
    assert errors == {"fee_exemption.code": ["Đối tượng được miễn của thủ tục: ho_ngheo (Hộ nghèo)"]}
    assert unplaced(errors, forms.reception_fields("citizen", [0], postal=False, exemptions=True)) == []
    assert unplaced(errors, forms.reception_fields("citizen", [0], postal=False)) == list(errors["fee_exemption.code"])


def test_messages_the_form_has_no_place_for_are_listed_not_lost():
    errors = forms.form_errors({"channel": ["Cán bộ một cửa nhận kênh counter hoặc postal"], "_schema": ["Lỗi"]})
    shown = forms.reception_fields("citizen", [0, 1], postal=False)
    assert unplaced(errors, shown) == ["Cán bộ một cửa nhận kênh counter hoặc postal", "Lỗi"]
    assert forms.form_errors(None) == {}
    assert forms.form_errors({"reason": ["Độ dài phải từ 5 đến 2000 ký tự"]}, prefix="refuse") == {
        "refuse.reason": ["Độ dài phải từ 5 đến 2000 ký tự"]
    }


def test_the_actions_forms_become_the_bodies_of_accept_refuse_withdraw_and_supplement():
    accept = MultiDict(
        [("accept.missing", "Bản vẽ thiết kế"), ("accept.missing", " "), ("accept.note", " thiếu bản vẽ ")]
    )
    body = forms.acceptance(accept)
    assert body == {"missing_documents": ["Bản vẽ thiết kế"], "note": "thiếu bản vẽ"}
    assert Acceptance().load(body) == body
    assert forms.acceptance(MultiDict({"accept.note": "  "})) == {"missing_documents": []}  # a blank note: none
    assert Acceptance().load(forms.acceptance(MultiDict())) == {"missing_documents": [], "note": ""}

    refusal = forms.reason(MultiDict({"refuse.reason": "  Không thuộc thẩm quyền  "}), "refuse")
    assert refusal == {"reason": "Không thuộc thẩm quyền"} and Reason().load(refusal) == refusal
    with pytest.raises(ValidationError) as blank:
        Reason().load(forms.reason(MultiDict({"withdraw.reason": " "}), "withdraw"))
    assert in_words(blank.value.messages) == {"reason": ["Bắt buộc nhập"]}

    supplement = forms.supplement(
        MultiDict(
            {
                "supplement.0.name": "",
                "supplement.0.copies": "1",
                "supplement.1.name": "Giấy khai sinh",
                "supplement.1.copies": "2",
                "supplement.note": "đủ",
            }
        )
    )
    assert supplement.body == {"documents": [{"name": "Giấy khai sinh", "copies": 2}], "note": "đủ"}
    assert supplement.rows == [1] and Supplement().load(supplement.body)
    bare = forms.supplement(MultiDict({"supplement.0.name": "Giấy khai sinh", "supplement.note": ""})).body
    assert bare == {"documents": [{"name": "Giấy khai sinh", "copies": 1}]} and Supplement().load(bare)
    too_many = {"documents": {"0": {"copies": ["Số bản phải từ 1 đến 100"]}}}
    none = {"documents": ["Cần ít nhất một giấy tờ bổ sung"]}
    assert forms.form_errors(too_many, [1], prefix="supplement", documents_at="supplement") == {
        "supplement.1.copies": ["Số bản phải từ 1 đến 100"]  # the row the officer typed it in
    }
    assert forms.form_errors(none, [], prefix="supplement", documents_at="supplement") == {
        "supplement.documents": ["Cần ít nhất một giấy tờ bổ sung"]
    }


def test_procedures_are_found_by_code_or_by_a_part_of_the_name_without_accents():
    procedures = [
        {"code": "2.000635", "name": "Cấp bản sao trích lục hộ tịch"},
        {"code": "1.001776", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ"},
        {"code": "1.000105", "name": "Đăng ký thành lập hộ kinh doanh"},
    ]
    codes = lambda q: [p["code"] for p in forms.matching_procedures(procedures, q)]  # noqa: E731
    assert codes("") == ["1.000105", "1.001776", "2.000635"]
    assert codes("xay dung") == ["1.001776"]
    assert codes("GIẤY PHÉP") == ["1.001776"]
    assert codes("dang ky") == ["1.000105"]
    assert codes("000635") == ["2.000635"]
    assert codes("hộ") == ["1.000105", "2.000635"]
    assert codes("không có") == []
    assert forms.folded("  Đặng  THỊ Ánh ") == "dang thi anh"
