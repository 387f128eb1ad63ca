"""Query parameters of the notify API (the SMS receipt's body is in receipts)."""
from marshmallow import EXCLUDE, Schema, fields, validate


class NotificationsQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters (a cache buster) are ignored

    dossier_code = fields.String(required=True, validate=[validate.Length(min=1, error="Bắt buộc"),
                                                          validate.Length(max=60, error="Tối đa {max} ký tự")],
                                 error_messages={"required": "Bắt buộc"})
