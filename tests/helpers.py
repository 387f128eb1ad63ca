"""Small helpers shared by the tests."""

import time

import eventlet
import sqlalchemy as sa

from shared.db import ensure_database


def wait_for(predicate, timeout=20.0, interval=0.1, message="condition"):
    """Poll until predicate() is truthy; returns its value or fails with `message`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


def fresh_database(server, name, *metadatas):
    """Create (or empty) a database of this run and its tables; returns its URL."""
    url = sa.engine.make_url(server).set(database=name)
    ensure_database(url)
    engine = sa.create_engine(url)
    for metadata in metadatas:
        metadata.drop_all(engine)
        metadata.create_all(engine)
    engine.dispose()
    return url
