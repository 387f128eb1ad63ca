"""The statistics' read model (Biểu 06) in intake's database: `register_events`, the log
of every lifecycle event of a dossier intake publishes or follows, appended in the
transaction of the change; `dossier_facts`, one row per dossier folded from it
(domain/statistics.py); the report over them, and its rebuild from the log (or, for
dossiers older than the log, from the register)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm
from services.intake.domain import statistics
from services.intake.domain.statistics import FIGURES, RATE, Facts
from shared.db import Moment
from shared.events import EventType
from shared.exports import Chart, Table

# intake's tables: orm.py imports this module at its end, so that the migrations see
# these (in that import cycle mypy cannot type orm.metadata)
METADATA: sa.MetaData = orm.metadata  # type: ignore[has-type, unused-ignore]

# Every lifecycle event of a dossier, as the statistics read it (domain.statistics.kept:
# no personal data), in the order it was recorded: replaying it rebuilds dossier_facts.
register_events = sa.Table(
    "register_events",
    METADATA,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("dossier_code", sa.String(40), nullable=False),  # the code, or the reference of a refused submission
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("occurred_at", Moment(), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Index("ix_register_events_dossier", "dossier_code", "id"),
)

# What the report needs of each dossier (domain.statistics.Facts); the JSON lists hold
# ISO 8601 moments.
dossier_facts = sa.Table(
    "dossier_facts",
    METADATA,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("agency_code", sa.String(20), nullable=True),
    sa.Column("procedure_code", sa.String(20), nullable=True),
    sa.Column("procedure_name", sa.String(500), nullable=True),
    sa.Column("field", sa.String(200), nullable=True),
    sa.Column("channel", sa.String(10), nullable=True),
    sa.Column("department", sa.String(100), nullable=True),
    sa.Column("received_at", Moment(), nullable=True),
    sa.Column("appointments", sa.JSON, nullable=False),  # [[from, due]]
    sa.Column("extensions", sa.JSON, nullable=False),  # [[at, new due]]
    sa.Column("pauses", sa.JSON, nullable=False),  # [[requested, supplemented | null]]
    sa.Column("finished_at", Moment(), nullable=True),
    sa.Column("closed", sa.String(10), nullable=True),  # refused | withdrawn | rejected
    sa.Column("closed_at", Moment(), nullable=True),
    sa.Column("returned_at", Moment(), nullable=True),
    sa.Column("ended_at", Moment(), nullable=True),  # finished or closed: what a period's search skips
    sa.Index("ix_dossier_facts_agency_received", "agency_code", "received_at"),
    sa.Index("ix_dossier_facts_ended", "ended_at"),
    sa.Index("ix_dossier_facts_closed", "closed_at"),
)

FACT_FIELDS = tuple(f.name for f in dataclasses.fields(Facts))
MOMENT_LISTS = ("appointments", "extensions", "pauses")
BATCH = 1000


# --- recording ---------------------------------------------------------------------------


# the events whose log entry carries what describes the dossier (agency, procedure, channel)
DESCRIBED = frozenset({EventType.DOSSIER_RECEIVED, EventType.PAYMENT_REQUESTED, EventType.DOSSIER_REFUSED})
LOG_EVENT = register_events.insert()
FOLD_FACTS = dossier_facts.update().where(dossier_facts.c.code == sa.bindparam("fact_code"))


def record(
    session: Session,
    event_type: str,
    dossier_code: str,
    data: Mapping[str, Any],
    at: datetime,
    described: Mapping[str, str] | None = None,
    new: bool = False,
) -> None:
    """Log a lifecycle event and fold it into the dossier's facts, in the caller's
    transaction (IntakeWork.publish for intake's own events, application.follow for
    those it follows). Reception and refusal take what describes the dossier (agency,
    procedure, field, channel) from the register, so that the log replays alone: the
    caller may hand it over (`described`) when it has the dossier at hand. `new`: the
    dossier entered the register in this transaction, so it has no facts yet."""
    if event_type not in statistics.OBSERVED:
        return
    data = statistics.kept(data)
    if event_type in DESCRIBED:
        data.update(_described(session, dossier_code) if described is None else described)
    entry = {"dossier_code": dossier_code, "event_type": str(event_type), "occurred_at": at, "data": _plain(data)}
    session.execute(LOG_EVENT, entry)  # the parameters apart: the statement is built and compiled once
    row = (
        None
        if new
        else session.execute(
            sa.select(dossier_facts).where(dossier_facts.c.code == dossier_code).with_for_update()
        ).first()
    )
    facts = _facts(row._mapping) if row else Facts(dossier_code)
    folded = statistics.observe(facts, event_type, data, at)
    if row is None:
        _save(session, [folded])
    elif folded != facts:  # most shipments' and repeated events change nothing
        session.execute(FOLD_FACTS, {"fact_code": dossier_code, **_row(folded)})


def described_by(agency_code: str | None, channel: str | None, procedure: Any) -> dict[str, str]:
    """What `_described` reads from the register, from a dossier's values and its procedure."""
    values = {
        "agency_code": agency_code,
        "channel": channel,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "field": procedure.field,
    }
    return {name: str(value) for name, value in values.items() if value}


def _described(session: Session, code: str) -> dict[str, Any]:
    """The agency, channel and procedure of the dossier in the register (nothing when
    it is not there)."""
    session.flush()  # a dossier added in this unit of work
    d, p = orm.dossiers.c, orm.procedures.c
    row = session.execute(
        sa.select(d.agency_code, d.channel, p.code.label("procedure_code"), p.name.label("procedure_name"), p.field)
        .join(orm.procedures, p.id == d.procedure_id)
        .where(sa.or_(d.code == code, d.reference == code))
    ).first()
    return {name: str(value) for name, value in row._mapping.items() if value} if row else {}


def _plain(value: Any) -> Any:
    """JSON-ready: moments as ISO 8601 text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _facts(row: Mapping[Any, Any]) -> Facts:
    lists: dict[str, Any] = {
        name: tuple(tuple(statistics.moment(m) for m in entry) for entry in row[name] or ()) for name in MOMENT_LISTS
    }
    return Facts(**{name: row[name] for name in FACT_FIELDS if name not in MOMENT_LISTS}, **lists)


def _row(facts: Facts) -> dict[str, Any]:
    row = {name: getattr(facts, name) for name in FACT_FIELDS}
    for name in MOMENT_LISTS:
        row[name] = _plain(row[name])
    return {**row, "ended_at": facts.ended_at}


def _save(session: Session, many: Sequence[Facts]) -> None:
    """New rows (the parameters apart: the statement compiles once)."""
    if many:
        session.execute(dossier_facts.insert(), [_row(f) for f in many])


# --- the report --------------------------------------------------------------------------


def relevant(session: Session, start: date, end: date, agency: str | None = None) -> list[Facts]:
    """The dossiers that may count in the days from `start` to `end`: received by its
    end and not ended before its start, or refused in it."""
    begin, close = statistics.start_of(start), statistics.start_of(end + timedelta(days=1))
    f = dossier_facts.c
    query = sa.select(dossier_facts).where(
        sa.or_(
            sa.and_(f.received_at < close, sa.or_(f.ended_at.is_(None), f.ended_at >= begin)),
            sa.and_(f.received_at.is_(None), f.closed_at >= begin, f.closed_at < close),
        )
    )
    if agency is not None:  # "" (a counter of no agency) covers nothing
        query = query.where(f.agency_code == agency)
    return [_facts(row._mapping) for row in session.execute(query)]


def summary(session: Session, start: date, end: date, agency: str | None, group_by: str) -> dict[str, Any]:
    """GET /api/reports/summary (answers.SUMMARY): Biểu 06 of one agency, or of all."""
    names: dict[str, str] = {}
    if group_by == "agency":
        names = {code: name for code, name in session.execute(sa.select(orm.agencies.c.code, orm.agencies.c.name))}
    report = statistics.summarise(relevant(session, start, end, agency), start, end, group_by, names)
    return {"from": start, "to": end, "agency": agency, "group_by": group_by, **report}


HEADINGS = {
    "carried_over": "Kỳ trước chuyển qua",
    "received": "Tiếp nhận trong kỳ",
    "received_online": "Tiếp nhận trực tuyến",
    "received_counter": "Tiếp nhận trực tiếp",
    "received_postal": "Tiếp nhận qua bưu chính",
    "resolved": "Đã giải quyết",
    "resolved_ahead": "Giải quyết trước hạn",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết quá hạn",
    "withdrawn": "Rút hồ sơ",
    "refused": "Từ chối tiếp nhận",
    "rejected": "Dừng xử lý",
    "in_progress": "Đang giải quyết",
    "in_progress_within": "Đang giải quyết trong hạn",
    "in_progress_overdue": "Đang giải quyết quá hạn",
    "supplements_requested": "Yêu cầu bổ sung",
    "extensions": "Gia hạn (phiếu xin lỗi)",
    RATE: "Tỷ lệ đúng hạn (%)",
}
GROUP_HEADINGS = {
    "field": "Lĩnh vực",
    "procedure": "Thủ tục",
    "agency": "Cơ quan",
    "channel": "Kênh nộp",
    "department": "Phòng ban",
    "month": "Tháng",
}


def percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 2)


def summary_tables(report: Mapping[str, Any]) -> list[Table]:
    """The report as downloads: the table (the groups, then the total; the rate in
    percent), and for the XLSX a sheet of charts: received against resolved per group,
    and the on-time rate."""
    heading = GROUP_HEADINGS[report["group_by"]]

    def row(key: str, label: str, figures: Mapping[str, Any]) -> dict[str, Any]:
        return {"key": key, "label": label, **figures, RATE: percent(figures[RATE])}

    rows = [row(g["key"], g["label"], g) for g in report["groups"]]
    table = Table(
        title="Biểu 06",
        columns=[
            ("key", f"Mã {heading.lower()}"),
            ("label", heading),
            *((name, HEADINGS[name]) for name in (*FIGURES, RATE)),
        ],
        rows=[*rows, row("", "Tổng cộng", report["total"])],
    )
    charts = Table(
        title="Biểu đồ",
        columns=[
            ("label", heading),
            ("received", HEADINGS["received"]),
            ("resolved", HEADINGS["resolved"]),
            (RATE, HEADINGS[RATE]),
        ],
        rows=rows,
        charts=(
            Chart(
                title="Tiếp nhận và đã giải quyết", category="label", values=("received", "resolved"), y_title="Hồ sơ"
            ),
            Chart(
                title="Tỷ lệ giải quyết đúng hạn",
                category="label",
                values=(RATE,),
                kind="line" if report["group_by"] == "month" else "bar",
                y_title="%",
            ),
        ),
    )
    return [table, charts]


# --- the rebuild ---------------------------------------------------------------------------


def rebuild(session: Session, progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """dossier_facts recomputed in this transaction: replayed from register_events
    through the same fold, and for the dossiers the log has nothing of (older than it)
    from the register (dossiers and dossier_history) as well as it can. Idempotent.
    Answers the counts: events replayed, dossiers from the log, from the register.
    Events recorded meanwhile wait for it (the log is locked against writes), so none
    is folded into a row this replaces."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("LOCK TABLE register_events IN SHARE MODE"))
    session.execute(sa.delete(dossier_facts))
    events = from_log = 0
    batch: list[Facts] = []
    for facts, replayed in _replayed(session):
        events += replayed
        from_log += 1
        batch = _flushed(session, batch, facts)
        if from_log % (10 * BATCH) == 0:
            progress(f"{from_log} hồ sơ từ nhật ký ({events} sự kiện)")
    _save(session, batch)
    progress(f"nhật ký sự kiện: {events} sự kiện, {from_log} hồ sơ")
    from_register, batch = 0, []
    for facts in _from_register(session):
        from_register += 1
        batch = _flushed(session, batch, facts)
    _save(session, batch)
    progress(f"sổ theo dõi (hồ sơ có trước nhật ký): {from_register} hồ sơ")
    return {"events": events, "from_log": from_log, "from_register": from_register}


def _flushed(session: Session, batch: list[Facts], facts: Facts) -> list[Facts]:
    batch.append(facts)
    if len(batch) < BATCH:
        return batch
    _save(session, batch)
    return []


def _replayed(session: Session) -> Iterator[tuple[Facts, int]]:
    """Each dossier of the log folded, with the number of its events."""
    e = register_events.c
    rows = session.execute(
        sa.select(e.dossier_code, e.event_type, e.occurred_at, e.data).order_by(e.dossier_code, e.id),
        execution_options={"yield_per": BATCH},
    )
    facts, count = None, 0
    for code, event_type, occurred_at, data in rows:
        if facts is None or facts.code != code:
            if facts is not None:
                yield facts, count
            facts, count = Facts(code), 0
        facts, count = statistics.observe(facts, event_type, data, occurred_at), count + 1
    if facts is not None:
        yield facts, count


def _from_register(session: Session) -> Iterator[Facts]:
    """The dossiers received or refused of which the log holds nothing, folded from
    the register's trail. The register keeps one appointment (dossiers.due_at, the
    last: after a supplement, or the apology's new date) and no apology's moment."""
    d, p, e = orm.dossiers.c, orm.procedures.c, register_events.c
    logged = sa.select(e.id).where(sa.or_(e.dossier_code == d.code, e.dossier_code == d.reference)).exists()
    query = (
        sa.select(
            d.code,
            d.agency_code,
            d.channel,
            d.received_at,
            d.due_at,
            d.returned_at,
            p.code.label("procedure_code"),
            p.name.label("procedure_name"),
            p.field,
        )
        .join(orm.procedures, p.id == d.procedure_id)
        .where(sa.or_(d.received_at.is_not(None), d.status == "refused"), ~logged)
        .order_by(d.code)
    )
    for partition in session.execute(query, execution_options={"yield_per": BATCH}).partitions():
        chunk = [row._mapping for row in partition]
        trails = _trails(session, [row["code"] for row in chunk])
        for row in chunk:
            facts = Facts(row["code"])
            for event_type, data, at in register_story(row, trails.get(row["code"], [])):
                facts = statistics.observe(facts, event_type, data, at)
            yield facts


def _trails(session: Session, codes: Sequence[str]) -> dict[str, list[Mapping[Any, Any]]]:
    h = orm.dossier_history.c
    trails: dict[str, list[Mapping[Any, Any]]] = {}
    for row in session.execute(
        sa.select(h.dossier_code, h.status, h.at, h.actor, h.note)
        .where(h.dossier_code.in_(codes))
        .order_by(h.dossier_code, h.at, h.id)
    ):
        trails.setdefault(row.dossier_code, []).append(row._mapping)
    return trails


def register_story(
    dossier: Mapping[Any, Any], trail: Iterable[Mapping[Any, Any]]
) -> list[tuple[str, dict[str, Any], datetime]]:
    """The events a dossier of the register went through, as well as its trail tells
    them (Dossier._move logs each status with its moment; processing's with the
    department as the note)."""
    described = {name: str(dossier[name]) for name in statistics.DESCRIPTIVE if dossier[name]}
    story: list[tuple[str, dict[str, Any], datetime]] = []
    waiting = False
    for entry in trail:
        status, at = entry["status"], entry["at"]
        if status == "received" and dossier["received_at"]:
            data = {**described, "received_at": dossier["received_at"], "due_at": dossier["due_at"]}
            story.append((EventType.DOSSIER_RECEIVED, data, at))
        elif status == "refused":
            story.append((EventType.DOSSIER_REFUSED, described, at))
        elif status == "in_progress" and waiting and entry["actor"] != "processing":
            story.append((EventType.DOSSIER_SUPPLEMENTED, {"received_at": at}, at))
            waiting = False
        elif status == "in_progress" and entry["actor"] == "processing":
            story.append((EventType.PROCESSING_STARTED, {"department": entry["note"]}, at))
        elif status == "supplement_requested":
            story.append((EventType.SUPPLEMENT_REQUESTED, {"requested_at": at}, at))
            waiting = True
        elif status == "result_ready":
            story.append((EventType.RESULT_READY, {"finished_at": at}, at))
        elif status == "rejected":
            story.append((EventType.DOSSIER_REJECTED, {}, at))
        elif status == "withdrawn":
            story.append((EventType.DOSSIER_WITHDRAWN, {}, at))
        elif status == "returned":
            story.append((EventType.DOSSIER_RETURNED, {"returned_at": dossier["returned_at"] or at}, at))
    return story
