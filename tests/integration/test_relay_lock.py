"""The relay's one statement: it tries the lock of the service's relays and reads what
waits in the outbox, in order; while another relay holds the lock it reads nothing."""

import uuid

import pytest
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
        held, rows = reliability.pending_under_lock(first, 4, LOCK)
        assert held and [r.dossier_code for r in rows] == ["C0", "C1", "C2", "C3"]
        assert rows == sorted(rows, key=lambda r: r.id)
        assert reliability.pending_under_lock(second, 4, LOCK) == (False, [])
        first.commit()  # the lock goes with the transaction
        held, rows = reliability.pending_under_lock(second, 10, LOCK)
        assert held and len(rows) == 5


def test_nothing_waiting_is_held_and_empty(engine):
    owe(engine, 2, published=True)
    with Session(engine) as session:
        assert reliability.pending_under_lock(session, 10, LOCK) == (True, [])
