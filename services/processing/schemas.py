from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema


class Decision(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(
        ("approve", "transfer", "request_supplement", "reject"),
        error="Quyết định phải là approve, transfer, request_supplement hoặc reject"))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    to_department = fields.String(load_default=None, allow_none=True)
    items = fields.List(fields.Dict(), load_default=None, allow_none=True)

    @validates_schema
    def _needs(self, data, **_):
        if data["action"] == "reject" and not (data.get("reason") or "").strip():
            raise ValidationError("Cần nêu lý do từ chối", "reason")
