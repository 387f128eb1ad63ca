"""What the payments API answers, as JSON schemas for its OpenAPI document (the views
are built in adapters/queries.py: keep them in step)."""

from shared.openapi import BOOLEAN, DAY, INTEGER, MOMENT, STRING, array, nullable, obj

ORDER = obj(
    id=STRING,
    dossier_code=STRING,
    stage=STRING,
    agency_code=STRING,
    amount=INTEGER,
    method={"enum": ["online", "cash", "card", "postal"]},
    status={"enum": ["created", "paid", "failed", "refunded"]},
    receipt_number=nullable(STRING),
    created_at=MOMENT,
    paid_at=nullable(MOMENT),
    overpayment=BOOLEAN,
    refunded_at=nullable(MOMENT),
    refund_reason=nullable(STRING),
)

OBLIGATION = obj(
    stage=STRING,
    amount=INTEGER,
    items=array(obj(name=STRING, amount=INTEGER, kind=STRING)),
    pay_by=DAY,
    online=BOOLEAN,
    procedure_code=STRING,
    procedure_name=nullable(STRING),
    requested_at=MOMENT,
    paid=BOOLEAN,
    paid_by_order=nullable(STRING),
)

DOSSIER_PAYMENTS = obj(dossier_code=STRING, obligations=array(OBLIGATION), orders=array(ORDER))

OPENED = obj(order_id=STRING, amount=INTEGER, pay_url=STRING)

QUERIED = obj(outcome=nullable(STRING), order=ORDER)

IPN = obj(RspCode=STRING, Message=STRING)

DAILY = obj(date=DAY, total=INTEGER, payments=array(ORDER))
