"""Request bodies of the counter API, with errors a counter officer understands."""

import re
from pathlib import Path

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from services.intake.domain.errors import InvalidCatalogue
from shared import clock
from shared.http import in_words, plausible_day

# the illustrative catalogue of the local quick start
DEMO_CATALOGUE = Path(__file__).parent / "catalog" / "demo.json"


# ASCII digits only, the whole value: `\d` also matches Arabic-Indic or fullwidth
# digits, and `$` matches before a trailing newline. Every pattern ends in \Z.
ID_NUMBER = re.compile(r"[0-9]{12}\Z")
PHONE = re.compile(r"(?:\+84|84|0)(?:3|5|7|8|9)[0-9]{8}\Z")
PROCEDURE_CODE = re.compile(r"[0-9]\.[0-9]{6}\Z")
# QCVN 102:2016/BTTTT: V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.00.06.H56
AGENCY_CODE = re.compile(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z")
# The first three digits of a citizen ID (CCCD) are the province of birth
# [Circular 59/2021/TT-BCA, Annex I]: the 63 province codes.
PROVINCES = frozenset(
    (
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    )
)


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _text(required=True, max_length=500, min_length=1, **kwargs):
    return fields.String(
        required=required,
        validate=validate.Length(min=min_length, max=max_length, error="Độ dài phải từ {min} đến {max} ký tự"),
        error_messages={"required": "Bắt buộc nhập", "invalid": "Phải là chuỗi ký tự", "null": "Không được để trống"},
        **kwargs,
    )


def check_id_number(value):
    if not isinstance(value, str) or not ID_NUMBER.match(value):
        raise ValidationError("Số CCCD phải gồm đúng 12 chữ số")
    if value[:3] not in PROVINCES:
        raise ValidationError(f"Số CCCD không hợp lệ: mã tỉnh nơi đăng ký khai sinh {value[:3]} không tồn tại")


class Applicant(Strict):
    full_name = _text(min_length=2, max_length=200)
    id_number = fields.String(
        required=True, validate=check_id_number, error_messages={"required": "Bắt buộc nhập số CCCD"}
    )
    phone = fields.String(load_default=None, allow_none=True)
    email = fields.Email(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        error_messages={"invalid": "Email không hợp lệ (ví dụ ten@example.vn)"},
    )
    address = _text(required=False, load_default=None, allow_none=True)

    @validates("phone")
    def _phone(self, value, **_):
        # spaces between groups are fine, up to the column's 20 characters
        if value is not None and (len(value) > 20 or not PHONE.match(value.replace(" ", ""))):
            raise ValidationError("Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912345678 hoặc +84912345678)")


class Document(Strict):
    name = _text(max_length=300)
    copies = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=1, max=100, error="Số bản phải từ {min} đến {max}")
    )


class Notify(Strict):
    sms = fields.Boolean(load_default=False)
    email = fields.Boolean(load_default=False)


class Submission(Strict):
    procedure_code = fields.String(
        required=True, validate=validate.Regexp(PROCEDURE_CODE, error="Mã thủ tục có dạng 1.001776")
    )
    channel = fields.String(
        required=True,
        validate=validate.OneOf(("counter", "online", "postal"), error="Kênh nộp phải là counter, online hoặc postal"),
    )
    applicant = fields.Nested(Applicant, required=True)
    documents = fields.List(
        fields.Nested(Document),
        load_default=list,
        validate=validate.Length(max=100, error="Tối đa {max} thành phần hồ sơ"),
    )
    return_method = fields.String(
        required=True,
        validate=validate.OneOf(("counter", "postal"), error="Hình thức trả kết quả phải là counter hoặc postal"),
    )
    delivery_address = _text(required=False, load_default=None, allow_none=True)
    notify = fields.Nested(Notify, load_default=dict)

    @validates_schema
    def _consistent(self, data, **_):
        problems = {}
        applicant = data.get("applicant") or {}
        notify = data.get("notify") or {}
        if data.get("return_method") == "postal" and not (data.get("delivery_address") or "").strip():
            problems["delivery_address"] = ["Cần địa chỉ nhận kết quả khi trả qua bưu chính"]
        if notify.get("sms") and not applicant.get("phone"):
            problems.setdefault("notify", []).append("Cần số điện thoại để nhận tin nhắn SMS")
        if notify.get("email") and not applicant.get("email"):
            problems.setdefault("notify", []).append("Cần email để nhận thông báo qua email")
        if problems:
            raise ValidationError(problems)


class Acceptance(Strict):
    """The counter's check of a submitted dossier: documents it finds missing mean
    guidance (Form 02) instead of reception."""

    missing_documents = fields.List(_text(max_length=300), load_default=list)
    note = _text(required=False, load_default="", max_length=1000)


class Guidance(Strict):
    """A dossier checked at the counter before it is submitted (Form 02)."""

    procedure_code = fields.String(
        required=True, validate=validate.Regexp(PROCEDURE_CODE, error="Mã thủ tục có dạng 1.001776")
    )
    documents = fields.List(fields.Nested(Document), load_default=list)
    missing_documents = fields.List(_text(max_length=300), load_default=list)


class Reason(Strict):
    reason = _text(min_length=5, max_length=2000)


class Supplement(Strict):
    documents = fields.List(
        fields.Nested(Document), required=True, validate=validate.Length(min=1, error="Cần ít nhất một giấy tờ bổ sung")
    )
    note = _text(required=False, load_default="", max_length=1000)


class CalendarOverrideBody(Strict):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            ("day_off", "working_day"), error="Loại phải là day_off (nghỉ thêm) hoặc working_day (làm bù)"
        ),
    )
    note = _text(required=False, load_default="", max_length=500)


class Expiry(Strict):
    last_day = fields.Date(required=True, validate=plausible_day, error_messages={"invalid": "Ngày có dạng YYYY-MM-DD"})


class RouteStep(Strict):
    department = _text(max_length=20)
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, error="Không được âm"))


class CatalogueEntry(Strict):
    code = fields.String(required=True, validate=validate.Regexp(PROCEDURE_CODE, error="Mã thủ tục có dạng 1.001776"))
    name = _text()
    field = _text(max_length=200)
    level = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=4, error="Mức độ dịch vụ công từ 1 đến 4")
    )
    agency_code = fields.String(
        required=True, validate=validate.Regexp(AGENCY_CODE, error="Mã cơ quan có dạng 000.00.06.H56")
    )
    duration_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=365, error="Thời hạn giải quyết từ {min} đến {max} ngày làm việc"),
    )
    route = fields.List(
        fields.Nested(RouteStep), required=True, validate=validate.Length(min=1, error="Cần ít nhất một bước xử lý")
    )
    fee = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, error="Phí không được âm"))
    documents = fields.List(_text(max_length=300), required=True)
    return_methods = fields.List(
        fields.String(validate=validate.OneOf(("counter", "postal"))),
        required=True,
        validate=validate.Length(min=1, error="Cần ít nhất một hình thức trả kết quả"),
    )
    supplement_clock = fields.String(
        required=True, validate=validate.OneOf(("restart", "pause"), error="Phải là restart hoặc pause")
    )
    cutoff = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"([01][0-9]|2[0-3]):[0-5][0-9]\Z", error="Giờ giới hạn có dạng HH:MM, ví dụ 15:00"),
    )
    effective_from = fields.Date(
        required=True, validate=plausible_day, error_messages={"invalid": "Ngày có dạng YYYY-MM-DD"}
    )
    effective_to = fields.Date(
        load_default=None,
        allow_none=True,
        validate=plausible_day,
        error_messages={"invalid": "Ngày có dạng YYYY-MM-DD"},
    )
    legal_basis = fields.String(load_default="", validate=validate.Length(max=5000))

    @validates_schema
    def _consistent(self, data, **_):
        problems = {}
        if (
            "route" in data
            and "duration_days" in data
            and sum(step["days"] for step in data["route"]) != data["duration_days"]
        ):
            problems["route"] = [
                f"Tổng số ngày các bước ({sum(s['days'] for s in data['route'])}) "
                f"phải bằng thời hạn giải quyết ({data['duration_days']})"
            ]
        if data.get("effective_to") and data.get("effective_from") and data["effective_to"] < data["effective_from"]:
            problems["effective_to"] = ["Ngày hết hiệu lực trước ngày có hiệu lực"]
        if len(set(data.get("return_methods", []))) != len(data.get("return_methods", [])):
            problems["return_methods"] = ["Lặp lại hình thức trả kết quả"]
        if problems:
            raise ValidationError(problems)


class CatalogueFile(Strict):
    procedures = fields.List(fields.Nested(CatalogueEntry), required=True)


def catalogue_entries(document):
    """The entries of a catalogue file (JSON as read); a file with any invalid entry
    is refused whole, every problem listed by entry and field."""
    try:
        return CatalogueFile().load(document)["procedures"]
    except ValidationError as exc:
        raise InvalidCatalogue("Tệp danh mục có lỗi; không thủ tục nào được nhập", in_words(exc.messages)) from exc


# --- query and path parameters ---------------------------------------------------


class Query(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters (a cache buster) are ignored


class Moment(fields.AwareDateTime):
    """ISO 8601 with an offset, within a year of now (further out would overflow the
    calendar arithmetic); an unescaped "+" of the offset arrives as a space."""

    def __init__(self, **kwargs):
        super().__init__(
            error_messages={
                "invalid": "Thời điểm theo ISO 8601 có múi giờ, ví dụ 2026-11-26T08:15:00+07:00",
                "invalid_awareness": "Thời điểm theo ISO 8601 có múi giờ",
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value[:11] + value[11:].replace(" ", "+")
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not clock.near_now(moment):
            raise ValidationError("Thời điểm phải trong vòng một năm so với hiện tại")
        return moment


def _day(**kwargs):
    return fields.Date(validate=plausible_day, error_messages={"invalid": "Ngày có dạng YYYY-MM-DD"}, **kwargs)


class DayQuery(Query):
    at = _day(load_default=None, metadata={"description": "mặc định: hôm nay"})


class DueQuery(Query):
    procedure_code = fields.String(
        required=True, validate=validate.Length(min=1, max=20), error_messages={"required": "Bắt buộc nhập"}
    )
    received_at = Moment(load_default=None, metadata={"description": "mặc định: bây giờ"})


class LookupPageQuery(Query):
    code = fields.String(load_default=None, validate=validate.Length(max=60))


class LookupQuery(Schema):
    """POST /api/lookup (and the /tra-cuu form): {code, id_number}."""

    class Meta:
        unknown = RAISE

    code = fields.String(
        required=True,
        validate=validate.Regexp(r"[0-9A-Za-z._-]{1,40}\Z", error="Mã hồ sơ có dạng 000.00.06.H56-261126-0001"),
        error_messages={"required": "Bắt buộc nhập mã hồ sơ"},
    )
    id_number = fields.String(
        required=True, validate=check_id_number, error_messages={"required": "Bắt buộc nhập số CCCD"}
    )


class DayPath(Strict):
    day = _day(required=True)
