"""HTTP bodies of the postal API."""

from marshmallow import EXCLUDE, Schema, fields, validate

# what intake will register (see PickupRequest)
from services.intake.schemas import Document, Submission
from services.postal.domain.model import PICKUP_STATUSES, RESULT_STATUSES
from shared.http import recent_moment

# what a carrier may report, of either kind of shipment (the model refuses the other kind's)
REPORTED_STATUSES = sorted({str(s) for s in RESULT_STATUSES + PICKUP_STATUSES})


class TrackingUpdate(Schema):
    """A carrier tracking callback (unknown carrier fields are ignored)."""

    class Meta:
        unknown = EXCLUDE

    waybill = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    status = fields.String(required=True, validate=validate.OneOf(REPORTED_STATUSES))
    attempt = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    at = fields.AwareDateTime(required=True, validate=recent_moment)
    timestamp = fields.Integer(required=True, strict=True)  # Unix seconds, checked by shared.signing.fresh
    postage = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    collected_amount = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


# --- collection of a dossier by post -----------------------------------------------

PICKUP_FIELDS = ("pickup_address", "fees_to_collect")


class PickupRequest(Submission):
    """A POST /api/pickups body: intake's own schema of POST /api/dossiers, so that a
    dossier the carrier collects is one intake will register, and what the carrier
    needs on top."""

    channel = fields.String(
        load_default="postal",
        validate=validate.OneOf(("postal",), error="Hồ sơ thu gom qua bưu chính có kênh nộp postal"),
    )
    documents = fields.List(
        fields.Nested(Document),
        required=True,
        validate=[
            validate.Length(min=1, error="Cần danh mục giấy tờ để bưu tá đối chiếu"),
            validate.Length(max=100, error="Tối đa {max} thành phần hồ sơ"),
        ],
        error_messages={"required": "Cần danh mục giấy tờ để bưu tá đối chiếu"},
    )
    pickup_address = fields.String(required=True, validate=validate.Length(min=5, max=500))
    fees_to_collect = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000_000))


def split_pickup(loaded):
    """(pickup order, submission) of a loaded PickupRequest."""
    order = {k: loaded[k] for k in PICKUP_FIELDS}
    return order, {k: v for k, v in loaded.items() if k not in PICKUP_FIELDS}


class ShipmentsQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters (a cache buster) are ignored

    dossier_code = fields.String(
        required=True,
        validate=[validate.Length(min=1, error="Bắt buộc"), validate.Length(max=60, error="Tối đa {max} ký tự")],
        error_messages={"required": "Bắt buộc"},
    )
