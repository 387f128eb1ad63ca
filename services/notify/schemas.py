"""What the notify API reads: the staff listing's query and the SMS gateway's
delivery receipt (HMAC-SHA256 over the raw body in X-Signature and a recent
`timestamp`, the same scheme as the carrier's callbacks)."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema


class NotificationsQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters (a cache buster) are ignored

    dossier_code = fields.String(
        required=True,
        validate=[validate.Length(min=1, error="Bắt buộc"), validate.Length(max=60, error="Tối đa {max} ký tự")],
        error_messages={"required": "Bắt buộc"},
    )


class ReceiptSchema(Schema):
    """{"reference": our message id, "id": the gateway's id, "status": delivered|failed, "reason": ...,
    "timestamp": Unix seconds when the gateway sent it}"""

    class Meta:
        unknown = EXCLUDE  # gateways add fields of their own

    reference = fields.String(load_default=None)
    id = fields.String(load_default=None)
    status = fields.String(required=True, validate=validate.OneOf(("delivered", "failed")))
    reason = fields.String(load_default=None, allow_none=True)
    timestamp = fields.Integer(required=True, strict=True)  # checked by shared.signing.fresh: no replays

    @validates_schema
    def names_a_message(self, data, **kwargs):
        if not (data.get("reference") or data.get("id")):
            raise ValidationError("Cần reference (mã tin nhắn) hoặc id (mã của nhà mạng)", "reference")
