"""Administrators' overrides of the working-day calendar, and the appointment it gives.

intake owns the overrides. After each edit it keeps the new snapshot itself
(shared.calendar_store) and announces it with `calendar_changed`, so processing and
postal count deadlines on the same calendar. The snapshot version only increases.
Appointments already given are stored with their dossiers and do not move.
"""
import sqlalchemy as sa

from shared import calendar_store, clock
from shared.calendar import parse_time
from shared.http import ApiError
from shared.reliability import emit
from services.intake.models import CalendarOverride

SOURCE = "intake"


def overrides(session):
    return session.scalars(sa.select(CalendarOverride).order_by(CalendarOverride.day)).all()


def override_view(override):
    return {"day": override.day, "kind": override.kind, "note": override.note, "set_by": override.set_by,
            "set_at": override.set_at}


def listing(session):
    version = session.scalar(sa.select(calendar_store.calendar_snapshot.c.version)) or 0
    return {"version": version, "overrides": [override_view(o) for o in overrides(session)]}


def _announce(session):
    """Store and publish the whole set of overrides under the next version."""
    snapshot = calendar_store.calendar_snapshot
    # Lock the snapshot row (when there is one) so two edits get two versions.
    current = session.execute(sa.select(snapshot.c.version).where(snapshot.c.id == 1).with_for_update()).scalar()
    rows = overrides(session)
    data = {"version": (current or 0) + 1,
            "days_off": [o.day for o in rows if o.kind == "day_off"],
            "working_days": [o.day for o in rows if o.kind == "working_day"]}
    calendar_store.store(session, data)
    emit(session, SOURCE, "calendar_changed", calendar_store.NOT_A_DOSSIER, data)
    return data["version"]


def set_override(session, day, kind, note, actor):
    override = session.get(CalendarOverride, day, with_for_update=True)
    if override is None:
        override = CalendarOverride(day=day)
        session.add(override)
    override.kind, override.note, override.set_by, override.set_at = kind, note, actor, clock.now()
    session.flush()
    version = _announce(session)
    return override, version


def remove_override(session, day):
    override = session.get(CalendarOverride, day, with_for_update=True)
    if override is None:
        raise ApiError(404, "not_found", f"Không có điều chỉnh lịch nào cho ngày {day:%d/%m/%Y}")
    session.delete(override)
    session.flush()
    return _announce(session)


def appointment(calendar, procedure, received_at):
    """The appointment (ngày hẹn trả) of a dossier of `procedure` received at `received_at`."""
    return calendar.due_at(received_at, procedure.duration_days, parse_time(procedure.cutoff))
