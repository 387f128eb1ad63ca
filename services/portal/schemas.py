"""What the connector's HTTP API reads."""

from marshmallow import RAISE, Schema, fields, validate


class Strict(Schema):
    class Meta:
        unknown = RAISE


class CodeQuery(Schema):
    dossier_code = fields.String(
        required=True,
        validate=validate.Length(min=3, max=60, error="Mã hồ sơ từ {min} đến {max} ký tự"),
        metadata={"description": "mã hồ sơ, số tiếp nhận trực tuyến hoặc mã hồ sơ trên Cổng"},
    )


class StatusPath(Schema):
    dossier_key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    seq = fields.Integer(required=True, validate=validate.Range(min=1))


class PullBody(Strict):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "chỉ xem trước, không thay đổi danh mục"})
