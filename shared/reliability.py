"""Outbox and inbox tables, present in every service's database.

Outbox: a change and the events it owes are written in one transaction; the relay
publishes them later (shared.relay). Inbox: a consumer records the event_id it
handled in the same transaction as the effect, so a redelivered event is skipped.
"""

import functools
import json
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared import clock, events
from shared.db import Moment, insert_or_skip

log = logging.getLogger(__name__)

metadata = sa.MetaData()
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("dossier_code", sa.String(40), nullable=False, index=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", Moment(), nullable=False),
    sa.Column("published_at", Moment()),
    sa.Index(
        "ix_outbox_pending",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.String(160), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("dossier_code", sa.String(40)),
    sa.Column("handled_at", Moment(), nullable=False),
)


def outbox_row(
    source: str, event_type: str, dossier_code: str, data: dict[str, Any], correlation_id: str | None = None
):
    """(envelope, outbox row) of an owed event, validated now."""
    env = events.envelope(event_type, dossier_code, data, correlation_id, source=source)
    row = {
        "event_id": env["event_id"],
        "event_type": event_type,
        "dossier_code": dossier_code,
        "payload": json.dumps(env, ensure_ascii=False),
        "created_at": clock.now(),
    }
    return env, row


def write_outbox(session: Session, rows: list[dict[str, Any]]) -> None:
    """Owed events into the outbox, in this order, in one statement."""
    if rows:
        session.execute(outbox.insert(), rows)
        session.info["outbox_written"] = True


def emit(
    session: Session,
    source: str,
    event_type: str,
    dossier_code: str,
    data: dict[str, Any],
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """Owe an event: validated now, written with the change, published after commit."""
    env, row = outbox_row(source, event_type, dossier_code, data, correlation_id)
    write_outbox(session, [row])
    return env


def first_time(session: Session, consumer: str, env: dict[str, Any]) -> bool:
    """Record that `consumer` handles this event; False when it already has."""
    return env["event_id"] in first_times(session, consumer, [env])


def first_times(session: Session, consumer: str, envs: list[dict[str, Any]]) -> set[str]:
    """Record that `consumer` handles these events, in one statement; the ids of
    those it had not handled before."""
    now = clock.now()
    rows = [
        {
            "consumer": consumer,
            "event_id": env["event_id"],
            "event_type": env["event_type"],
            "dossier_code": env.get("dossier_code"),
            "handled_at": now,
        }
        for env in envs
    ]
    return set(insert_or_skip(session, inbox, rows, ("consumer", "event_id"), returning="event_id").scalars())


def take_pending(session, limit, lock_key):
    """(whether this relay holds the lock, the events to publish, in outbox order),
    marked published in the caller's transaction, which commits only once the broker
    has confirmed them: should the publish fail, the rollback leaves them waiting. On
    PostgreSQL one statement tries the lock (for this transaction), reads and marks."""
    now = clock.now()
    if session.get_bind().dialect.name != "postgresql":
        rows = pending(session, limit)
        if rows:
            session.execute(MARK_PUBLISHED, {"ids": [row.id for row in rows], "published_at": now})
        return True, rows
    rows = session.execute(_take_under_lock(limit, lock_key), {"published_at": now}).all()
    if not rows or not rows[0].held:
        return False, []
    return True, [row for row in rows if row.id is not None]


@functools.lru_cache(maxsize=16)
def _take_under_lock(limit, lock_key):
    """Built once per (limit, lock): each relay round runs it. The lock's CTE is
    evaluated once (a volatile function), and the UPDATE runs only when it is held."""
    return sa.text(
        f"""
        WITH relay_lock AS (SELECT pg_try_advisory_xact_lock({int(lock_key)}) AS held),
        waiting AS (
            SELECT outbox.id FROM outbox, relay_lock
            WHERE relay_lock.held AND outbox.published_at IS NULL
            ORDER BY outbox.id LIMIT {int(limit)}
        ),
        taken AS (
            UPDATE outbox SET published_at = :published_at FROM waiting WHERE outbox.id = waiting.id
            RETURNING outbox.id, outbox.event_type, outbox.dossier_code, outbox.payload
        )
        SELECT relay_lock.held, taken.id, taken.event_type, taken.dossier_code, taken.payload
        FROM relay_lock LEFT JOIN taken ON true ORDER BY taken.id
        """
    ).bindparams(sa.bindparam("published_at", type_=Moment()))


def pending(session, limit):
    return session.execute(
        sa.select(outbox.c.id, outbox.c.event_type, outbox.c.dossier_code, outbox.c.payload)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    ).all()


MARK_PUBLISHED = (
    outbox.update()
    .where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(published_at=sa.bindparam("published_at"))
)


def lag(session):
    """(events waiting, age in seconds of the oldest) for monitoring."""
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    ).one()
    if oldest is None:
        return count, 0.0
    return count, (clock.now() - oldest).total_seconds()
