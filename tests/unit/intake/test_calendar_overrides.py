"""The administrators' calendar overrides that intake owns and announces, and the
appointments counted on them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.intake import application
from services.intake.domain.errors import NoOverride
from services.intake.domain.events import CalendarChanged
from shared import clock
from shared.errors import http_error
from tests.unit.intake.fakes import work_with_demo_catalogue

THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
THURSDAY_AFTERNOON = datetime(2026, 11, 26, 16, 0, tzinfo=clock.TZ)
FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)


def test_overrides_are_announced_with_increasing_versions_and_used() -> None:
    work = work_with_demo_catalogue(THURSDAY_MORNING.date())
    _, before = application.appointment(work, "2.000635", THURSDAY_AFTERNOON)
    override, first = application.set_calendar_override(work, FRIDAY, "day_off", "nghỉ bù", "quantri", THURSDAY_MORNING)
    assert (override.day, override.kind, override.set_by, override.set_at) == (
        FRIDAY,
        "day_off",
        "quantri",
        THURSDAY_MORNING,
    )
    _, second = application.set_calendar_override(work, SATURDAY, "working_day", "làm bù", "quantri", THURSDAY_MORNING)
    events = work.commit()
    _, after = application.appointment(work, "2.000635", THURSDAY_AFTERNOON)
    assert (first, second) == (1, 2)
    assert before.date() == FRIDAY and after.date() == SATURDAY
    assert all(isinstance(e, CalendarChanged) and e.dossier_code == "-" for e in events)
    assert events[-1].data() == {"version": 2, "days_off": [FRIDAY], "working_days": [SATURDAY]}

    third = application.remove_calendar_override(work, FRIDAY)
    application.remove_calendar_override(work, SATURDAY)
    last = work.commit()[-1]
    assert third == 3 and last.data() == {"version": 4, "days_off": [], "working_days": []}
    assert application.appointment(work, "2.000635", THURSDAY_AFTERNOON)[1] == before


def test_an_override_of_the_same_day_replaces_it() -> None:
    work = work_with_demo_catalogue(THURSDAY_MORNING.date())
    application.set_calendar_override(work, SATURDAY, "day_off", "", "quantri", THURSDAY_MORNING)
    override, version = application.set_calendar_override(
        work, SATURDAY, "working_day", "làm bù", "admin2", THURSDAY_MORNING
    )
    assert version == 2 and (override.kind, override.set_by) == ("working_day", "admin2")
    assert [e.data()["working_days"] for e in work.commit()] == [[], [SATURDAY]]
    assert len(work.calendar.stored) == 1


def test_removing_a_day_without_override_is_not_found_and_announces_nothing() -> None:
    work = work_with_demo_catalogue(THURSDAY_MORNING.date())
    with pytest.raises(NoOverride) as missing:
        application.remove_calendar_override(work, FRIDAY)
    assert http_error(missing.value)[:2] == (404, "not_found")
    assert work.commit() == [] and work.calendar.version == 0
