"""The shapes of the connector's answers (OpenAPI)."""

from shared.openapi import BOOLEAN, INTEGER, STRING, array, nullable, obj

_TEXT = nullable(STRING)
STATUS = obj(
    status_id=STRING,
    dossier_key=STRING,
    seq=INTEGER,
    number=INTEGER,
    name=STRING,
    status=STRING,
    dossier_code=STRING,
    changed_at=STRING,
    sent_at=_TEXT,
    attempts=INTEGER,
    next_try_at=_TEXT,
    last_error=_TEXT,
    parked_at=_TEXT,
)
STATUSES = obj(dossier_code=STRING, statuses=array(STATUS))
ARRIVAL = obj(
    portal_reference=STRING,
    via=STRING,
    state=STRING,
    reference=_TEXT,
    arrived_at=STRING,
    files=INTEGER,
    files_done=INTEGER,
    attempts=INTEGER,
    last_error=_TEXT,
    applicant=_TEXT,
    procedure_code=_TEXT,
)
PUSHED = obj(result=STRING, portal_reference=STRING)
OVERVIEW = obj(
    portal=obj(reachable=BOOLEAN, since=_TEXT, reason=_TEXT, url=STRING),
    statuses=obj(owed=INTEGER, sent=INTEGER, parked=INTEGER, last_sent_at=_TEXT),
    arrivals=obj(waiting=INTEGER, done=INTEGER, refused=INTEGER),
    parked=array(STATUS),
    arrivals_latest=array(ARRIVAL),
    last_pull=nullable(obj()),
)
PULL = obj(pulled_at=STRING, dry_run=BOOLEAN, outcome=STRING)
DIFFERENCES = obj(on=STRING, differences=array(obj()), unmapped=array(obj()), expiring=array(STRING), entries=INTEGER)
PULLS = obj(pulls=array(obj(pulled_at=STRING, by=STRING, dry_run=BOOLEAN, outcome=STRING, report=obj())))
