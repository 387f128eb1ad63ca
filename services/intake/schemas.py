"""Request bodies of the counter API, with errors a counter officer understands."""
import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

ID_NUMBER = re.compile(r"^\d{12}$")
PHONE = re.compile(r"^(?:\+84|84|0)(?:3|5|7|8|9)\d{8}$")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Applicant(Strict):
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=200,
                              error="Họ tên phải có từ {min} đến {max} ký tự"))
    id_number = fields.String(required=True)
    phone = fields.String(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True, error_messages={"invalid": "Email không hợp lệ"})
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates("id_number")
    def _id_number(self, value, **_):
        if not ID_NUMBER.match(value or ""):
            raise ValidationError("Số CCCD phải gồm đúng 12 chữ số")

    @validates("phone")
    def _phone(self, value, **_):
        if value is not None and not PHONE.match(value.replace(" ", "")):
            raise ValidationError("Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912345678 hoặc +84912345678)")


class Document(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    copies = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100,
                            error="Số bản phải từ {min} đến {max}"))


class Notify(Strict):
    sms = fields.Boolean(load_default=False)
    email = fields.Boolean(load_default=False)


class Submission(Strict):
    procedure_code = fields.String(required=True, validate=validate.Regexp(
        r"^\d\.\d{6}$", error="Mã thủ tục có dạng 1.001776"))
    channel = fields.String(required=True, validate=validate.OneOf(
        ("counter", "online", "postal"), error="Kênh nộp phải là counter, online hoặc postal"))
    applicant = fields.Nested(Applicant, required=True)
    documents = fields.List(fields.Nested(Document), load_default=list, validate=validate.Length(max=100))
    return_method = fields.String(required=True, validate=validate.OneOf(
        ("counter", "postal"), error="Hình thức trả kết quả phải là counter hoặc postal"))
    delivery_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    notify = fields.Nested(Notify, load_default=dict)

    @validates_schema
    def _postal_address(self, data, **_):
        if data.get("return_method") == "postal" and not (data.get("delivery_address") or "").strip():
            raise ValidationError("Cần địa chỉ nhận kết quả khi trả qua bưu chính", "delivery_address")
        applicant = data.get("applicant") or {}
        notify = data.get("notify") or {}
        if notify.get("sms") and not applicant.get("phone"):
            raise ValidationError("Cần số điện thoại để nhận tin nhắn SMS", "notify")
        if notify.get("email") and not applicant.get("email"):
            raise ValidationError("Cần email để nhận thông báo qua email", "notify")
