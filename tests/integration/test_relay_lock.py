"""The relay's one statement: it tries the lock of the service's relays and takes what
waits in the outbox, in order, marked published with its transaction; while another
relay holds the lock it takes nothing."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared import clock, reliability
from shared.db import make_engine
from shared.relay import RELAY_LOCK_KEY as LOCK
from tests.helpers import fresh_database


@pytest.fixture
def engine(database_server):
    server, prefix = database_server
    engine = make_engine(fresh_database(server, prefix + "relay_lock", reliability.metadata))
    yield engine
    engine.dispose()


def owe(engine, n, published=False):
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "dossier_received",
            "dossier_code": f"C{i}",
            "payload": "{}",
            "created_at": clock.now(),
            "published_at": clock.now() if published else None,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(reliability.outbox.insert(), rows)


def test_one_relay_at_a_time_reads_the_waiting_events_in_order(engine):
    owe(engine, 3, published=True)
    owe(engine, 5)
    with Session(engine) as first, Session(engine) as second:
        held, rows = reliability.take_pending(first, 4, LOCK)
        assert held and [r.dossier_code for r in rows] == ["C0", "C1", "C2", "C3"]
        assert rows == sorted(rows, key=lambda r: r.id)
        assert reliability.take_pending(second, 4, LOCK) == (False, [])
        first.commit()  # the lock goes with the transaction, and what it took is marked
        held, rows = reliability.take_pending(second, 10, LOCK)
        assert held and [r.dossier_code for r in rows] == ["C4"]


def test_nothing_waiting_is_held_and_empty(engine):
    owe(engine, 2, published=True)
    with Session(engine) as session:
        assert reliability.take_pending(session, 10, LOCK) == (True, [])


def waiting(engine):
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).where(reliability.outbox.c.published_at.is_(None)))


def test_what_is_taken_stays_waiting_unless_its_transaction_commits(engine):
    """A publish that fails rolls the round back: its events are taken again."""
    owe(engine, 3)
    with Session(engine) as session:
        held, rows = reliability.take_pending(session, 10, LOCK)
        assert held and len(rows) == 3
        session.rollback()
    assert waiting(engine) == 3
    with Session(engine) as session:
        assert len(reliability.take_pending(session, 2, LOCK)[1]) == 2
        session.commit()
    assert waiting(engine) == 1
