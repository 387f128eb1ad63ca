"""intake's use cases: load through the unit of work's repositories, call the
model, return. No web, broker or database layer here (the unit tier runs these on
fake repositories); service.py calls them inside `self.db.work(IntakeWork)`, whose
commit writes the events the aggregates recorded to the outbox."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from services.intake.domain import policies
from services.intake.domain.errors import CatalogueConflict, DossierNotFound, InvalidCatalogue
from services.intake.domain.events import Channels
from services.intake.domain.model import (
    DEFAULT_HEAD_TITLE,
    PAYMENT_DAYS,
    Actor,
    Agency,
    Applicant,
    CalendarOverride,
    CalendarOverrides,
    Dossier,
    DossierFile,
    ImportPlan,
    Procedure,
    ProcedureVersion,
    Role,
    no_link,
)
from shared.calendar import WorkingCalendar
from shared.events import EventType, agency_of_code

# --- what the use cases need of a unit of work (IntakeWork, or the unit tier's fake) ---


class Dossiers(Protocol):
    def get(self, code: str, for_update: bool = False) -> Dossier: ...
    def add(self, dossier: Dossier) -> Dossier: ...
    def from_portal(self, portal_reference: str) -> Dossier | None: ...
    def code_of_pickup(self, pickup_id: str) -> str | None: ...
    def awaiting_payment(self) -> list[str]: ...


class Codes(Protocol):
    def next_code(self, agency_code: str, moment: datetime) -> str: ...


class Procedures(Protocol):
    def get(self, code: str) -> Procedure: ...
    def version(self, version_id: int | None) -> ProcedureVersion: ...
    def listed_on(self, day: date) -> list[ProcedureVersion]: ...
    def count(self) -> int: ...
    def lock_catalogue(self) -> None: ...
    def save(self, procedure: Procedure) -> None: ...


class Calendar(Protocol):
    def working(self) -> WorkingCalendar: ...
    def overrides(self) -> CalendarOverrides: ...
    def save(self, overrides: CalendarOverrides) -> None: ...


class Agencies(Protocol):
    def get(self, code: str) -> Agency | None: ...
    def configured(self, code: str) -> Agency: ...
    def add(self, agency: Agency) -> Agency: ...
    def all(self) -> list[Agency]: ...


class Work(Protocol):
    dossiers: Dossiers
    codes: Codes
    procedures: Procedures
    calendar: Calendar
    agencies: Agencies

    def observe(self, event_type: str, dossier_code: str, data: Mapping[str, Any], at: datetime) -> None:
        """A lifecycle event into the statistics' log, in this unit of work."""


# --- reception -------------------------------------------------------------------------


def submit(
    work: Work, data: Mapping[str, Any], actor: Actor, now: datetime, pay_days: int = PAYMENT_DAYS
) -> tuple[Dossier, ProcedureVersion]:
    """A dossier handed in over HTTP: a counter officer's submission is received at
    once; the portal's (online) and a postal one typed in at the counter wait as
    `submitted` for the counter's check."""
    actor.require_channel(data["channel"])
    agency = actor.agency if actor.role == Role.COUNTER else None
    return register(work, data, actor.sub, now, agency=agency, pay_days=pay_days)


def submit_from_portal(
    work: Work, data: Mapping[str, Any], actor: Actor, now: datetime, pay_days: int = PAYMENT_DAYS
) -> tuple[Dossier, ProcedureVersion, bool]:
    """A dossier with the national portal's number: the one already registered under
    that number if it came before (False), else a new one (True). The portal pushes
    and is polled, so the same dossier may come more than once."""
    earlier = work.dossiers.from_portal(data["portal_reference"])
    if earlier is not None:
        return earlier, work.procedures.version(earlier.procedure_id), False
    dossier, procedure = submit(work, data, actor, now, pay_days)
    return dossier, procedure, True


def register(
    work: Work,
    data: Mapping[str, Any],
    actor: str,
    now: datetime,
    agency: str | None = None,
    handed_over_at: datetime | None = None,
    pickup_id: str | None = None,
    note: str | None = None,
    pay_days: int = PAYMENT_DAYS,
) -> tuple[Dossier, ProcedureVersion]:
    """Put a dossier in the register under the procedure version in effect (on the
    hand-over day for a postal collection), with the next code of its agency."""
    procedure = work.procedures.get(data["procedure_code"]).in_effect((handed_over_at or now).date())
    procedure.allow_return(data["return_method"])
    agency = agency or procedure.agency_code
    procedure.allow_channel(data["channel"])
    if data["channel"] == "counter":  # received at once: its code now
        code, reference = work.codes.next_code(agency, now), None
    else:  # the code comes with reception [Circular 01/2018/TT-VPCP Art. 19]
        code = reference = policies.submission_reference(now, new_reference_token())
    applicant = data["applicant"]
    dossier = Dossier.register(
        code=code,
        agency_code=agency,
        procedure=procedure,
        channel=data["channel"],
        applicant=Applicant.of(applicant),
        documents=data["documents"],
        return_method=data["return_method"],
        delivery_address=data.get("delivery_address"),
        notify=Channels(sms=data["notify"].get("sms", False), email=data["notify"].get("email", False)),
        actor=actor,
        now=now,
        correlation_id=str(uuid.uuid4()),
        calendar=work.calendar.working(),
        handed_over_at=handed_over_at,
        pickup_id=pickup_id,
        note=note,
        sets=data.get("sets", 1),
        agency=work.agencies.configured(agency),
        reference=reference,
        fee_exemption=data.get("fee_exemption"),
        pay_days=pay_days,
        portal_reference=data.get("portal_reference"),
    )
    work.dossiers.add(dossier)
    return dossier, procedure


def register_pickup(
    work: Work,
    submission: Mapping[str, Any],
    pickup_id: str,
    handed_over_at: datetime,
    waybill: str | None,
    now: datetime,
    pay_days: int = PAYMENT_DAYS,
) -> Dossier | None:
    """A dossier collected by post and handed over at the counter: registered as
    `submitted` (channel postal), once per pickup, received as of the hand-over
    [Decision 45/2016/QĐ-TTg]. None when this pickup is already registered."""
    if work.dossiers.code_of_pickup(pickup_id):
        return None
    dossier, _ = register(
        work,
        {**submission, "channel": "postal"},
        "postal",
        now,
        handed_over_at=handed_over_at,
        pickup_id=pickup_id,
        note=f"bưu chính bàn giao {handed_over_at:%H:%M %d/%m/%Y}, vận đơn {waybill or '-'}",
        pay_days=pay_days,
    )
    return dossier


def guidance(
    work: Work, procedure_code: str, documents: Sequence[Mapping[str, Any]], marked: Sequence[str], today: date
) -> tuple[ProcedureVersion, list[str]]:
    """Form 02 for a dossier checked before it is submitted: the procedure and
    everything missing, at once; nothing is written."""
    procedure = work.procedures.get(procedure_code).in_effect(today)
    return procedure, policies.missing_documents(procedure.documents, documents, marked)


def new_reference_token() -> str:
    """The random part of a submission reference (policies.submission_reference)."""
    return "".join(secrets.choice(policies.REFERENCE_LETTERS) for _ in range(policies.REFERENCE_TOKEN_LENGTH))


def _counter_dossier(work: Work, code: str, actor: Actor) -> Dossier:
    """The dossier (by its code or reference) locked for a counter action of its own
    agency; another agency's code is refused before any lookup (the same answer
    whether it exists or not)."""
    actor.require_agency(agency_of_code(code))
    dossier = work.dossiers.get(code, for_update=True)
    actor.require_agency(dossier.agency_code)
    return dossier


def _applicants_dossier(work: Work, code: str, actor: Actor) -> Dossier:
    """The dossier of a supplement or withdrawal: the counter's (its agency's), or
    the portal's own online dossier [Decree 61/2018/NĐ-CP Art. 17]; any other dossier
    answers the 404 of one that does not exist (shared.scope)."""
    if actor.role != Role.PORTAL:
        return _counter_dossier(work, code, actor)
    dossier = work.dossiers.get(code, for_update=True)
    if not dossier.submitted_by_portal(actor.sub):
        raise DossierNotFound(f"Không tìm thấy hồ sơ {code}")
    return dossier


def accept(
    work: Work,
    code: str,
    missing: Sequence[str],
    note: str,
    actor: Actor,
    now: datetime,
    link: Callable[[str], str] = no_link,
    pay_days: int = PAYMENT_DAYS,
) -> Dossier:
    dossier = _counter_dossier(work, code, actor)
    procedure = work.procedures.version(dossier.procedure_id)
    dossier.accept(
        procedure,
        work.calendar.working(),
        actor.sub,
        now,
        missing=missing,
        note=note,
        next_code=lambda received_at: work.codes.next_code(dossier.agency_code, received_at),
        agency=work.agencies.configured(dossier.agency_code),
        link=link,
        pay_days=pay_days,
    )
    return dossier


def keep_guidance(work: Work, code: str, marked: Sequence[str], note: str, actor: Actor, now: datetime) -> Dossier:
    """The counter's guidance at its check (what accept refused as incomplete) is kept
    for Form 02, in its own unit of work: the refusal itself changes nothing else."""
    dossier = _counter_dossier(work, code, actor)
    dossier.keep_guidance(work.procedures.version(dossier.procedure_id), marked, note, actor.sub, now)
    return dossier


def refuse(work: Work, code: str, reason: str, actor: Actor, now: datetime) -> Dossier:
    dossier = _counter_dossier(work, code, actor)
    dossier.refuse(reason, actor.sub, now)
    return dossier


def supplement(
    work: Work,
    code: str,
    documents: Sequence[Mapping[str, Any]],
    actor: Actor,
    now: datetime,
    link: Callable[[str], str] = no_link,
) -> Dossier:
    dossier = _applicants_dossier(work, code, actor)
    dossier.supplement(documents, actor.sub, now, link=link)
    return dossier


# --- files ------------------------------------------------------------------


def check_attachable(work: Work, code: str, actor: Actor) -> list[str]:
    """What an upload checks before its body is read (nothing is stored for a refusal):
    the counter of the dossier's agency (403 for another's) or the portal that submitted
    it (404 for anyone else's), while the dossier can take papers from it (409) and
    has room left (413). Answers the documents a file may be declared as."""
    dossier = _applicants_dossier(work, code, actor)
    dossier.require_taking_papers(actor.role)
    dossier.require_room(0)
    return dossier.named_documents(work.procedures.version(dossier.procedure_id))


def check_document(named: Sequence[str], document: str) -> None:
    """The declared document, refused (422) before the file is read when it names none
    of `named` (check_attachable's answer)."""
    Dossier.require_document(named, document)


def attach_file(
    work: Work,
    code: str,
    actor: Actor,
    *,
    document: str,
    name: str | None,
    sha256: str,
    size: int,
    media_type: str,
    now: datetime,
    file_id: str | None = None,
    link: Callable[[str], str] = no_link,
) -> DossierFile:
    """A file already in the store (by its SHA-256) becomes a file of the dossier, under
    the same checks as check_attachable and the dossier's rules (model.Dossier.attach).
    Refused, the stored content is simply unreferenced: the sweep removes it."""
    dossier = _applicants_dossier(work, code, actor)
    procedure = work.procedures.version(dossier.procedure_id)
    file = DossierFile(
        id=file_id or str(uuid.uuid4()),
        dossier_code=dossier.code,
        document=document,
        name=policies.clean_file_name(name),
        media_type=media_type,
        size=size,
        sha256=sha256,
        uploaded_at=now,
        uploaded_by=actor.sub,
    )
    return dossier.attach(file, procedure, actor.role, link=link)


def withdraw(work: Work, code: str, reason: str, actor: Actor, now: datetime) -> Dossier:
    dossier = _applicants_dossier(work, code, actor)
    dossier.withdraw(reason, actor.sub, now)
    return dossier


def hand_back(work: Work, code: str, actor: Actor, now: datetime) -> Dossier:
    dossier = _counter_dossier(work, code, actor)
    dossier.hand_back(actor.sub, now)
    return dossier


def follow(
    work: Work,
    event_type: str,
    dossier_code: str,
    data: Mapping[str, Any],
    at: datetime,
    pay_days: int = PAYMENT_DAYS,
) -> None:
    """The register follows processing's and postal's events. An unknown dossier
    raises, so the event is retried and then parked, not dropped. The statistics'
    log (Biểu 06) takes the event in the same transaction. A result ready asks for
    the fees due before return, if any."""
    dossier = work.dossiers.get(dossier_code, for_update=True)
    dossier.follow(event_type, data, at)
    work.observe(event_type, dossier.code, data, at)
    if event_type == EventType.RESULT_READY:
        dossier.request_return_payment(work.procedures.version(dossier.procedure_id), at, pay_days)


# --- the financial obligation ---------------------------------------------------------


def confirm_payment(
    work: Work,
    dossier_code: str,
    data: Mapping[str, Any],
    now: datetime,
    link: Callable[[str], str] = no_link,
) -> Dossier:
    """payments' payment_confirmed (`data`: stage, paid_at, order_id, method): before
    processing, the dossier is received for processing now, its appointment counted
    from the payment on the working calendar; before return, the result may be handed
    back. A repeated confirmation changes nothing."""
    dossier = work.dossiers.get(dossier_code, for_update=True)
    dossier.confirm_payment(
        data["stage"],
        data,
        work.procedures.version(dossier.procedure_id),
        work.calendar.working(),
        now,
        agency=work.agencies.configured(dossier.agency_code),
        link=link,
    )
    return dossier


def expire_unpaid(work: Work, now: datetime) -> list[str]:
    """The dossiers waiting for the fees due before processing whose pay-by day is
    over end withdrawn ("Quá hạn thực hiện nghĩa vụ tài chính"); their codes."""
    expired = []
    for code in work.dossiers.awaiting_payment():
        if work.dossiers.get(code, for_update=True).expire_unpaid(now):
            expired.append(code)
    return expired


# --- the catalogue -----------------------------------------------------------------------


def import_catalogue(
    work: Work,
    entries: Sequence[Mapping[str, Any]],
    today: date,
    full: bool = True,
    agencies: Sequence[Mapping[str, Any]] = (),
    dry_run: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """Apply a catalogue file's (validated) entries and agencies: all or nothing,
    never deleting history; a full import also lists what is in effect but missing
    from the file. A dry run answers the same (or refuses the same file the same
    way) and changes nothing: the preview of an import."""
    duplicates = policies.duplicates_in_file(entries)
    if duplicates:
        raise InvalidCatalogue("Tệp danh mục có lỗi; không thủ tục nào được nhập", {"procedures": duplicates})
    if not dry_run:
        work.procedures.lock_catalogue()
    by_code: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for i, entry in enumerate(entries):
        by_code.setdefault(entry["code"], []).append((i, entry))
    plan = ImportPlan()
    procedures = []
    for code, indexed in by_code.items():
        procedure = work.procedures.get(code)
        procedures.append(procedure)
        plan.merge(procedure.plan_import(indexed))
    if full:
        for version in work.procedures.listed_on(today):
            if version.code not in by_code:
                plan.answer["missing_from_source"].append(
                    {"code": version.code, "name": version.name, "version": version.version}
                )
    if plan.problems:
        raise CatalogueConflict(
            "Tệp danh mục mâu thuẫn với các phiên bản đã có; không thủ tục nào được nhập", {"procedures": plan.problems}
        )
    if dry_run:
        return {**plan.answer, "agencies": [preview_agency(work, **entry) for entry in agencies]}
    plan.apply()
    for procedure in procedures:
        work.procedures.save(procedure)
    answer = dict(plan.answer)
    answer["agencies"] = [set_agency(work, **entry) for entry in agencies]
    return answer


def seed_catalogue(
    work: Work, entries: Sequence[Mapping[str, Any]], today: date, agencies: Sequence[Mapping[str, Any]] = ()
) -> int:
    """Load a catalogue into an empty register (the local quick start's demo)."""
    if work.procedures.count():
        return 0
    return len(import_catalogue(work, entries, today, agencies=agencies)["added"])


# --- the agencies' configuration ------------------------------------------------------------


def set_agency(
    work: Work,
    code: str,
    name: str,
    address: str | None = None,
    place: str | None = None,
    head_title: str | None = None,
) -> dict[str, Any]:
    """Configure a receiving agency (name, address, place name of the forms' dates,
    the head's title); what is not given keeps its value. Answers {code, name, status}
    with status added, changed or unchanged."""
    agency = work.agencies.get(code)
    if agency is None:
        work.agencies.add(
            Agency(
                code=code,
                name=name,
                address=address or "",
                place=place or "",
                head_title=head_title or DEFAULT_HEAD_TITLE,
            )
        )
        return {"code": code, "name": name, "status": "added"}
    changed = agency.update(name=name, address=address, place=place, head_title=head_title)
    return {"code": code, "name": name, "status": "changed" if changed else "unchanged"}


def preview_agency(
    work: Work,
    code: str,
    name: str,
    address: str | None = None,
    place: str | None = None,
    head_title: str | None = None,
) -> dict[str, Any]:
    """What set_agency would answer ({code, name, status}), changing nothing: the
    update is tried on a detached copy."""
    agency = work.agencies.get(code)
    if agency is None:
        return {"code": code, "name": name, "status": "added"}
    copy = Agency(
        code=agency.code, name=agency.name, address=agency.address, place=agency.place, head_title=agency.head_title
    )
    changed = copy.update(name=name, address=address, place=place, head_title=head_title)
    return {"code": code, "name": name, "status": "changed" if changed else "unchanged"}


def expire_procedure(work: Work, code: str, last_day: date) -> ProcedureVersion:
    return work.procedures.get(code).expire(last_day)


def appointment(work: Work, procedure_code: str, received_at: datetime) -> tuple[ProcedureVersion, datetime]:
    """The appointment a dossier of this procedure received at `received_at` would get."""
    procedure = work.procedures.get(procedure_code).in_effect(received_at.date())
    return procedure, procedure.appointment(work.calendar.working(), received_at)


# --- the calendar ------------------------------------------------------------------------


def set_calendar_override(
    work: Work, day: date, kind: str, note: str, actor: str, now: datetime
) -> tuple[CalendarOverride, int]:
    overrides = work.calendar.overrides()
    override = overrides.set(day, kind, note, actor, now)
    work.calendar.save(overrides)
    return override, overrides.version


def remove_calendar_override(work: Work, day: date) -> int:
    overrides = work.calendar.overrides()
    overrides.remove(day)
    work.calendar.save(overrides)
    return overrides.version
