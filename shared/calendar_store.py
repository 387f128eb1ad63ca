"""The administrators' calendar overrides, as every service keeps them.

intake owns the overrides (extra days off, make-up working days) and announces the
whole set with `calendar_changed` after each edit; every service that computes
deadlines stores the newest snapshot in its own database and builds its
WorkingCalendar from it.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared import clock
from shared.calendar import WorkingCalendar
from shared.db import Moment
from shared.reliability import metadata

NOT_A_DOSSIER = "-"  # dossier_code of events about no single dossier

calendar_snapshot = sa.Table(
    "calendar_snapshot",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # always 1: one snapshot per database
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("days_off", sa.JSON, nullable=False),
    sa.Column("working_days", sa.JSON, nullable=False),
    sa.Column("updated_at", Moment(), nullable=False),
)


def store(session: Session, snapshot: dict[str, Any]) -> bool:
    """Keep a snapshot ({version, days_off, working_days}, dates) unless a newer one is held."""
    current = session.execute(
        sa.select(calendar_snapshot.c.version).where(calendar_snapshot.c.id == 1).with_for_update()
    ).scalar()
    values = {
        "version": snapshot["version"],
        "updated_at": clock.now(),
        "days_off": sorted(d.isoformat() for d in snapshot["days_off"]),
        "working_days": sorted(d.isoformat() for d in snapshot["working_days"]),
    }
    if current is None:
        session.execute(calendar_snapshot.insert().values(id=1, **values))
    elif snapshot["version"] > current:
        session.execute(calendar_snapshot.update().where(calendar_snapshot.c.id == 1).values(**values))
    else:
        return False
    return True


# (database, version, stored at) -> its WorkingCalendar: a snapshot never changes under
# its version, so the newest one is built once per process, not on every use
_built: dict[tuple[str, int, Any], WorkingCalendar] = {}


def load(session: Session) -> WorkingCalendar:
    """The WorkingCalendar with the newest overrides this service knows."""
    c = calendar_snapshot.c
    held = session.execute(sa.select(c.version, c.updated_at).where(c.id == 1)).first()
    if held is None:
        return WorkingCalendar()
    key = (str(session.get_bind().engine.url), held.version, held.updated_at)
    calendar = _built.get(key)
    if calendar is None:
        row = session.execute(sa.select(c.days_off, c.working_days).where(c.id == 1)).one()
        calendar = WorkingCalendar(
            days_off=[date.fromisoformat(d) for d in row.days_off],
            working_days=[date.fromisoformat(d) for d in row.working_days],
        )
        _built.clear()  # only the newest is worth keeping
        _built[key] = calendar
    return calendar
