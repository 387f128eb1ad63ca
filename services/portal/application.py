"""The connector's use cases, framework-free: they read and change the ledger through
the unit of work and talk to the portal and to intake through the adapters given to
them. No call to another system ever sits inside a transaction: read what is owed,
close the transaction, call, then record the outcome in a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from services.portal.domain import catalogue
from services.portal.domain.errors import (
    CatalogueUnavailable,
    IntakeRefused,
    IntakeUnavailable,
    PortalRefused,
    PortalUnavailable,
)
from services.portal.domain.model import Arrival, ArrivalState, StatusRecord, chains, submission
from shared import clock, logs

log = logging.getLogger(__name__)

# How many owed records one round reads (a few per dossier: the rest waits its turn).
ROUND_LIMIT = 2000


class Portal(Protocol):
    def send_status(self, message: dict[str, Any]) -> str: ...

    def statuses(self, dossier_key: str) -> list[dict[str, Any]]: ...

    def dossiers(self, after: str | None, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]: ...

    def file(self, file_id: str) -> tuple[bytes, str]: ...

    def catalogue(self) -> list[dict[str, Any]]: ...


class Intake(Protocol):
    def submit(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def attach(self, reference: str, document: str | None, name: str, content: bytes, media_type: str) -> None: ...

    def procedures(self) -> list[dict[str, Any]]: ...

    def import_catalogue(self, procedures: list[dict[str, Any]], dry_run: bool) -> dict[str, Any]: ...


class Work(Protocol):
    ledger: Any


Works = Callable[[], AbstractContextManager[Work]]
# runs one function over many items, maybe at once (the service: a pool of green threads)
Run = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]


# --- statuses out -------------------------------------------------------------------


def record_status(work: Work, dossier_code: str, data: Mapping[str, Any], now: datetime) -> bool:
    """intake's dossier_status_changed: owed to the portal, once per dossier and seq."""
    return bool(work.ledger.keep_status(StatusRecord.of_event(dossier_code, data, now)))


@dataclass
class Round:
    """What one round of sending did."""

    sent: int = 0
    duplicates: int = 0
    refused: int = 0
    unavailable: str | None = None  # why the portal could not be reached, if it could not


def send_owed(works: Works, portal: Portal, now: Callable[[], datetime], longest: float, run: Run = map) -> Round:
    """Send what may go now: per dossier in seq order, each record once the one before
    it was taken; dossiers side by side (`run`). A dossier's chain stops at the first
    failure; the portal out of reach stops every chain (the caller waits, then tries)."""
    with works() as work:
        owed = work.ledger.unsent(ROUND_LIMIT)
        sent_seqs = work.ledger.last_sent(sorted({r.dossier_key for r in owed}))
        ready = [[(r.dossier_key, r.seq, r.message()) for r in chain] for chain in chains(owed, sent_seqs, now())]
    outcome = Round()

    def send_chain(chain: list[tuple[str, int, dict[str, Any]]]) -> None:
        for key, seq, message in chain:
            if outcome.unavailable:
                return
            try:
                result = portal.send_status(message)
            except PortalUnavailable as exc:
                outcome.unavailable = str(exc)
                return
            except PortalRefused as exc:
                with works() as work, logs.about(message["dossier_code"]):
                    work.ledger.status(key, seq, for_update=True).refused(str(exc), now(), longest, exc.status == 409)
                    log.warning("portal refused status %s (%s): %s", message["status_id"], message["status"], exc)
                outcome.refused += 1
                return
            with works() as work:
                work.ledger.status(key, seq, for_update=True).sent(now())
            outcome.sent += 1
            outcome.duplicates += result == "duplicate"

    for _ in run(send_chain, ready):
        pass
    return outcome


@dataclass
class Reconciliation:
    dossiers: int = 0
    resent: list[str] = field(default_factory=list)  # status ids the portal lacked: sent again
    unknown: list[str] = field(default_factory=list)  # status ids the portal holds and the ledger does not
    owed: list[str] = field(default_factory=list)  # not sent yet (waiting or parked)


def reconcile(works: Works, portal: Portal, since: datetime | None) -> Reconciliation:
    """Compare what the portal holds with the ledger (every status change intake
    announced), dossier by dossier; what the portal lacks is sent again, in order."""
    with works() as work:
        keys = work.ledger.keys_since(since)
    found = Reconciliation(dossiers=len(keys))
    for key in keys:
        held = {s.get("status_id") for s in portal.statuses(key)}
        with works() as work:
            records = work.ledger.statuses_of(key)
            for record in records:
                if record.sent_at is None:
                    found.owed.append(record.status_id)
                elif record.status_id not in held:
                    record.resend()
                    found.resent.append(record.status_id)
            ours = {r.status_id for r in records}
        found.unknown += sorted(str(i) for i in held - ours)
    return found


def resend(work: Work, dossier_key: str, seq: int) -> StatusRecord | None:
    """An operator sends a parked record again (the dossier's later ones follow it)."""
    record = work.ledger.status(dossier_key, seq, for_update=True)
    if record is not None:
        record.resend()
    return record


# --- dossiers in --------------------------------------------------------------------


REQUIRED = ("portal_reference", "procedure_code", "applicant")


def dossier_problems(dossier: Any) -> dict[str, list[str]]:
    """What makes a pushed document unusable as a portal dossier (intake checks the rest)."""
    if not isinstance(dossier, dict):
        return {"_": ["Cần một đối tượng JSON hồ sơ"]}
    problems = {name: ["Bắt buộc"] for name in REQUIRED if not dossier.get(name)}
    if dossier.get("portal_reference") and not isinstance(dossier["portal_reference"], str):
        problems["portal_reference"] = ["Phải là chuỗi"]
    if not isinstance(dossier.get("applicant", {}), dict):
        problems["applicant"] = ["Phải là đối tượng"]
    files = dossier.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
        problems["files"] = ["Danh sách tệp, mỗi tệp có id"]
    return problems


def take_arrival(work: Work, dossier: dict[str, Any], via: str, now: datetime) -> bool:
    """A dossier the portal took, kept once per portal number. True when new."""
    arrival = Arrival(portal_reference=dossier["portal_reference"], dossier=dossier, arrived_at=now, via=via)
    new = bool(work.ledger.keep_arrival(arrival))
    with logs.about(dossier["portal_reference"]):
        log.info("portal dossier %s (%s)", "arrived" if new else "already here", via)
    return new


def poll(works: Works, portal: Portal, now: Callable[[], datetime]) -> int:
    """Read the portal's dossiers since the last poll: what a push missed. The new ones."""
    new = 0
    with works() as work:
        after = work.ledger.poll_cursor()
    while True:
        dossiers, cursor = portal.dossiers(after)
        with works() as work:
            for dossier in dossiers:
                if not dossier_problems(dossier):
                    new += take_arrival(work, dossier, "poll", now())
            if cursor and cursor != after:
                work.ledger.move_poll_cursor(cursor, now())
        if not dossiers or not cursor or cursor == after:
            return new
        after = cursor


def deliver_arrivals(works: Works, portal: Portal, intake: Intake, now: Callable[[], datetime], longest: float) -> int:
    """Hand the arrived dossiers to intake, their files after them; how many finished."""
    with works() as work:
        due = work.ledger.arrivals_due(now())
    finished = 0
    for portal_reference in due:
        with logs.about(portal_reference):
            finished += _deliver(works, portal, intake, portal_reference, now, longest)
    return finished


def _deliver(
    works: Works, portal: Portal, intake: Intake, portal_reference: str, now: Callable[[], datetime], longest: float
) -> bool:
    with works() as work:
        arrival = work.ledger.arrival(portal_reference)
        state, dossier, reference = arrival.state, arrival.dossier, arrival.reference
        left = arrival.files_left()

    def failed(reason: str) -> bool:
        with works() as work:
            work.ledger.arrival(portal_reference, for_update=True).failed(reason, now(), longest)
        log.warning("portal dossier not handed to intake yet: %s", reason)
        return False

    if state == ArrivalState.NEW:
        try:
            answer = intake.submit(submission(dossier))
        except IntakeUnavailable as exc:
            return failed(f"intake: {exc}")
        except IntakeRefused as exc:
            with works() as work:
                arrival = work.ledger.arrival(portal_reference, for_update=True)
                arrival.refused(exc.body, now())
                work.ledger.keep_status(arrival.refusal_status(now()))
            log.warning("intake refused the portal dossier: %s", exc)
            return True
        reference = answer.get("reference") or answer.get("code")
        with works() as work:
            work.ledger.arrival(portal_reference, for_update=True).submitted(reference)
        log.info("portal dossier submitted to intake as %s", reference)
    for item in left:
        try:
            content, media_type = portal.file(item["id"])
        except (PortalUnavailable, PortalRefused) as exc:
            return failed(f"portal file {item['id']}: {exc}")
        try:
            intake.attach(reference, item.get("document"), item.get("name") or item["id"], content, media_type)
        except IntakeUnavailable as exc:
            return failed(f"intake file {item['id']}: {exc}")
        except IntakeRefused as exc:  # kept as a note: the counter asks for the paper itself
            log.warning("intake refused file %s of the portal dossier: %s", item["id"], exc)
        with works() as work:
            work.ledger.arrival(portal_reference, for_update=True).file_taken(item["id"])
    with works() as work:
        work.ledger.arrival(portal_reference, for_update=True).finished(now())
    return True


# --- the catalogue ------------------------------------------------------------------


def compare_catalogues(portal: Portal, intake: Intake, today: date) -> catalogue.Comparison:
    """The national catalogue beside the local one (the staleness report)."""
    try:
        national = portal.catalogue()
    except (PortalUnavailable, PortalRefused) as exc:
        raise CatalogueUnavailable(f"Không đọc được danh mục trên Cổng Dịch vụ công quốc gia ({exc})") from exc
    try:
        local = intake.procedures()
    except (IntakeUnavailable, IntakeRefused) as exc:
        raise CatalogueUnavailable(f"Không đọc được danh mục thủ tục của hệ thống ({exc})") from exc
    return catalogue.compare(national, local, today)


def pull_catalogue(
    works: Works, portal: Portal, intake: Intake, now: datetime, by: str, dry_run: bool = False
) -> dict[str, Any]:
    """Bring the local catalogue in step with the national one: every entry that can
    be mapped in one import (intake applies it all or nothing), what cannot be mapped
    reported, never guessed. The report is kept (and answered)."""
    report: dict[str, Any] = {"pulled_at": now.isoformat(), "dry_run": dry_run}
    try:
        comparison = compare_catalogues(portal, intake, clock.local(now).date())
    except CatalogueUnavailable as exc:
        report.update(outcome="unreachable", error=exc.message)
    else:
        report.update(
            unmapped=comparison.unmapped,
            differences=comparison.differences,
            expiring=list(comparison.expiring),
            entries=len(comparison.entries),
        )
        if not comparison.entries:
            report["outcome"] = "nothing_to_do"
        else:
            try:
                report["applied"] = intake.import_catalogue(list(comparison.entries), dry_run)
                report["outcome"] = "applied"
            except IntakeRefused as exc:
                report.update(outcome="refused", error=exc.body)
            except IntakeUnavailable as exc:
                report.update(outcome="unreachable", error=str(exc))
    with works() as work:
        work.ledger.keep_pull(now, by, dry_run, report["outcome"], report)
    log.info(
        "catalogue pull%s: %s (%s entries, %s unmapped)",
        " (dry run)" if dry_run else "",
        report["outcome"],
        report.get("entries", 0),
        len(report.get("unmapped", [])),
    )
    return report
