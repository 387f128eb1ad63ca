"""The administrators' calendar overrides on PostgreSQL: stored, kept as the
snapshot every service counts on, announced with increasing versions (the
appointment's properties: tests/unit/intake/test_appointments.py)."""

from datetime import date, datetime

from services.intake import application
from services.intake.adapters import queries
from services.intake.adapters.repository import IntakeWork
from shared import calendar_store, clock
from tests.intake.conftest import THURSDAY_MORNING, outbox


def test_overrides_are_stored_announced_with_increasing_versions_and_used(uow):
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    afternoon = datetime(2026, 11, 26, 16, 0, tzinfo=clock.TZ)
    with uow.work(IntakeWork) as work:
        before = application.appointment(work, "2.000635", afternoon)[1]
        _, first = application.set_calendar_override(work, friday, "day_off", "nghỉ bù", "quantri", THURSDAY_MORNING)
    with uow.work(IntakeWork) as work:
        _, second = application.set_calendar_override(
            work, saturday, "working_day", "làm bù", "quantri", THURSDAY_MORNING
        )
    with uow.work(IntakeWork) as work:
        after = application.appointment(work, "2.000635", afternoon)[1]
        listing = queries.calendar_overrides(work.session)
        events = outbox(work.session, "calendar_changed")
        stored = calendar_store.load(work.session)
    assert second == first + 1 and listing["version"] == second
    assert before.date() == friday and after.date() == saturday
    assert [o["kind"] for o in listing["overrides"]] == ["day_off", "working_day"]
    assert stored.days_off == {friday} and stored.working_days == {saturday}
    last = events[-1]
    assert last["dossier_code"] == calendar_store.NOT_A_DOSSIER
    assert last["data"] == {"version": second, "days_off": ["2026-11-27"], "working_days": ["2026-11-28"]}

    with uow.work(IntakeWork) as work:
        third = application.remove_calendar_override(work, friday)
        application.remove_calendar_override(work, saturday)
    with uow.work(IntakeWork) as work:
        assert third == second + 1
        assert application.appointment(work, "2.000635", afternoon)[1] == before
        assert outbox(work.session, "calendar_changed")[-1]["data"]["days_off"] == []
        assert queries.calendar_overrides(work.session)["overrides"] == []
