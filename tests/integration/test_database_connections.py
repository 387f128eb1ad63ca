"""Pooled PostgreSQL connections after the server dropped them (a restart, an
administrator): one idle in the pool is tested and replaced before use; one in
steady use is not tested (that round trip is saved), so its first statement fails,
the pool is renewed, and an API answers 503 that a retry gets past."""

import json

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from shared import db
from shared.http import api


def backend_pid(engine):
    with engine.connect() as conn:  # checked out, then straight back into the pool
        return conn.connection.dbapi_connection.get_backend_pid()


def drop_backend(server, pid):
    admin = sa.create_engine(server)
    with admin.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@pytest.fixture
def engine(database_server):
    engine = db.make_engine(database_server[0], pool_size=1)
    yield engine
    engine.dispose()


def test_a_connection_idle_in_the_pool_is_tested_and_replaced(engine, database_server, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)  # every connection counts as idle
    dropped = backend_pid(engine)
    drop_backend(database_server[0], dropped)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT 1")) == 1
    assert backend_pid(engine) != dropped


def test_a_connection_in_steady_use_fails_once_then_the_pool_is_renewed(engine, database_server, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 3600.0)  # never counts as idle: no ping
    uow = db.Sessions(engine)
    dropped = backend_pid(engine)
    drop_backend(database_server[0], dropped)

    @api
    def endpoint(self, request):
        with uow.transaction() as session:
            session.execute(sa.text("SELECT 1"))
        return "ok"

    request = EnvironBuilder(path="/").get_request()
    answer = endpoint(None, request)
    assert answer.status_code == 503
    assert json.loads(answer.get_data())["error"]["code"] == "database_unavailable"
    assert endpoint(None, request) == "ok"
    assert backend_pid(engine) != dropped
