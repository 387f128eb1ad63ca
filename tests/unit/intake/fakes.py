"""intake's unit of work on in-memory repositories: the register, the codes, the
catalogue and the calendar overrides, as dicts and lists."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date, datetime
from typing import Any

from services.intake import application
from services.intake.domain import policies
from services.intake.domain.errors import DossierNotFound
from services.intake.domain.model import (
    Agency,
    CalendarOverride,
    CalendarOverrides,
    Dossier,
    Procedure,
    ProcedureVersion,
)
from services.intake.schemas import DEMO_CATALOGUE, catalogue_entries
from shared.calendar import WorkingCalendar
from shared.domain import DomainEvent
from shared.events import EventType
from tests.unit.fakes import FakeWork


class FakeDossiers:
    def __init__(self, work: FakeWork) -> None:
        self.work = work
        self.items: dict[str, Dossier] = {}
        self.locked: list[str] = []

    def get(self, code: str, for_update: bool = False) -> Dossier:
        """By code or submission reference, as the repository finds it."""
        found = next((d for d in self.items.values() if code in (d.code, d.reference)), None)
        if found is None:
            raise DossierNotFound(f"Không tìm thấy hồ sơ {code}")
        if for_update:
            self.locked.append(code)
        return self.work.track(found)

    def add(self, dossier: Dossier) -> Dossier:
        self.items[dossier.code] = dossier
        return self.work.track(dossier)

    def from_portal(self, portal_reference: str) -> Dossier | None:
        found = next((d for d in self.items.values() if d.portal_reference == portal_reference), None)
        return self.work.track(found) if found is not None else None

    def code_of_pickup(self, pickup_id: str) -> str | None:
        return next((d.code for d in self.items.values() if d.pickup_id == pickup_id), None)


class FakeCodes:
    def __init__(self) -> None:
        self.last: Counter[tuple[str, str]] = Counter()

    def next_code(self, agency_code: str, moment: datetime) -> str:
        day = policies.code_day(moment)
        self.last[agency_code, day] += 1
        return policies.dossier_code(agency_code, day, self.last[agency_code, day])


class FakeProcedures:
    def __init__(self, work: FakeWork) -> None:
        self.work = work
        self.versions: list[ProcedureVersion] = []
        self.locks = 0

    def get(self, code: str) -> Procedure:
        return self.work.track(Procedure(code, [v for v in self.versions if v.code == code]))

    def version(self, version_id: int | None) -> ProcedureVersion:
        return next(v for v in self.versions if v.id == version_id)

    def listed_on(self, day: date) -> list[ProcedureVersion]:
        return sorted((v for v in self.versions if v.effective_on(day)), key=lambda v: v.code)

    def count(self) -> int:
        return len(self.versions)

    def lock_catalogue(self) -> None:
        self.locks += 1

    def save(self, procedure: Procedure) -> None:
        for version in procedure.added:
            version.id = len(self.versions) + 1
            self.versions.append(version)
        procedure.added.clear()


class FakeCalendar:
    def __init__(self, work: FakeWork) -> None:
        self.work = work
        self.stored: list[CalendarOverride] = []
        self.version = 0

    def working(self) -> WorkingCalendar:
        return CalendarOverrides(self.stored, self.version).calendar()

    def overrides(self) -> CalendarOverrides:
        return self.work.track(CalendarOverrides(copy.deepcopy(self.stored), self.version))

    def save(self, overrides: CalendarOverrides) -> None:
        self.stored = sorted(overrides.by_day.values(), key=lambda o: o.day)
        self.version = overrides.version
        overrides.added.clear()
        overrides.removed.clear()


class FakeAgencies:
    def __init__(self) -> None:
        self.items: dict[str, Agency] = {}

    def get(self, code: str) -> Agency | None:
        return self.items.get(code)

    def configured(self, code: str) -> Agency:
        return self.items.get(code) or Agency.unconfigured(code)

    def add(self, agency: Agency) -> Agency:
        self.items[agency.code] = agency
        return agency

    def all(self) -> list[Agency]:
        return [self.items[code] for code in sorted(self.items)]


class FakeIntakeWork(FakeWork):
    source = "intake"

    def __init__(self) -> None:
        super().__init__()
        self.dossiers = FakeDossiers(self)
        self.codes = FakeCodes()
        self.procedures = FakeProcedures(self)
        self.calendar = FakeCalendar(self)
        self.agencies = FakeAgencies()
        self.observed: list[tuple[str, str]] = []
        # dossier_status_changed, every one committed: tests of the lifecycle read the
        # other events from commit(), tests of the portal's statuses read these
        self.status_changes: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        if event.event_type == EventType.DOSSIER_STATUS_CHANGED:
            self.status_changes.append(event)
        else:
            super().publish(event)

    def commit(self) -> list[DomainEvent]:
        return [e for e in super().commit() if e.event_type != EventType.DOSSIER_STATUS_CHANGED]

    def observe(self, event_type: str, dossier_code: str, data: Any, at: datetime) -> None:
        self.observed.append((event_type, dossier_code))


def demo_entries() -> list[dict]:
    return catalogue_entries(json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8")))


def work_with_demo_catalogue(today: date) -> FakeIntakeWork:
    work = FakeIntakeWork()
    application.import_catalogue(work, demo_entries(), today)
    work.commit()
    work.published.clear()
    return work
