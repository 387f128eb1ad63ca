"""The inbox of a batch: one statement records the events a consumer handles and
names those it had not seen; whatever the batch's size, few statement shapes are
built (each one kept costs memory for the life of the process)."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared import db, reliability
from shared.db import make_engine
from tests.helpers import fresh_database


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, database_server, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inbox.db'}"
        engine = make_engine(url)
        reliability.metadata.create_all(engine)
    else:
        server, prefix = database_server
        engine = make_engine(fresh_database(server, prefix + "inbox", reliability.metadata))
    yield engine
    engine.dispose()


def events(n):
    return [{"event_id": str(uuid.uuid4()), "event_type": "dossier_received", "dossier_code": "C"} for _ in range(n)]


def test_a_batch_names_exactly_the_events_not_seen_before(engine):
    seen, new = events(5), events(6)
    with Session(engine) as session, session.begin():
        assert reliability.first_times(session, "c", seen) == {e["event_id"] for e in seen}
    with Session(engine) as session, session.begin():
        again = seen[:2] + new[:3] + [new[0]] + new[3:]  # 12 deliveries: two seen, one new twice
        assert reliability.first_times(session, "c", again) == {e["event_id"] for e in new}
    with Session(engine) as session, session.begin():
        assert reliability.first_times(session, "another consumer", seen[:1]) == {seen[0]["event_id"]}
        assert session.scalar(sa.select(sa.func.count()).select_from(reliability.inbox)) == 12


def test_batches_of_every_size_up_to_64_share_seven_statement_shapes(engine):
    db._insert_or_skip.cache_clear()
    with Session(engine) as session, session.begin():
        for size in range(1, 65):
            batch = events(size)
            assert reliability.first_times(session, "c", batch) == {e["event_id"] for e in batch}
    assert db._insert_or_skip.cache_info().currsize == 7  # 1, 2, 4, ..., 64 rows
