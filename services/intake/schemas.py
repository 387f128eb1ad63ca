"""Request bodies of the counter API, with errors a counter officer understands."""

import re
from pathlib import Path

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from services.intake.adapters import register
from services.intake.domain import policies
from services.intake.domain.errors import InvalidCatalogue
from services.intake.domain.fees import MAX_AMOUNT, MAX_EXEMPTIONS, MAX_ITEMS, FeeKind, FeeWhen, single_fee
from services.intake.domain.model import DEFAULT_HEAD_TITLE, Channel, DossierStatus
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


KIND_LABELS = {"citizen": "công dân", "organisation": "tổ chức", "foreigner": "người nước ngoài"}
# what identifies an applicant of each kind [CONTRACT "Applicants"; policies.IDENTIFIER_OF_KIND]
KIND_FIELDS = {
    "citizen": ("full_name", "id_number"),
    "organisation": ("name", "organisation_code", "representative"),
    "foreigner": ("full_name", "passport_number", "nationality"),
}
ORGANISATION_CODE = re.compile(r"[0-9]{10}(?:-?[0-9]{3})?\Z")  # 0100109106 or 0100109106-001
PASSPORT_NUMBER = re.compile(r"[A-Za-z0-9]{6,12}\Z")


def check_organisation_code(value):
    if not isinstance(value, str) or not ORGANISATION_CODE.match(value):
        raise ValidationError(
            "Mã số doanh nghiệp, tổ chức gồm 10 hoặc 13 chữ số (ví dụ 0100109106 hoặc 0100109106-001)"
        )


def check_passport_number(value):
    if not isinstance(value, str) or not PASSPORT_NUMBER.match(value):
        raise ValidationError("Số hộ chiếu gồm 6 đến 12 chữ cái không dấu hoặc chữ số")


def check_nationality(value):
    if not isinstance(value, str) or not value.isascii() or value.upper() not in policies.COUNTRIES:
        raise ValidationError("Quốc tịch ghi bằng mã quốc gia ISO 3166-1 gồm 2 chữ cái, ví dụ US, KR, JP, FR")


def _identifier(check, required_message, **kwargs):
    return fields.String(validate=check, error_messages={"required": required_message}, **kwargs)


class Representative(Strict):
    """An organisation's legal representative (người đại diện theo pháp luật)."""

    full_name = _text(min_length=2, max_length=200)
    id_number = _identifier(check_id_number, "Bắt buộc nhập số CCCD", required=True)


class Person(Strict):
    """An applicant of any kind: a citizen (CCCD), an organisation (enterprise code and
    legal representative) or a foreigner (passport and nationality); each kind needs
    its own fields and refuses the others'."""

    kind = fields.String(
        load_default="citizen",
        validate=validate.OneOf(tuple(KIND_FIELDS), error="Loại người nộp là citizen, organisation hoặc foreigner"),
    )
    full_name = _text(required=False, min_length=2, max_length=200)
    name = _text(required=False, min_length=2, max_length=300, metadata={"description": "tên tổ chức"})
    id_number = _identifier(check_id_number, "Bắt buộc nhập số CCCD")
    organisation_code = _identifier(check_organisation_code, "Bắt buộc nhập mã số doanh nghiệp, tổ chức")
    representative = fields.Nested(Representative)
    passport_number = _identifier(check_passport_number, "Bắt buộc nhập số hộ chiếu")
    nationality = _identifier(check_nationality, "Bắt buộc nhập quốc tịch")
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

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _fields_of_kind(self, data, original, **_):
        """Every field the kind needs, none of another kind's: all problems at once."""
        if not isinstance(original, dict):
            return
        kind = original.get("kind") or "citizen"
        if kind not in KIND_FIELDS:
            return  # the kind's own error says it
        label = KIND_LABELS[kind]
        problems = {}
        for name in KIND_FIELDS[kind]:
            if original.get(name) is None:
                problems[name] = [f"Bắt buộc nhập khi người nộp là {label}"]
        for other, names in KIND_FIELDS.items():
            for name in names:
                if other != kind and name not in KIND_FIELDS[kind] and original.get(name) is not None:
                    problems[name] = [f"Chỉ dùng khi người nộp là {KIND_LABELS[other]}, không dùng cho {label}"]
        if problems:
            raise ValidationError(problems)

    @post_load
    def _normalise(self, data, **_):
        """One spelling per identifier: the lookup compares them as stored."""
        if data.get("organisation_code"):
            data["organisation_code"] = data["organisation_code"].replace("-", "")
        for name in ("passport_number", "nationality"):
            if data.get(name):
                data[name] = data[name].upper()
        return data


class Applicant(Person):
    """Who hands the dossier in; `on_behalf_of` the applicant of any kind they act for,
    under the authorising document named in `authorisation` [Civil Code 2015 Art. 138]."""

    on_behalf_of = fields.Nested(Person, load_default=None, allow_none=True)
    authorisation = _text(
        required=False,
        load_default=None,
        allow_none=True,
        max_length=300,
        metadata={"description": "tên giấy tờ ủy quyền, bắt buộc khi có on_behalf_of"},
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _authorised(self, data, original, **_):
        if not isinstance(original, dict):
            return
        if original.get("on_behalf_of") is not None and not original.get("authorisation"):
            raise ValidationError({"authorisation": ["Cần ghi tên giấy tờ ủy quyền khi nộp hồ sơ thay cho người khác"]})
        if original.get("authorisation") and original.get("on_behalf_of") is None:
            raise ValidationError({"on_behalf_of": ["Giấy ủy quyền cần ghi rõ người ủy quyền (on_behalf_of)"]})


class Document(Strict):
    name = _text(max_length=300)
    copies = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=1, max=100, error="Số bản phải từ {min} đến {max}")
    )


class Notify(Strict):
    sms = fields.Boolean(load_default=False)
    email = fields.Boolean(load_default=False)


class FeeExemption(Strict):
    """The category of applicant exempted from the lệ phí (one the procedure version
    lists: otherwise 422 unknown_exemption) and why (the paper shown)."""

    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,49}$", error="Mã đối tượng miễn có dạng ho_ngheo"),
    )
    reason = _text(max_length=500)


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
    sets = fields.Integer(
        load_default=1,
        strict=True,
        validate=validate.Range(min=1, max=20, error="Số bộ hồ sơ phải từ {min} đến {max}"),
        metadata={"description": "số bộ hồ sơ (Mẫu 01)"},
    )
    fee_exemption = fields.Nested(
        FeeExemption,
        load_default=None,
        allow_none=True,
        metadata={"description": "miễn lệ phí: đối tượng (mã trong fee_exemptions của thủ tục) và lý do"},
    )
    portal_reference = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"[A-Za-z0-9][A-Za-z0-9._/-]{2,59}\Z", error="Mã hồ sơ trên Cổng: 3-60 chữ, số, . _ / -"
        ),
        metadata={
            "description": "mã hồ sơ trên Cổng Dịch vụ công quốc gia (chỉ kênh online): "
            "gửi lại cùng mã thì nhận lại hồ sơ đã có (200), không tạo hồ sơ mới"
        },
    )

    @validates_schema
    def _consistent(self, data, **_):
        problems = {}
        if data.get("portal_reference") and data.get("channel") != "online":
            problems["portal_reference"] = ["Chỉ hồ sơ trực tuyến có mã hồ sơ trên Cổng"]
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


AMOUNT_ERRORS = {"invalid": "Số tiền là số nguyên đồng (không có phần thập phân, không đặt trong ngoặc kép)"}
EXEMPTION_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")


def _amount(**kwargs):
    return fields.Integer(
        strict=True,  # 75000.0 and "75000" are refused: đồng are whole
        validate=validate.Range(min=0, max=MAX_AMOUNT, error="Số tiền từ {min} đến {max} đồng"),
        error_messages=AMOUNT_ERRORS,
        **kwargs,
    )


class FeeItemEntry(Strict):
    """An item of a fee schedule (phí or lệ phí) [Law on Fees and Charges 2015]."""

    name = _text(max_length=300)
    amount = _amount(required=True, metadata={"description": "đồng, số nguyên"})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(tuple(FeeKind), error="Loại khoản thu: le_phi (lệ phí) hoặc phi (phí)"),
    )
    when = fields.String(
        required=True,
        validate=validate.OneOf(
            tuple(FeeWhen),
            error="Thời điểm nộp: at_submission (khi nộp hồ sơ), before_processing (trước khi giải quyết) "
            "hoặc before_return (trước khi trả kết quả)",
        ),
    )


class ExemptionEntry(Strict):
    """A category of applicants exempted from the lệ phí items, e.g. {ho_ngheo, Hộ nghèo}."""

    code = fields.String(
        required=True,
        validate=validate.Regexp(EXEMPTION_CODE, error="Mã đối tượng gồm chữ thường, số và _, ví dụ ho_ngheo"),
    )
    name = _text(max_length=300)


class CatalogueEntry(Strict):
    code = fields.String(required=True, validate=validate.Regexp(PROCEDURE_CODE, error="Mã thủ tục có dạng 1.001776"))
    name = _text()
    field = _text(max_length=200)
    # Decree 42/2022/NĐ-CP: online_service full | partial | none; the old `level` 1-4 of
    # Decree 43/2011 is still read (4 -> full, 3 -> partial, 1-2 -> none). One is needed.
    level = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1, max=4, error="Mức độ dịch vụ công từ 1 đến 4"),
    )
    online_service = fields.String(
        load_default=None,
        validate=validate.OneOf(
            policies.ONLINE_SERVICES, error="Dịch vụ công trực tuyến: full (toàn trình), partial (một phần) hoặc none"
        ),
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
    # the fee schedule; an old file's single `fee` is read as one lệ phí at submission (fees.single_fee)
    fees = fields.List(
        fields.Nested(FeeItemEntry),
        load_default=None,
        validate=validate.Length(max=MAX_ITEMS, error="Tối đa {max} khoản phí, lệ phí"),
    )
    fee_exemptions = fields.List(
        fields.Nested(ExemptionEntry),
        load_default=list,
        validate=validate.Length(max=MAX_EXEMPTIONS, error="Tối đa {max} đối tượng được miễn"),
    )
    fee = _amount(load_default=None, metadata={"description": "cách ghi cũ: một khoản lệ phí khi nộp hồ sơ"})
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
    # Decision 45/2016/QĐ-TTg: any procedure may be submitted by post unless the applicant must come in person
    postal_reception = fields.Boolean(
        load_default=True,
        error_messages={"invalid": "Phải là true hoặc false"},
        metadata={"description": "nhận hồ sơ qua bưu chính công ích (false: thủ tục yêu cầu có mặt trực tiếp)"},
    )

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
        if data.get("fee") is not None and data.get("fees") is not None:
            problems["fee"] = ["Không ghi đồng thời fee và fees: ghi mọi khoản phí, lệ phí trong fees"]
        codes = [e["code"] for e in data.get("fee_exemptions") or ()]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            problems["fee_exemptions"] = [f"Mã đối tượng {', '.join(repeated)} lặp lại"]
        level, online = data.get("level"), data.get("online_service")
        if level is None and online is None:
            problems["online_service"] = ["Bắt buộc nhập online_service (full, partial, none) hoặc level (1-4)"]
        elif level is not None and online is not None and policies.online_service_of_level(level) != online:
            problems["online_service"] = [f"Không khớp với mức độ {level} ({policies.online_service_of_level(level)})"]
        if problems:
            raise ValidationError(problems)

    @post_load
    def _service_level(self, data, **_):
        """Both scales on every entry: the one given, and the other derived from it."""
        if data["online_service"] is None:
            data["online_service"] = policies.online_service_of_level(data["level"])
        if data["level"] is None:
            data["level"] = policies.LEVEL_OF_ONLINE_SERVICE[data["online_service"]]
        return data

    @post_load
    def _fee_schedule(self, data, **_):
        """Every entry has `fees` (the old `fee` read as one item) and no `fee`."""
        fee = data.pop("fee")
        if data["fees"] is None:
            data["fees"] = single_fee(fee or 0)
        return data


class AgencyEntry(Strict):
    """A receiving agency's configuration (catalogue file `agencies`, `motcua agency set`)."""

    code = fields.String(required=True, validate=validate.Regexp(AGENCY_CODE, error="Mã cơ quan có dạng 000.00.06.H56"))
    name = _text(max_length=300)
    address = _text(required=False, load_default="", min_length=0, max_length=500)
    place = _text(
        required=False,
        load_default="",
        min_length=0,
        max_length=100,
        metadata={"description": 'địa danh ghi ngày tháng trên phiếu, ví dụ "Hải Phòng"'},
    )
    head_title = _text(
        required=False,
        load_default=DEFAULT_HEAD_TITLE,
        max_length=200,
        metadata={"description": "chức danh người đứng đầu ký văn bản, ví dụ CHỦ TỊCH"},
    )


class CatalogueFile(Strict):
    procedures = fields.List(fields.Nested(CatalogueEntry), required=True)
    agencies = fields.List(fields.Nested(AgencyEntry), load_default=list)

    @validates_schema
    def _agencies_once(self, data, **_):
        codes = [a["code"] for a in data.get("agencies", [])]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValidationError({"agencies": [f"Cơ quan {', '.join(repeated)} xuất hiện hơn một lần"]})


def catalogue_file(document):
    """A catalogue file (JSON as read): {procedures, agencies}; a file with any invalid
    entry is refused whole, every problem listed by entry and field."""
    try:
        return CatalogueFile().load(document)
    except ValidationError as exc:
        raise InvalidCatalogue("Tệp danh mục có lỗi; không thủ tục nào được nhập", in_words(exc.messages)) from exc


def catalogue_entries(document):
    """The procedures of a catalogue file (catalogue_file)."""
    return catalogue_file(document)["procedures"]


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


class ImportQuery(Query):
    dry_run = fields.Boolean(
        load_default=False,
        error_messages={"invalid": "Phải là true hoặc false"},
        metadata={"description": "true: trả lời những gì việc nhập sẽ thay đổi, không thay đổi gì (xem trước)"},
    )


class CalendarDaysQuery(Query):
    year = fields.Integer(
        required=True,
        validate=validate.Range(min=clock.FIRST_DAY.year, max=clock.LAST_DAY.year, error="Năm từ {min} đến {max}"),
        error_messages={"required": "Bắt buộc nhập", "invalid": "Phải là số nguyên (năm, ví dụ 2026)"},
    )


class DueQuery(Query):
    procedure_code = fields.String(
        required=True, validate=validate.Length(min=1, max=20), error_messages={"required": "Bắt buộc nhập"}
    )
    received_at = Moment(load_default=None, metadata={"description": "mặc định: bây giờ"})


class DossierListQuery(Query):
    """GET /api/dossiers: the register's search in the reader's scope (a blank
    parameter is no filter; days are Vietnam's)."""

    status = fields.String(
        load_default=None,
        validate=validate.OneOf(tuple(DossierStatus), error="Trạng thái là một trong: {choices}"),
    )
    procedure = fields.String(
        load_default=None,
        validate=validate.Length(max=20, error="Tối đa {max} ký tự"),
        metadata={"description": "mã thủ tục"},
    )
    field = fields.String(
        load_default=None,
        validate=validate.Length(max=200, error="Tối đa {max} ký tự"),
        metadata={"description": "lĩnh vực của thủ tục, đúng như trong danh mục"},
    )
    channel = fields.String(
        load_default=None, validate=validate.OneOf(tuple(Channel), error="Kênh nộp là một trong: {choices}")
    )
    received_from = _day(
        load_default=None, metadata={"description": "tiếp nhận từ ngày (hồ sơ chưa tiếp nhận: ngày nộp)"}
    )
    received_to = _day(load_default=None, metadata={"description": "tiếp nhận đến hết ngày"})
    received_on = _day(
        load_default=None,
        metadata={"description": "ngày tiếp nhận (giờ Việt Nam); hồ sơ chưa tiếp nhận: ngày nộp"},
    )
    due_before = _day(load_default=None, metadata={"description": "ngày hẹn trả trước ngày này"})
    overdue = fields.Boolean(
        load_default=None,
        error_messages={"invalid": "Phải là true hoặc false"},
        metadata={"description": "true: quá hạn xử lý; false: chưa quá hạn"},
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(min=3, max=100, error="Từ {min} đến {max} ký tự"),
        metadata={
            "description": "đúng mã hồ sơ, số tham chiếu, số CCCD, mã số doanh nghiệp, số hộ chiếu; "
            "hoặc một phần họ tên (không phân biệt hoa thường, dấu)"
        },
    )
    limit = fields.Integer(
        load_default=register.LIMIT,
        validate=validate.Range(min=1, max=register.MAX, error="Số hồ sơ mỗi lần từ {min} đến {max}"),
    )
    after = fields.String(
        load_default=None,
        validate=validate.Length(max=200, error="Tối đa {max} ký tự"),
        metadata={"description": "trang sau: giá trị `next` của trang trước"},
    )

    @pre_load
    def _blank_is_none(self, data, **_):
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in stripped.items() if v not in (None, "")}

    @validates_schema
    def _a_period(self, data, **_):
        if data.get("received_from") and data.get("received_to") and data["received_to"] < data["received_from"]:
            raise ValidationError({"received_to": ["Ngày kết thúc trước ngày bắt đầu"]})

    @post_load
    def _position(self, data, **_):
        """`after` as the position it names: only a `next` of this search is one."""
        if data["after"] is not None:
            try:
                data["after"] = register.position(data["after"])
            except ValueError:
                raise ValidationError(
                    {"after": ["Không phải vị trí trang hợp lệ: dùng giá trị `next` của trang trước"]}
                ) from None
        return data


class LookupPageQuery(Query):
    code = fields.String(load_default=None, validate=validate.Length(max=60))


class LookupQuery(Schema):
    """POST /api/lookup (and the /tra-cuu form): the code with the identifier the
    dossier was filed with: `id_number` (CCCD), `organisation_code` or
    `passport_number`, exactly one."""

    class Meta:
        unknown = RAISE

    code = fields.String(
        required=True,
        validate=validate.Regexp(r"[0-9A-Za-z._-]{1,40}\Z", error="Mã hồ sơ có dạng 000.00.06.H56-261126-0001"),
        error_messages={"required": "Bắt buộc nhập mã hồ sơ"},
    )
    id_number = _identifier(check_id_number, "Bắt buộc nhập số CCCD")
    organisation_code = _identifier(check_organisation_code, "Bắt buộc nhập mã số doanh nghiệp")
    passport_number = _identifier(check_passport_number, "Bắt buộc nhập số hộ chiếu")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_identifier(self, data, original, **_):
        if not isinstance(original, dict):
            return
        given = [name for name in policies.LOOKUP_IDENTIFIERS if original.get(name) not in (None, "")]
        if not given:
            raise ValidationError(
                {"id_number": ["Nhập số CCCD, mã số doanh nghiệp hoặc số hộ chiếu đã dùng khi nộp hồ sơ"]}
            )
        if len(given) > 1:
            raise ValidationError({name: ["Chỉ nhập một loại giấy tờ để tra cứu"] for name in given})

    @post_load
    def _one_of_them(self, data, **_):
        """{code, field, value}: the one identifier, spelled as stored."""
        field = next(name for name in policies.LOOKUP_IDENTIFIERS if data.get(name))
        value = data[field]
        value = value.replace("-", "") if field == "organisation_code" else value.upper()
        return {"code": data["code"], "field": field, "value": value}


class DayPath(Strict):
    day = _day(required=True)


# --- files ------------------------------------------------------------------


class FileForm(Strict):
    """POST /api/dossiers/{code}/files, multipart/form-data: `file` (PDF, JPEG or PNG,
    the type sniffed from the content, at most 20 MB) and `document`, which paper of
    the dossier it is (one the procedure or the dossier names, or "Giấy tờ khác")."""

    file = fields.Raw(required=True, metadata={"type": "string", "contentMediaType": "application/octet-stream"})
    document = _text(max_length=500)


class FilePath(Strict):
    id = fields.String(
        required=True,
        validate=validate.Regexp(r"[0-9a-f-]{36}\Z", error="Mã tệp là một UUID"),
    )


class FileLinkQuery(Query):
    """A signed link (the events' `url`): both or neither; without them a token."""

    expires = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**40))
    signature = fields.String(load_default=None, validate=validate.Length(max=200))


# --- the tracking book and the catalogue report -------------------------------------

BOOK_MAX_DAYS = 366  # a year, a leap one too


def _format(choices, default):
    return fields.String(
        load_default=default,
        validate=validate.OneOf(choices, error="Định dạng là một trong: {choices}"),
        metadata={"description": f"mặc định: {default}"},
    )


class ReportQuery(Query):
    """A report's parameters (a blank one is left out)."""

    agency = fields.String(
        load_default=None,
        validate=validate.Regexp(AGENCY_CODE, error="Mã cơ quan có dạng 000.00.06.H56"),
        metadata={"description": "mã cơ quan (quản trị viên; cán bộ một cửa: luôn là cơ quan của mình)"},
    )

    @pre_load
    def _blank_is_none(self, data, **_):
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in stripped.items() if v not in (None, "")}


class BookQuery(ReportQuery):
    """GET /api/register/book: the dossiers received from `from` to `to` (days in
    Vietnam's time, both included, at most BOOK_MAX_DAYS)."""

    start = _day(required=True, data_key="from", metadata={"description": "từ ngày tiếp nhận (giờ Việt Nam)"})
    end = _day(required=True, data_key="to", metadata={"description": "đến hết ngày (tối đa 366 ngày)"})
    format = _format(("html", "csv", "xlsx", "json"), "html")

    @validates_schema
    def _period(self, data, **_):
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError({"to": ["Ngày kết thúc không được trước ngày bắt đầu"]})
        if (end - start).days + 1 > BOOK_MAX_DAYS:
            raise ValidationError({"to": [f"Sổ theo dõi in tối đa {BOOK_MAX_DAYS} ngày một lần"]})


class CatalogueReportQuery(ReportQuery):
    """GET /api/procedures/report: the catalogue as it stands on `on`."""

    on = _day(load_default=None, metadata={"description": "mặc định: hôm nay"})
    format = _format(("json", "csv", "xlsx"), "json")


# --- statistics -------------------------------------------------------------------

from services.intake.domain.statistics import GROUPINGS, MAX_YEARS, period_problems  # noqa: E402


class SummaryQuery(ReportQuery):
    """GET /api/reports/summary: Biểu 06 over the days from `from` to `to` (Vietnam's
    time, both included, at most MAX_YEARS years), grouped."""

    start = _day(required=True, data_key="from", metadata={"description": "từ ngày (giờ Việt Nam)"})
    end = _day(required=True, data_key="to", metadata={"description": f"đến hết ngày (kỳ tối đa {MAX_YEARS} năm)"})
    group_by = fields.String(
        load_default="field",
        validate=validate.OneOf(GROUPINGS, error="Nhóm theo một trong: {choices}"),
        metadata={"description": "lĩnh vực (mặc định), thủ tục, cơ quan, kênh nộp, phòng ban đang giữ hồ sơ, tháng"},
    )
    format = _format(("json", "csv", "xlsx"), "json")

    @validates_schema
    def _period(self, data, **_):
        if data.get("start") and data.get("end"):
            problems = period_problems(data["start"], data["end"])
            if problems:
                raise ValidationError(problems)
