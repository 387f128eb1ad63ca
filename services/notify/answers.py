"""What the notify API answers, as JSON schemas for its OpenAPI document (the views
are built in adapters/queries.py and service.py: keep them in step)."""

from shared.openapi import BOOLEAN, INTEGER, MOMENT, STRING, array, nullable, obj

NOTIFICATION = obj(
    id=STRING,
    event_type=STRING,
    channel=STRING,
    to=nullable(STRING),
    template=STRING,
    template_version=nullable(STRING),
    status=STRING,
    attempts=INTEGER,
    segments=nullable(INTEGER),
    encoding=nullable(STRING),
    body=STRING,
    created_at=MOMENT,
    sent_at=nullable(MOMENT),
    delivered_at=nullable(MOMENT),
    next_attempt_at=nullable(MOMENT),
    last_error=nullable(STRING),
)

NOTIFICATIONS = obj(dossier_code=STRING, notifications=array(NOTIFICATION))

RECEIPT_APPLIED = obj(message_id=STRING, status=STRING, changed=BOOLEAN)
