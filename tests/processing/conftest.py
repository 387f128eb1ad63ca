"""Fixtures of the processing tests: a migrated PostgreSQL database of this run,
a frozen clock, and dossier_received events as intake sends them."""

import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from shared import clock, events, migrations
from shared.db import Sessions, make_engine

TZ = clock.TZ
# Thursday 26 Nov 2026, 08:00: a working morning; Fri 27 and Mon 30 are working days.
MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=TZ)
ROUTE = [{"department": "QLDT", "days": 2}, {"department": "TUPHAP", "days": 1}, {"department": "LANHDAO", "days": 1}]


@pytest.fixture(scope="session")
def processing_url(database_server):
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=prefix + "processing_rules")
    migrations.upgrade("processing", url)
    return url


@pytest.fixture
def uow(processing_url):
    uow = Sessions(make_engine(processing_url))
    yield uow
    uow.engine.dispose()


@pytest.fixture
def now():
    """The frozen business clock: now.set(moment) moves it."""

    class Now:
        def set(self, moment):
            clock.set_now(moment)
            return moment

    clock.set_now(MORNING)
    yield Now()
    clock.set_now(None)


def new_code():
    return f"000.00.06.H56-261126-{uuid.uuid4().hex[:8]}"


def received(code=None, route=ROUTE, received_at=MORNING, due_at=None, **extra):
    """A loaded dossier_received envelope (the handler's argument)."""
    data = {
        "procedure_code": "1.001776",
        "procedure_version": 1,
        "channel": "counter",
        "received_at": received_at,
        "due_at": due_at or datetime(2026, 12, 2, 8, 0, tzinfo=TZ),
        "route": route,
        "return_method": "counter",
        "contacts": {"phone": "0912345678"},
        "notify": {"sms": True},
        **extra,
    }
    return events.load(events.envelope("dossier_received", code or new_code(), data, source="intake"))


def supplemented(code, received_at):
    return events.load(events.envelope("dossier_supplemented", code, {"received_at": received_at}, source="intake"))


def outbox(uow, code):
    """(event_type, data) of every event processing owes about a dossier, in order."""
    import json

    from shared.reliability import outbox as table

    with uow.transaction() as session:
        rows = (
            session.execute(sa.select(table.c.payload).where(table.c.dossier_code == code).order_by(table.c.id))
            .scalars()
            .all()
        )
    return [(p["event_type"], p["data"]) for p in map(json.loads, rows)]
