"""The connector's ledger of what the national portal is owed and what it sent.

Statuses out: each change of a dossier's citizen-facing status (intake's
dossier_status_changed, numbered `seq` per dossier) is one `StatusRecord`, owed to the
portal exactly once and in order: a record is sent only after the one before it of the
same dossier was taken, so a later status never overtakes an earlier one, whatever
order the events arrive in. The portal keys a record by its `status_id`: sending one
again after a crash changes nothing there (exactly once where it counts).

Dossiers in: a dossier submitted on the portal is an `Arrival`, kept once per portal
number, then handed to intake as an online submission with its files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from shared import national_portal

# After this many refusals of the same record (the portal answered 4xx) it is parked
# for an operator: the dossier's later statuses wait behind it (order first).
MAX_REFUSALS = 5


# A nightly pull that could not reach the portal or intake is tried again this long after.
PULL_RETRY = timedelta(minutes=15)


def nightly_pull_due(now: datetime, at: time, last_done: datetime | None, last_tried: datetime | None) -> bool:
    """The nightly catalogue pull is due once a day from `at` (Vietnam's time, `now` is
    local): unless one was done since then, or one was tried in the last PULL_RETRY."""
    since = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if now < since or (last_done is not None and last_done >= since):
        return False
    return last_tried is None or now - last_tried >= PULL_RETRY


def dossier_key(code: str, reference: str | None) -> str:
    """What names a dossier for the portal from its first status to its last: the
    submission's reference (an online or postal dossier's code changes at reception),
    else its code."""
    return reference or code


def backoff(attempts: int, longest: float) -> timedelta:
    """1, 2, 4, 8... seconds after the attempts so far, at most `longest`."""
    return timedelta(seconds=min(2.0 ** max(attempts - 1, 0), longest))


@dataclass(eq=False)
class StatusRecord:
    """One status change of one dossier, owed to the portal."""

    dossier_key: str
    seq: int
    number: int
    status: str
    dossier_code: str
    changed_at: datetime
    agency_code: str
    procedure_code: str
    recorded_at: datetime
    reference: str | None = None
    portal_reference: str | None = None
    note: str | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    next_try_at: datetime | None = None
    last_error: str | None = None
    parked_at: datetime | None = None  # refused by the portal: an operator looks, then resends

    @classmethod
    def of_event(cls, dossier_code: str, data: Mapping[str, Any], now: datetime) -> StatusRecord:
        return cls(
            dossier_key=dossier_key(dossier_code, data.get("reference")),
            seq=int(data["seq"]),
            number=int(data["number"]),
            status=data["status"],
            dossier_code=dossier_code,
            changed_at=data["changed_at"],
            agency_code=data["agency_code"],
            procedure_code=data["procedure_code"],
            reference=data.get("reference"),
            portal_reference=data.get("portal_reference"),
            note=data.get("note") or None,
            recorded_at=now,
        )

    @property
    def status_id(self) -> str:
        return national_portal.status_id(self.dossier_key, self.seq)

    def message(self) -> dict[str, Any]:
        """The record as the portal takes it (shared/national_portal.py, STATUS)."""
        return {
            "status_id": self.status_id,
            "dossier_key": self.dossier_key,
            "seq": self.seq,
            "dossier_code": self.dossier_code,
            "reference": self.reference,
            "portal_reference": self.portal_reference,
            "status": self.number,
            "status_name": national_portal.NUMBERS[self.number],
            "at": self.changed_at.isoformat(),
            "agency_code": self.agency_code,
            "procedure_code": self.procedure_code,
            "note": self.note,
        }

    def sent(self, now: datetime) -> None:
        self.sent_at, self.next_try_at, self.last_error = now, None, None

    def refused(self, reason: str, now: datetime, longest: float, final: bool = False) -> None:
        """The portal said no: try again later, or park it after MAX_REFUSALS (or at once
        when trying again cannot help)."""
        self.attempts += 1
        self.last_error = reason[:500]
        if final or self.attempts >= MAX_REFUSALS:
            self.parked_at = now
        else:
            self.next_try_at = now + backoff(self.attempts, longest)

    def resend(self) -> None:
        """An operator (or reconcile) sends it again."""
        self.sent_at = self.parked_at = self.next_try_at = None
        self.attempts, self.last_error = 0, None


def chains(records: Iterable[StatusRecord], sent_seqs: Mapping[str, int], now: datetime) -> list[list[StatusRecord]]:
    """Of the unsent records (any order), what may go now, per dossier in seq order: its
    lowest unsent seq when the seq before it was sent (`sent_seqs`: the highest sent seq
    per dossier) or it is the dossier's first, then the seqs right after it. A record
    waiting to be tried again, or parked, stops its dossier's chain there."""
    by_key: dict[str, list[StatusRecord]] = {}
    for record in records:
        if record.sent_at is None:
            by_key.setdefault(record.dossier_key, []).append(record)
    found = []
    for key, owed in by_key.items():
        owed.sort(key=lambda r: r.seq)
        expected = sent_seqs.get(key, 0) + 1
        chain = []
        for record in owed:
            if record.seq != expected or record.parked_at is not None:
                break
            if record.next_try_at is not None and record.next_try_at > now:
                break
            chain.append(record)
            expected += 1
        if chain:
            found.append(chain)
    return sorted(found, key=lambda chain: (chain[0].changed_at, chain[0].dossier_key))


class ArrivalState(StrEnum):
    NEW = "new"  # kept; intake not told yet
    SUBMITTED = "submitted"  # intake has it (its reference); files may still be on the way
    DONE = "done"  # intake has it with every file
    REFUSED = "refused"  # intake refused it (the portal is told: status 3)


@dataclass(eq=False)
class Arrival:
    """A dossier the portal took, once per portal number."""

    portal_reference: str
    dossier: dict[str, Any]
    arrived_at: datetime
    via: str  # push | poll
    state: str = ArrivalState.NEW
    reference: str | None = None  # intake's reference once submitted
    files_done: list[str] | None = None  # the portal file ids intake has
    attempts: int = 0
    next_try_at: datetime | None = None
    last_error: str | None = None
    done_at: datetime | None = None

    def due(self, now: datetime) -> bool:
        return self.state in (ArrivalState.NEW, ArrivalState.SUBMITTED) and (
            self.next_try_at is None or self.next_try_at <= now
        )

    def failed(self, reason: str, now: datetime, longest: float) -> None:
        self.attempts += 1
        self.last_error = reason[:500]
        self.next_try_at = now + backoff(self.attempts, longest)

    def submitted(self, reference: str) -> None:
        self.state, self.reference = ArrivalState.SUBMITTED, reference
        self.attempts, self.next_try_at, self.last_error = 0, None, None

    def file_taken(self, file_id: str) -> None:
        self.files_done = [*(self.files_done or []), file_id]

    def files_left(self) -> list[dict[str, Any]]:
        done = set(self.files_done or [])
        return [f for f in self.dossier.get("files") or [] if f["id"] not in done]

    def finished(self, now: datetime) -> None:
        self.state, self.done_at, self.last_error, self.next_try_at = ArrivalState.DONE, now, None, None

    def refused(self, reason: str, now: datetime) -> None:
        self.state, self.done_at, self.last_error = ArrivalState.REFUSED, now, reason[:500]

    def refusal_status(self, now: datetime) -> StatusRecord:
        """What the portal is told of a dossier intake refused: not received (3)."""
        return StatusRecord(
            dossier_key=self.portal_reference,
            seq=1,
            number=3,
            status="refused",
            dossier_code=self.portal_reference,
            changed_at=now,
            agency_code=str(self.dossier.get("agency_code") or ""),
            procedure_code=str(self.dossier.get("procedure_code") or ""),
            portal_reference=self.portal_reference,
            note=(self.last_error or "")[:500],
            recorded_at=now,
        )


def submission(dossier: Mapping[str, Any]) -> dict[str, Any]:
    """A portal dossier as intake's online submission (POST /api/dossiers)."""
    body: dict[str, Any] = {
        "procedure_code": dossier["procedure_code"],
        "channel": "online",
        "portal_reference": dossier["portal_reference"],
        "applicant": dict(dossier["applicant"]),
        "documents": [dict(d) for d in dossier.get("documents") or []],
        "return_method": dossier.get("return_method") or "counter",
        "notify": dict(dossier.get("notify") or {}),
    }
    if dossier.get("delivery_address"):
        body["delivery_address"] = dossier["delivery_address"]
    return body
