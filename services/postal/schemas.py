from marshmallow import EXCLUDE, Schema, fields, validate


class TrackingUpdate(Schema):
    """A carrier tracking callback (unknown carrier fields are ignored)."""
    class Meta:
        unknown = EXCLUDE

    waybill = fields.String(required=True, validate=validate.Length(min=1, max=40))
    status = fields.String(required=True, validate=validate.OneOf(
        ("accepted", "in_transit", "delivered", "failed", "returned")))
    attempt = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10))
    reason = fields.String(load_default=None, allow_none=True)
    at = fields.AwareDateTime(required=True)
    timestamp = fields.Integer(required=True)
