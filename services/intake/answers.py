"""What the intake API answers, as JSON schemas for its OpenAPI document (the views
are built in adapters/queries.py and service.py: keep them in step)."""

from services.intake.domain.fees import FeeKind, FeeWhen
from shared.openapi import ANY, BOOLEAN, DAY, INTEGER, MOMENT, STRING, array, nullable, obj

PROCEDURE_REF = obj(code=STRING, name=STRING, version=INTEGER)

# a counter dossier answers its `code`; an online or postal submission its `reference`
# and no code (CONTRACT "Submission references and codes")
SUBMISSION = {
    **obj(status=STRING, received_at=nullable(MOMENT), due_at=nullable(MOMENT), procedure=PROCEDURE_REF),
    "properties": {
        "code": STRING,
        "reference": STRING,
        "status": STRING,
        "received_at": nullable(MOMENT),
        "due_at": nullable(MOMENT),
        "procedure": PROCEDURE_REF,
    },
}

# A file of a dossier (the upload's answer, the dossier view's `files`)
FILE = obj(
    id=STRING,
    document=STRING,
    name=STRING,
    type=STRING,
    size=INTEGER,
    sha256=STRING,
    uploaded_at=MOMENT,
    uploaded_by=STRING,
)

DOSSIER = obj(
    code=nullable(STRING),  # null until received: then `reference` names it
    reference=nullable(STRING),
    portal_reference=nullable(STRING),  # the national portal's number of a dossier submitted there
    agency_code=STRING,
    status=STRING,
    status_number=nullable(INTEGER),
    channel=STRING,
    procedure=obj(code=STRING, version=INTEGER),
    # CONTRACT "Applicants": `full_name` is the display name of every kind; the other
    # fields as the kind has them (ID and passport numbers masked)
    applicant={
        **obj(kind=STRING, full_name=STRING, id_number=nullable(STRING)),
        "properties": {
            "kind": STRING,
            "full_name": STRING,
            "id_number": nullable(STRING),
            "name": STRING,
            "organisation_code": STRING,
            "representative": {"type": "object"},
            "passport_number": STRING,
            "nationality": STRING,
            "on_behalf_of": {"type": "object"},
            "authorisation": nullable(STRING),
        },
    },
    sets=INTEGER,
    documents=array(ANY),
    submitted_at=nullable(MOMENT),
    handed_over_at=nullable(MOMENT),
    received_at=nullable(MOMENT),
    due_at=nullable(MOMENT),
    returned_at=nullable(MOMENT),
    return_method=STRING,
    outcome=nullable(STRING),  # once returned: result | rejected
    reason=nullable(STRING),
    flags={"type": "object"},
    history=array(obj(status=STRING, at=MOMENT, actor=nullable(STRING), note=nullable(STRING))),
    forms=array(STRING),  # the printable forms it has now: "01" (receipt), "02", "03"
    files=array(FILE),
    # the electronic result processing announced with result_ready (GET /api/files/{id})
    result_file=nullable(FILE),
    # the applicant's exemption {code, reason}, and the fees owed per stage (before_processing,
    # before_return): {amount, pay_by, paid_at, order_id, method}
    # {code, reason, name, waived: [{name, amount, kind}]}: the items the exemption waives
    fee_exemption=nullable({"type": "object"}),
    payments={"type": "object"},
)

# GET /api/dossiers: a page of the register's search, newest submission first; `next`
# (null on the last page) is the `after` of the following page
DOSSIER_LIST = obj(
    dossiers=array(
        obj(
            code=nullable(STRING),  # null until received: then `reference` names it
            reference=nullable(STRING),
            status=STRING,
            channel=STRING,
            procedure=obj(code=STRING, name=STRING),
            applicant_name=STRING,
            submitted_at=MOMENT,
            received_at=nullable(MOMENT),
            due_at=nullable(MOMENT),
        )
    ),
    next=nullable(STRING),
)

GUIDANCE = obj(form=STRING, procedure=PROCEDURE_REF, complete=BOOLEAN, missing_documents=array(STRING))

LOOKUP = obj(
    code=nullable(STRING),
    reference=nullable(STRING),
    procedure=STRING,
    status=STRING,
    status_label=STRING,
    received_at=nullable(MOMENT),
    appointment=nullable(MOMENT),
    returned_at=nullable(MOMENT),
    overdue=BOOLEAN,
    rescheduled=BOOLEAN,
    collect=obj(method=STRING, where=STRING),
    # the citizen's timeline: each status and when (no actor, no note)
    steps=array(obj(status=STRING, at=MOMENT)),
    agency=nullable(obj(code=STRING, name=STRING, address=STRING)),
    # the result may be downloaded at POST /api/lookup/result
    result_download=BOOLEAN,
    # what is owed now, if anything: online when it may be paid online (the procedure is
    # offered online, fully or partly)
    payment_due=nullable(obj(stage=STRING, amount=INTEGER, pay_by=STRING, online=BOOLEAN)),
)

PROCEDURE = obj(
    code=STRING,
    version=INTEGER,
    name=STRING,
    field=STRING,
    level=INTEGER,
    online_service=STRING,
    agency_code=STRING,
    duration_days=INTEGER,
    route=array(obj(department=STRING, days=INTEGER)),
    fee={**INTEGER, "description": "tổng các khoản trong fees (đồng)"},
    # the fee schedule [Law on Fees and Charges 2015]: amounts in đồng, when each is due
    fees=array(
        obj(
            name=STRING,
            amount=INTEGER,
            kind={**STRING, "enum": [k.value for k in FeeKind]},
            when={**STRING, "enum": [w.value for w in FeeWhen]},
        )
    ),
    # the categories the counter may exempt from the lệ phí items, with a reason
    fee_exemptions=array(obj(code=STRING, name=STRING)),
    documents=array(STRING),
    return_methods=array(STRING),
    supplement_clock=STRING,
    cutoff=nullable(STRING),
    effective_from=DAY,
    effective_to=nullable(DAY),
    legal_basis=nullable(STRING),
    postal_reception=BOOLEAN,  # may be submitted by post [Decision 45/2016/QĐ-TTg]
)

PROCEDURES = obj(at=DAY, procedures=array(PROCEDURE))

PROCEDURE_VERSIONS = obj(code=STRING, at=DAY, in_effect=nullable(PROCEDURE), versions=array(PROCEDURE))

_IMPORTED = array({"type": "object", "required": ["code"], "properties": {"code": STRING}})
IMPORT = obj(
    added=_IMPORTED,
    changed=_IMPORTED,
    expired=_IMPORTED,
    unchanged=_IMPORTED,
    missing_from_source=_IMPORTED,
    agencies=_IMPORTED,  # each agency of the file: {code, name, status: added | changed | unchanged}
    dry_run=BOOLEAN,  # true: what the import would do; nothing was changed
)

DUE = obj(procedure_code=STRING, procedure_version=INTEGER, received_at=MOMENT, due_at=MOMENT)

OVERRIDE = obj(day=DAY, kind=STRING, note=nullable(STRING), set_by=nullable(STRING), set_at=nullable(MOMENT))

OVERRIDES = obj(version=INTEGER, overrides=array(OVERRIDE))

OVERRIDE_SET = {
    **OVERRIDE,
    "properties": {"version": INTEGER, **OVERRIDE["properties"]},
    "required": ["version", *OVERRIDE["required"]],
}

OVERRIDE_REMOVED = obj(version=INTEGER, removed=DAY)

# GET /api/calendar/days?year=: the year's days off with their reason, and the
# weekend days worked (make-up days); kind: weekend | holiday | override | makeup
CALENDAR_DAY = obj(day=DAY, kind=STRING, reason=STRING)
CALENDAR_DAYS = obj(
    year=INTEGER,
    version=INTEGER,
    working_days=INTEGER,
    days_off=array(CALENDAR_DAY),
    weekend_working_days=array(CALENDAR_DAY),
)

# GET /api/register/book?format=json: the tracking book (Form 06 of Circular
# 01/2018/TT-VPCP), the dossiers received in the period, oldest first
BOOK = obj(
    **{"from": DAY, "to": DAY},
    agency=nullable(obj(code=STRING, name=STRING)),  # null: every agency
    rows=array(
        obj(
            number=INTEGER,
            code=STRING,
            procedure_code=STRING,
            procedure=STRING,
            sets=INTEGER,
            applicant_name=STRING,
            address=STRING,
            phone=STRING,
            department=STRING,  # cơ quan chủ trì giải quyết
            received_at=MOMENT,
            due_at=nullable(MOMENT),
            transferred_at=nullable(MOMENT),  # first handed to processing
            result_at=nullable(MOMENT),  # the result, or the rejection
            result=STRING,  # "Có kết quả" | "Dừng xử lý" | ""
            returned_at=nullable(MOMENT),
            notes=array(STRING),
        )
    ),
)

# GET /api/procedures/report?format=json: the catalogue on a day
CATALOGUE_COUNTS = obj(
    in_effect=INTEGER,
    online_full=INTEGER,
    online_partial=INTEGER,
    online_services=INTEGER,
    postal_return=INTEGER,
    postal_reception=INTEGER,
)
CATALOGUE_VERSION = obj(
    code=STRING,
    version=INTEGER,
    name=STRING,
    agency_code=STRING,
    field=STRING,
    online_service=STRING,
    effective_from=DAY,
    effective_to=nullable(DAY),
)
CATALOGUE_REPORT = obj(
    on=DAY,
    agency=nullable(STRING),
    headline=CATALOGUE_COUNTS,
    by_agency_field=array(
        {
            **CATALOGUE_COUNTS,
            "properties": {"agency_code": STRING, "field": STRING, **CATALOGUE_COUNTS["properties"]},
            "required": ["agency_code", "field", *CATALOGUE_COUNTS["required"]],
        }
    ),
    expired_still_submitted=array(
        {
            **CATALOGUE_VERSION,
            "properties": {**CATALOGUE_VERSION["properties"], "dossiers": INTEGER, "last_submitted_at": MOMENT},
            "required": [*CATALOGUE_VERSION["required"], "dossiers", "last_submitted_at"],
        }
    ),
    offered_after_expiry=array(CATALOGUE_VERSION),  # must be empty
    coming_into_effect=array(CATALOGUE_VERSION),
    unused=array(CATALOGUE_VERSION),
)


# --- statistics -------------------------------------------------------------------

# Biểu 06's figures of a group or of the total (domain/statistics.py FIGURES); the rate
# (ahead + on time) / resolved, null when nothing was resolved
REPORT_FIGURES = obj(
    carried_over=INTEGER,
    received=INTEGER,
    received_online=INTEGER,
    received_counter=INTEGER,
    received_postal=INTEGER,
    resolved=INTEGER,
    resolved_ahead=INTEGER,
    resolved_on_time=INTEGER,
    resolved_late=INTEGER,
    withdrawn=INTEGER,
    refused=INTEGER,
    rejected=INTEGER,
    in_progress=INTEGER,
    in_progress_within=INTEGER,
    in_progress_overdue=INTEGER,
    supplements_requested=INTEGER,
    extensions=INTEGER,
    on_time_rate=nullable({"type": "number"}),
)
SUMMARY = obj(
    **{"from": DAY, "to": DAY},
    agency=nullable(STRING),
    group_by=STRING,
    groups=array(
        {
            **REPORT_FIGURES,
            "properties": {"key": STRING, "label": STRING, **REPORT_FIGURES["properties"]},
            "required": ["key", "label", *REPORT_FIGURES["required"]],
        }
    ),
    total=REPORT_FIGURES,
)
