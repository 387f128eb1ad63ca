"""HTTP bodies of the postal API."""
import re

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

RESULT_STATUSES = ("accepted", "in_transit", "failed", "delivered", "returned")
PICKUP_STATUSES = ("accepted", "collected", "in_transit", "failed", "handed_over", "cancelled")


class TrackingUpdate(Schema):
    """A carrier tracking callback (unknown carrier fields are ignored)."""
    class Meta:
        unknown = EXCLUDE

    waybill = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    status = fields.String(required=True, validate=validate.OneOf(sorted(set(RESULT_STATUSES + PICKUP_STATUSES))))
    attempt = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    at = fields.AwareDateTime(required=True)
    timestamp = fields.Integer(required=True)
    postage = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    collected_amount = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


# --- collection of a dossier by post (the fields of intake's POST /api/dossiers) ---

ID_NUMBER = re.compile(r"^\d{12}$")
PHONE = re.compile(r"^(?:\+84|84|0)(?:3|5|7|8|9)\d{8}$")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Applicant(Strict):
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    id_number = fields.String(required=True)
    phone = fields.String(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates("id_number")
    def _id_number(self, value, **_):
        if not ID_NUMBER.match(value or ""):
            raise ValidationError("Số CCCD phải gồm đúng 12 chữ số")

    @validates("phone")
    def _phone(self, value, **_):
        if value is not None and not PHONE.match(value.replace(" ", "")):
            raise ValidationError("Số điện thoại không đúng định dạng Việt Nam")


class Document(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    copies = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


class Notify(Strict):
    sms = fields.Boolean(load_default=False)
    email = fields.Boolean(load_default=False)


class PickupRequest(Strict):
    """Ask the carrier to collect a dossier: what intake will register, plus where to collect it."""
    procedure_code = fields.String(required=True, validate=validate.Regexp(
        r"^\d\.\d{6}$", error="Mã thủ tục có dạng 1.001776"))
    channel = fields.String(load_default="postal", validate=validate.Equal(
        "postal", error="Hồ sơ thu gom qua bưu chính có kênh nộp postal"))
    applicant = fields.Nested(Applicant, required=True)
    documents = fields.List(fields.Nested(Document), required=True, validate=validate.Length(
        min=1, max=100, error="Cần danh mục giấy tờ để bưu tá đối chiếu"))
    return_method = fields.String(required=True, validate=validate.OneOf(("counter", "postal")))
    delivery_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    notify = fields.Nested(Notify, load_default=dict)
    pickup_address = fields.String(required=True, validate=validate.Length(min=5, max=500))
    fees_to_collect = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000_000))

    @validates_schema
    def _consistent(self, data, **_):
        if data.get("return_method") == "postal" and not (data.get("delivery_address") or "").strip():
            raise ValidationError("Cần địa chỉ nhận kết quả khi trả qua bưu chính", "delivery_address")
        applicant, notify = data.get("applicant") or {}, data.get("notify") or {}
        if notify.get("sms") and not applicant.get("phone"):
            raise ValidationError("Cần số điện thoại để nhận tin nhắn SMS", "notify")
        if notify.get("email") and not applicant.get("email"):
            raise ValidationError("Cần email để nhận thông báo qua email", "notify")
