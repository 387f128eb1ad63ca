"""The register's statistics (Biểu số 06/VPCP/KSTT, Circular 01/2020/TT-VPCP): what the
report needs to know of each dossier (`Facts`), folded from the lifecycle's events
(`observe`), and how a dossier counts in a period (`classify`).

The rules, with their sources, are in services/intake/README.md "Statistics". Days
are days in Vietnam's time, periods include both ends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from shared.clock import TZ
from shared.events import EventType

# the lifecycle's events the statistics follow (intake's own and those it follows)
OBSERVED = frozenset(
    {
        EventType.DOSSIER_RECEIVED,
        EventType.PAYMENT_REQUESTED,
        EventType.DOSSIER_REFUSED,
        EventType.DOSSIER_SUPPLEMENTED,
        EventType.DOSSIER_WITHDRAWN,
        EventType.DOSSIER_RETURNED,
        EventType.PROCESSING_STARTED,
        EventType.DOSSIER_TRANSFERRED,
        EventType.SUPPLEMENT_REQUESTED,
        EventType.DOSSIER_REJECTED,
        EventType.DEADLINE_EXTENDED,
        EventType.DOSSIER_OVERDUE,
        EventType.RESULT_READY,
        EventType.SHIPMENT_CREATED,
        EventType.SHIPMENT_DELIVERED,
        EventType.SHIPMENT_FAILED,
        EventType.SHIPMENT_RETURNED,
    }
)

# what describes a dossier in the report's groups
DESCRIPTIVE = ("agency_code", "procedure_code", "procedure_name", "field", "channel")
# everything the fold reads of an event's data: the log keeps only these (no contacts,
# no names: the statistics need no personal data [Decree 13/2023/NĐ-CP])
READ = (
    *DESCRIPTIVE,
    "received_at",
    "due_at",
    "stage",
    "department",
    "to_department",
    "dossier_due_at",
    "requested_at",
    "new_due_at",
    "finished_at",
    "returned_at",
)


class Closed(StrEnum):
    """How a dossier ended without a result."""

    REFUSED = "refused"  # a submission the counter did not receive (Form 03)
    WITHDRAWN = "withdrawn"  # the applicant took it back
    REJECTED = "rejected"  # dừng xử lý: not eligible, with a written reason


CLOSING = {
    EventType.DOSSIER_REFUSED: Closed.REFUSED,
    EventType.DOSSIER_WITHDRAWN: Closed.WITHDRAWN,
    EventType.DOSSIER_REJECTED: Closed.REJECTED,
}


def moment(value: datetime | str | None) -> datetime | None:
    """A moment as the fold keeps it, in Vietnam's time (events carry datetimes, the
    log ISO 8601 text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(TZ)


def day(value: datetime | None) -> date | None:
    """The day of a moment in Vietnam's time."""
    return None if value is None else value.astimezone(TZ).date()


def start_of(day_: date) -> datetime:
    """Midnight opening `day_` in Vietnam's time."""
    return datetime.combine(day_, time(0), TZ)


@dataclass(frozen=True)
class Facts:
    """What the report needs of one dossier (a submission refused before reception is
    known by its reference). `appointments`: (from, due) as reception and supplements
    set them; `extensions`: (at, new due) of the apology (Form 04); `pauses`:
    (requested, supplemented or None) of requests to complete the dossier;
    `finished_at`: the result ready (result_ready); `closed`/`closed_at`: refused,
    withdrawn or rejected."""

    code: str
    agency_code: str | None = None
    procedure_code: str | None = None
    procedure_name: str | None = None
    field: str | None = None
    channel: str | None = None
    department: str | None = None  # the department holding it now
    received_at: datetime | None = None
    appointments: tuple[tuple[datetime, datetime], ...] = ()
    extensions: tuple[tuple[datetime, datetime], ...] = ()
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    finished_at: datetime | None = None
    closed: str | None = None
    closed_at: datetime | None = None
    returned_at: datetime | None = None

    @property
    def ended_at(self) -> datetime | None:
        """When it stopped being open: the result ready, or the closing."""
        ends = [m for m in (self.finished_at, self.closed_at) if m is not None]
        return min(ends) if ends else None

    def appointment(self, before: datetime | None = None) -> datetime | None:
        """The appointment in force (before `before`, or the last set): the latest set by
        reception or a supplement. An extension never moves it: the apology is issued
        because the dossier is late [Decree 61/2018/NĐ-CP Art. 19]."""
        set_ = [due for since, due in self.appointments if before is None or since < before]
        return set_[-1] if set_ else (self.appointments[0][1] if self.appointments else None)

    def paused(self, at: datetime) -> bool:
        """Waiting for the applicant's papers at `at`."""
        return any(asked < at and (brought is None or brought >= at) for asked, brought in self.pauses)


def _added(entries: tuple[Any, ...], entry: tuple[Any, ...]) -> tuple[Any, ...]:
    """`entries` with `entry`, once (a redelivered event adds nothing), in the order of
    their moments (events of different types may be consumed out of order)."""
    return entries if entry in entries else tuple(sorted((*entries, entry), key=lambda e: e[0]))


def _closed(facts: Facts, how: Closed, at: datetime) -> Facts:
    """The first closing stands."""
    return facts if facts.closed else dataclasses.replace(facts, closed=how, closed_at=at)


def observe(facts: Facts, event_type: str, data: Mapping[str, Any], at: datetime) -> Facts:
    """The facts after one lifecycle event of `at` (its own times, where it carries them,
    win). Pure, and a repeated event changes nothing."""
    at = moment(at)  # type: ignore[assignment]
    described = {name: data[name] for name in DESCRIPTIVE if data.get(name)}
    facts = dataclasses.replace(facts, **described)
    if event_type == EventType.DOSSIER_RECEIVED:
        received = moment(data.get("received_at")) or at
        due = moment(data.get("due_at"))
        appointments = _added(facts.appointments, (received, due)) if due else facts.appointments
        return dataclasses.replace(facts, received_at=received, appointments=appointments)
    if event_type == EventType.PAYMENT_REQUESTED:
        # received (the legal reception), waiting for the fees before processing: no
        # appointment until they are paid (dossier_received brings it)
        if data.get("stage") != "before_processing" or facts.received_at:
            return facts
        return dataclasses.replace(facts, received_at=moment(data.get("received_at")) or at)
    if event_type in CLOSING:
        return _closed(facts, CLOSING[event_type], at)  # type: ignore[index]
    if event_type == EventType.PROCESSING_STARTED:
        due = moment(data.get("dossier_due_at"))  # a supplement set a new appointment
        appointments = _added(facts.appointments, (at, due)) if due else facts.appointments
        return dataclasses.replace(
            facts, department=data.get("department") or facts.department, appointments=appointments
        )
    if event_type == EventType.DOSSIER_TRANSFERRED:
        return dataclasses.replace(facts, department=data.get("to_department") or facts.department)
    if event_type == EventType.SUPPLEMENT_REQUESTED:
        asked = moment(data.get("requested_at")) or at
        if any(a == asked for a, _ in facts.pauses):
            return facts
        return dataclasses.replace(facts, pauses=(*facts.pauses, (asked, None)))
    if event_type == EventType.DOSSIER_SUPPLEMENTED:
        brought = moment(data.get("received_at")) or at
        pauses = list(facts.pauses)
        if pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], brought)
        return dataclasses.replace(facts, pauses=tuple(pauses))
    if event_type == EventType.DEADLINE_EXTENDED:
        new_due = moment(data.get("new_due_at"))
        return dataclasses.replace(facts, extensions=_added(facts.extensions, (at, new_due))) if new_due else facts
    if event_type == EventType.RESULT_READY:
        return (
            facts
            if facts.finished_at
            else dataclasses.replace(facts, finished_at=moment(data.get("finished_at")) or at)
        )
    if event_type == EventType.DOSSIER_RETURNED:
        return dataclasses.replace(facts, returned_at=moment(data.get("returned_at")) or at)
    return facts  # overdue (computed here from the appointment), the shipments


def kept(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the log keeps of an event's data: what the fold reads."""
    return {name: data[name] for name in READ if data.get(name) is not None}


# --- the classification --------------------------------------------------------------

FIGURES = (
    "carried_over",  # kỳ trước chuyển qua
    "received",  # tiếp nhận trong kỳ
    "received_online",
    "received_counter",
    "received_postal",
    "resolved",  # đã giải quyết
    "resolved_ahead",  # trước hạn
    "resolved_on_time",  # đúng hạn
    "resolved_late",  # quá hạn
    "withdrawn",
    "refused",
    "rejected",
    "in_progress",  # đang giải quyết
    "in_progress_within",  # trong hạn
    "in_progress_overdue",  # quá hạn
    "supplements_requested",
    "extensions",
)
RATE = "on_time_rate"


def timeliness(finished: datetime, due: datetime | None) -> str:
    """ahead, on_time or late: the day the result was ready against the appointment's
    day ("Sớm" before it, "Đúng hạn" on it)."""
    if due is None:  # no appointment known: nothing to be late for
        return "on_time"
    finished_day, due_day = day(finished), day(due)
    assert finished_day is not None and due_day is not None
    return "ahead" if finished_day < due_day else "on_time" if finished_day == due_day else "late"


def classify(facts: Facts, start: date, end: date) -> dict[str, int]:
    """How one dossier counts in the days from `start` to `end` (Biểu 06): each figure
    0 or 1, but supplements and extensions, which count events."""
    figures = dict.fromkeys(FIGURES, 0)

    def within(value: datetime | None) -> bool:
        return value is not None and start <= day(value) <= end  # type: ignore[operator]

    received, ended = day(facts.received_at), day(facts.ended_at)
    if received is not None:
        if received < start and (ended is None or ended >= start):
            figures["carried_over"] = 1
        if within(facts.received_at):
            figures["received"] = 1
            if facts.channel in CHANNEL_LABELS:
                figures[f"received_{facts.channel}"] = 1
        if received <= end and (ended is None or ended > end):
            close_of_period = start_of(end + timedelta(days=1))
            due = facts.appointment(before=close_of_period)
            on_course = facts.paused(close_of_period) or due is None or day(due) >= end  # type: ignore[operator]
            figures["in_progress"] = 1
            figures["in_progress_within" if on_course else "in_progress_overdue"] = 1
    if within(facts.finished_at):
        figures["resolved"] = 1
        figures[f"resolved_{timeliness(facts.finished_at, facts.appointment())}"] = 1  # type: ignore[arg-type]
    if facts.closed and within(facts.closed_at):
        figures[facts.closed] = 1
    figures["supplements_requested"] = sum(within(asked) for asked, _ in facts.pauses)
    figures["extensions"] = sum(within(at) for at, _ in facts.extensions)
    return figures


def on_time_rate(figures: Mapping[str, int]) -> float | None:
    """(ahead + on time) / resolved; None when nothing was resolved."""
    if not figures["resolved"]:
        return None
    return round((figures["resolved_ahead"] + figures["resolved_on_time"]) / figures["resolved"], 4)


def add_up(many: Iterable[Mapping[str, int]]) -> dict[str, Any]:
    """The sum of dossiers' figures, with the on-time rate."""
    total = dict.fromkeys(FIGURES, 0)
    for figures in many:
        for name in FIGURES:
            total[name] += figures[name]
    return {**total, RATE: on_time_rate(total)}


# --- the report ----------------------------------------------------------------------

GROUPINGS = ("field", "procedure", "agency", "channel", "department", "month")
CHANNEL_LABELS = {"online": "Trực tuyến", "counter": "Trực tiếp", "postal": "Bưu chính"}
UNKNOWN_LABEL = "Chưa xác định"
MAX_YEARS = 3  # the longest period one report covers


def period_problems(start: date, end: date) -> dict[str, list[str]]:
    """Why the days from `start` to `end` are no report period (empty: they are)."""
    if end < start:
        return {"to": ["Ngày kết thúc phải từ ngày bắt đầu trở đi"]}
    try:
        limit = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = date(start.year + MAX_YEARS, 3, 1)
    if end >= limit:
        return {"to": [f"Kỳ báo cáo dài tối đa {MAX_YEARS} năm (đến trước {limit:%d/%m/%Y})"]}
    return {}


def months(start: date, end: date) -> list[tuple[date, date]]:
    """The months touching the period, each clipped to it."""
    spans, first = [], start.replace(day=1)
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        spans.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return spans


def _key(facts: Facts, group_by: str) -> str:
    attribute = {"procedure": "procedure_code", "agency": "agency_code"}.get(group_by, group_by)
    return getattr(facts, attribute) or ""


def summarise(
    all_facts: Sequence[Facts],
    start: date,
    end: date,
    group_by: str,
    agency_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Biểu 06 over the period: `groups` [{key, label, figures...}] and `total`. A month
    is classified over its own days (clipped to the period) and every month is listed;
    other groups are listed when a dossier of theirs counts in the period."""
    classified = [(facts, classify(facts, start, end)) for facts in all_facts]
    total = add_up(figures for _, figures in classified)
    if group_by == "month":
        groups = [
            {
                "key": f"{first:%Y-%m}",
                "label": f"Tháng {first:%m/%Y}",
                **add_up(classify(facts, first, last) for facts in all_facts),
            }
            for first, last in months(start, end)
        ]
        return {"groups": groups, "total": total}
    members: dict[str, list[dict[str, int]]] = {}
    names: dict[str, str] = {}
    for facts, figures in classified:
        if any(figures.values()):
            key = _key(facts, group_by)
            members.setdefault(key, []).append(figures)
            names.setdefault(key, _label(facts, group_by, key, agency_names or {}))
    groups = [
        {"key": key, "label": names[key], **add_up(members[key])}
        for key in sorted(members, key=lambda k: (k == "", names[k]))
    ]
    return {"groups": groups, "total": total}


def _label(facts: Facts, group_by: str, key: str, agency_names: Mapping[str, str]) -> str:
    if not key:
        return UNKNOWN_LABEL
    if group_by == "procedure":
        return facts.procedure_name or key
    if group_by == "agency":
        return agency_names.get(key, key)
    if group_by == "channel":
        return CHANNEL_LABELS.get(key, key)
    return key  # the field, the department
