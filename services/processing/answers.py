"""What the processing API answers, as JSON schemas for its OpenAPI document (the
views are built in workflow: keep them in step)."""
from shared.openapi import ANY, BOOLEAN, INTEGER, MOMENT, STRING, array, nullable, obj

TASK = obj(task_id=STRING, dossier_code=STRING, department=STRING, step=INTEGER, status=STRING,
           available_at=MOMENT, due_at=MOMENT, claimed_by=nullable(STRING), claimed_at=nullable(MOMENT),
           decision=ANY, overdue=BOOLEAN, due_soon=BOOLEAN)

QUEUE = obj(department=STRING, counts=obj(open=INTEGER, claimed=INTEGER, overdue=INTEGER, due_soon=INTEGER),
            items=array(TASK))

AUTOMATED = obj(departments=array(STRING))

AUTOMATION = obj(department=STRING, automated=BOOLEAN)

_EXTENSION = dict(reason=STRING, old_due_at=MOMENT, new_due_at=MOMENT, extended_at=MOMENT,
                  extended_by=nullable(STRING))

EXTENSION = obj(dossier_code=STRING, procedure_code=STRING, received_at=MOMENT, **_EXTENSION)

CONTROL_SLIP = obj(
    dossier_code=STRING, procedure_code=STRING, status=STRING, received_at=MOMENT, due_at=MOMENT,
    finished_at=nullable(MOMENT), extension=nullable(obj(**_EXTENSION)),
    hand_offs=array(obj(**{"from": STRING}, to=STRING, handed_over_at=MOMENT, received_at=nullable(MOMENT),
                        due_at=nullable(MOMENT), sender_due_at=nullable(MOMENT), timeliness=nullable(STRING),
                        note=nullable(STRING))))
