"""What the postal API answers, as JSON schemas for its OpenAPI document (the views
are built in adapters/queries.py: keep them in step)."""

from shared.openapi import BOOLEAN, DAY, INTEGER, MOMENT, STRING, array, nullable, obj

SHIPMENT = obj(
    id=STRING,
    dossier_code=nullable(STRING),
    purpose={"enum": ["result", "rejection", "pickup"]},
    status=STRING,
    reference=STRING,
    waybill=nullable(STRING),
    address=STRING,
    distance_class=nullable(STRING),
    expected_delivery=nullable(DAY),
    handed_over_at=nullable(MOMENT),
    delivered_at=nullable(MOMENT),
    attempts=INTEGER,
    next_attempt_on=nullable(DAY),
    postage=nullable(INTEGER),
    fees_to_collect=nullable(INTEGER),
    fees_collected=nullable(INTEGER),
    order=obj(tries=nullable(INTEGER), last_error=nullable(STRING), next_try_at=nullable(MOMENT)),
    tracking=array(obj(status=STRING, attempt=nullable(INTEGER), at=MOMENT, note=nullable(STRING))),
)

SHIPMENTS = obj(dossier_code=STRING, shipments=array(SHIPMENT))

TRACKED = obj(waybill=STRING, status=STRING, recorded=BOOLEAN, shipment_status=STRING)
