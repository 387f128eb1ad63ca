"""What the intake API answers, as JSON schemas for its OpenAPI document (the views
are built in adapters/queries.py and service.py: keep them in step)."""

from shared.openapi import ANY, BOOLEAN, DAY, INTEGER, MOMENT, STRING, array, nullable, obj

PROCEDURE_REF = obj(code=STRING, name=STRING, version=INTEGER)

SUBMISSION = obj(
    code=nullable(STRING), status=STRING, received_at=nullable(MOMENT), due_at=nullable(MOMENT), procedure=PROCEDURE_REF
)

DOSSIER = obj(
    code=STRING,
    agency_code=STRING,
    status=STRING,
    status_number=nullable(INTEGER),
    channel=STRING,
    procedure=obj(code=STRING, version=INTEGER),
    applicant=obj(full_name=STRING, id_number=STRING),
    documents=array(ANY),
    submitted_at=nullable(MOMENT),
    handed_over_at=nullable(MOMENT),
    received_at=nullable(MOMENT),
    due_at=nullable(MOMENT),
    returned_at=nullable(MOMENT),
    return_method=STRING,
    reason=nullable(STRING),
    flags={"type": "object"},
    history=array(obj(status=STRING, at=MOMENT, actor=nullable(STRING), note=nullable(STRING))),
)

GUIDANCE = obj(form=STRING, procedure=PROCEDURE_REF, complete=BOOLEAN, missing_documents=array(STRING))

LOOKUP = obj(
    code=STRING,
    procedure=STRING,
    status=STRING,
    status_label=STRING,
    received_at=nullable(MOMENT),
    appointment=nullable(MOMENT),
    returned_at=nullable(MOMENT),
    overdue=BOOLEAN,
    rescheduled=BOOLEAN,
    collect=obj(method=STRING, where=STRING),
)

PROCEDURE = obj(
    code=STRING,
    version=INTEGER,
    name=STRING,
    field=STRING,
    level=INTEGER,
    agency_code=STRING,
    duration_days=INTEGER,
    route=array(obj(department=STRING, days=INTEGER)),
    fee=INTEGER,
    documents=array(STRING),
    return_methods=array(STRING),
    supplement_clock=STRING,
    cutoff=nullable(STRING),
    effective_from=DAY,
    effective_to=nullable(DAY),
    legal_basis=nullable(STRING),
)

PROCEDURES = obj(at=DAY, procedures=array(PROCEDURE))

PROCEDURE_VERSIONS = obj(code=STRING, at=DAY, in_effect=nullable(PROCEDURE), versions=array(PROCEDURE))

_IMPORTED = array({"type": "object", "required": ["code"], "properties": {"code": STRING}})
IMPORT = obj(added=_IMPORTED, changed=_IMPORTED, expired=_IMPORTED, unchanged=_IMPORTED, missing_from_source=_IMPORTED)

DUE = obj(procedure_code=STRING, procedure_version=INTEGER, received_at=MOMENT, due_at=MOMENT)

OVERRIDE = obj(day=DAY, kind=STRING, note=nullable(STRING), set_by=nullable(STRING), set_at=nullable(MOMENT))

OVERRIDES = obj(version=INTEGER, overrides=array(OVERRIDE))

OVERRIDE_SET = {
    **OVERRIDE,
    "properties": {"version": INTEGER, **OVERRIDE["properties"]},
    "required": ["version", *OVERRIDE["required"]],
}

OVERRIDE_REMOVED = obj(version=INTEGER, removed=DAY)
