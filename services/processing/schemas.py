"""What the processing API takes (marshmallow schemas of bodies, queries and paths)
and what it answers (JSON schemas for its OpenAPI document: the views are built in
adapters.queries, keep them in step)."""

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared import clock
from shared.openapi import ANY, BOOLEAN, INTEGER, MOMENT, STRING, array, nullable, obj

TEXT = validate.Length(max=2000)
DEPARTMENT = validate.Regexp(r"[A-Z0-9_.-]{1,40}\Z", error="Mã phòng ban gồm chữ in hoa, số, '.', '_' hoặc '-'")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SupplementItem(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class Decision(_Strict):
    action = fields.String(
        required=True,
        validate=validate.OneOf(
            ("approve", "transfer", "request_supplement", "reject"),
            error="Quyết định phải là approve, transfer, request_supplement hoặc reject",
        ),
    )
    note = fields.String(load_default=None, allow_none=True, validate=TEXT)
    reason = fields.String(load_default=None, allow_none=True, validate=TEXT)
    to_department = fields.String(load_default=None, allow_none=True, validate=DEPARTMENT)
    items = fields.List(fields.Nested(SupplementItem), load_default=None, allow_none=True)

    @validates_schema
    def _needs(self, data, **_):
        action = data["action"]
        if action in ("reject", "transfer") and not (data.get("reason") or "").strip():
            raise ValidationError("Cần nêu lý do", "reason")
        if action == "transfer" and not data.get("to_department"):
            raise ValidationError("Cần nêu phòng ban nhận hồ sơ", "to_department")
        if action == "request_supplement" and not data.get("items"):
            raise ValidationError("Cần liệt kê giấy tờ cần bổ sung (tên và lý do)", "items")


def _plausible_new_due(value):
    # The exact bound (at most a year after the current due date) needs the dossier: Case.extend.
    if not clock.near_now(value, 2 * clock.MOMENT_SPAN):
        raise ValidationError("Ngày hẹn mới phải trong vòng hai năm so với hiện tại")


class Extension(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    new_due_at = fields.AwareDateTime(
        required=True,
        validate=_plausible_new_due,
        error_messages={
            "invalid": "Ngày hẹn mới phải là thời điểm ISO 8601",
            "invalid_awareness": "Ngày hẹn mới phải có múi giờ",
        },
    )

    @validates_schema
    def _reason(self, data, **_):
        if not data["reason"].strip():
            raise ValidationError("Cần nêu lý do chậm trễ", "reason")


class Automation(_Strict):
    automated = fields.Boolean(required=True)


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters (a cache buster) are ignored


class QueueQuery(_Query):
    # out of range is brought into 1-500, not refused
    limit = fields.Integer(load_default=100, metadata={"description": "1-500; ngoài khoảng được đưa về 1 hoặc 500"})


class PrintableQuery(_Query):
    format = fields.String(
        load_default=None, validate=validate.OneOf(("html", "json"), error="format là html (bản in) hoặc json")
    )


class DepartmentPath(_Strict):
    department = fields.String(required=True, validate=DEPARTMENT)


# --- answers ---------------------------------------------------------------------------

TASK = obj(
    task_id=STRING,
    dossier_code=STRING,
    department=STRING,
    step=INTEGER,
    status=STRING,
    available_at=MOMENT,
    due_at=MOMENT,
    claimed_by=nullable(STRING),
    claimed_at=nullable(MOMENT),
    decision=ANY,
    overdue=BOOLEAN,
    due_soon=BOOLEAN,
)


class ResultForm(_Strict):
    """POST /api/tasks/{task_id}/result, multipart/form-data: `file`, the result (a PDF,
    told by its content; at most 20 MB)."""

    file = fields.Raw(required=True, metadata={"type": "string", "contentMediaType": "application/pdf"})


# the result file attached to a task (its content is in the file store under sha256)
RESULT = obj(result_file=obj(id=STRING, sha256=STRING, size=INTEGER, type=STRING, name=STRING))

QUEUE = obj(
    department=STRING, counts=obj(open=INTEGER, claimed=INTEGER, overdue=INTEGER, due_soon=INTEGER), items=array(TASK)
)

AUTOMATED = obj(departments=array(STRING))

DEPARTMENTS = obj(departments=array(STRING))

DOSSIER_TASKS = obj(
    dossier_code=STRING, tasks=array(obj(**TASK["properties"], decided_at=nullable(MOMENT), note=STRING))
)

AUTOMATION = obj(department=STRING, automated=BOOLEAN)

_EXTENSION = dict(reason=STRING, old_due_at=MOMENT, new_due_at=MOMENT, extended_at=MOMENT, extended_by=nullable(STRING))

EXTENSION = obj(
    dossier_code=STRING,
    procedure_code=STRING,
    received_at=MOMENT,
    applicant_name=nullable(STRING),
    agency=obj(code=STRING, name=STRING, head_title=nullable(STRING), place=nullable(STRING)),
    **_EXTENSION,
)

CONTROL_SLIP = obj(
    dossier_code=STRING,
    procedure_code=STRING,
    status=STRING,
    received_at=MOMENT,
    due_at=MOMENT,
    finished_at=nullable(MOMENT),
    extension=nullable(obj(**_EXTENSION)),
    hand_offs=array(
        obj(
            **{"from": STRING},
            to=STRING,
            handed_over_at=MOMENT,
            received_at=nullable(MOMENT),
            due_at=nullable(MOMENT),
            sender_due_at=nullable(MOMENT),
            timeliness=nullable(STRING),
            note=nullable(STRING),
        )
    ),
)
