"""HTTP bodies of the postal API."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.http import ApiError

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


# --- collection of a dossier by post -----------------------------------------------

PICKUP_FIELDS = ("pickup_address", "fees_to_collect")


class PickupOrder(Schema):
    """What the carrier needs on top of the submission."""
    pickup_address = fields.String(required=True, validate=validate.Length(min=5, max=500))
    fees_to_collect = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000_000))


def load_pickup(body):
    """(pickup order, submission) of a POST /api/pickups body, every problem in one
    400. The submission is checked with intake's own schema of POST /api/dossiers,
    so that a dossier the carrier collects is one intake will register."""
    from services.intake.schemas import Submission
    submission = {k: v for k, v in body.items() if k not in PICKUP_FIELDS}
    submission.setdefault("channel", "postal")
    problems, order, loaded = {}, None, None
    try:
        order = PickupOrder().load({k: body[k] for k in PICKUP_FIELDS if k in body})
    except ValidationError as exc:
        problems.update(exc.messages)
    try:
        loaded = Submission().load(submission)
    except ValidationError as exc:
        problems.update(exc.messages)
    if submission["channel"] != "postal":
        problems["channel"] = ["Hồ sơ thu gom qua bưu chính có kênh nộp postal"]
    if loaded is not None and not loaded["documents"]:
        problems["documents"] = ["Cần danh mục giấy tờ để bưu tá đối chiếu"]
    if problems:
        raise ApiError(400, "invalid_input", "Dữ liệu chưa hợp lệ, xem từng trường", problems)
    return order, loaded
