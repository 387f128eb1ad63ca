"""HTTP bodies and queries of the payments API."""

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from shared.events import PAYMENT_STAGES

REQUIRED = {"required": "Bắt buộc"}
STAGE = validate.OneOf(PAYMENT_STAGES, error="Giai đoạn: before_processing hoặc before_return")


def _code(**kwargs):
    return fields.String(
        required=True,
        validate=[validate.Length(min=1, error="Bắt buộc"), validate.Length(max=40, error="Tối đa {max} ký tự")],
        error_messages=REQUIRED,
        **kwargs,
    )


class Body(Schema):
    class Meta:
        unknown = RAISE


class CounterPayment(Body):
    dossier_code = _code()
    stage = fields.String(required=True, validate=STAGE, error_messages=REQUIRED)
    method = fields.String(
        required=True,
        validate=validate.OneOf(("cash", "card"), error="Hình thức: cash hoặc card"),
        error_messages=REQUIRED,
    )
    # whole đồng: 150000, never 150000.5 nor "150000"
    amount = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=10_000_000_000, error="Từ {min} đến {max} đồng"),
        error_messages={**REQUIRED, "invalid": "Số tiền là số nguyên (đồng)"},
    )
    receipt_number = fields.String(
        required=True,
        validate=[validate.Length(min=1, error="Bắt buộc"), validate.Length(max=60, error="Tối đa {max} ký tự")],
        error_messages=REQUIRED,
    )


class OnlineOrder(Body):
    dossier_code = _code()
    stage = fields.String(required=True, validate=STAGE, error_messages=REQUIRED)
    return_url = fields.Url(
        load_default=None,
        allow_none=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=500, error="Tối đa {max} ký tự"),
        error_messages={"invalid": "Địa chỉ không hợp lệ"},
    )


class RefundBody(Body):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, error="Bắt buộc"), validate.Length(max=500, error="Tối đa {max} ký tự")],
        error_messages=REQUIRED,
    )


class Query(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters (a cache buster) are ignored


class DossierQuery(Query):
    dossier_code = _code()


class DailyQuery(Query):
    date = fields.Date(required=True, error_messages={**REQUIRED, "invalid": "Ngày theo dạng YYYY-MM-DD"})
    format = fields.String(
        load_default="json", validate=validate.OneOf(("json", "csv", "xlsx"), error="Định dạng: json, csv hoặc xlsx")
    )


class OrderPath(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=40, error="Từ {min} đến {max} ký tự"))
