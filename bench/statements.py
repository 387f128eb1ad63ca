"""What one statement of a hop costs this process: the inbox insert of every handler
(INSERT ... ON CONFLICT DO NOTHING RETURNING) as SQLAlchemy's PostgreSQL construct,
which SQLAlchemy compiles anew on every execution, beside the same statement as
SQL text built once per shape (`shared.db.insert_or_skip`); and `SELECT 1` through
the same session and through the bare driver's cursor, the floors of a statement.

  python -m bench.statements [--calls 300]

Uses MOTCUA_DATABASE_URL (default: the local PostgreSQL server) and a scratch
database, removed at the end. Prints CPU microseconds per call (this process only).
"""

import argparse
import os
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bench.common import drop_database
from shared import clock, reliability
from shared.db import ensure_database, insert_or_skip, make_engine


def rows(n):
    now = clock.now()
    return [
        {"consumer": "bench", "event_id": str(uuid.uuid4()), "event_type": "x", "dossier_code": "C", "handled_at": now}
        for _ in range(n)
    ]


def as_construct(session, batch):
    statement = (
        insert(reliability.inbox)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(reliability.inbox.c.event_id)
    )
    return set(session.scalars(statement, batch))


def as_text(session, batch):
    return set(insert_or_skip(session, reliability.inbox, batch, ("consumer", "event_id"), "event_id").scalars())


def floor(session, batch):
    return session.execute(sa.text("SELECT 1")).scalar()


def bare_floor(session, batch):
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.execute("SELECT 1")
    cursor.fetchone()
    cursor.close()


def per_call(engine, how, n, calls):
    """CPU microseconds of this process per call, after a warm-up."""
    with Session(engine) as session:
        for _ in range(20):
            how(session, rows(n))
        batches = [rows(n) for _ in range(calls)]
        started = time.process_time()
        for batch in batches:
            how(session, batch)
        used = time.process_time() - started
        session.commit()
    return used / calls * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="calls measured per case (default 300)")
    args = parser.parse_args()
    server = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = sa.engine.make_url(server).set(database="motcua_bench_statements")
    drop_database(url)
    ensure_database(url)
    engine = make_engine(url)
    try:
        reliability.metadata.create_all(engine)
        print(f"one statement, CPU of this process per call ({args.calls} calls each):")
        print(f"  SELECT 1 through the session: {per_call(engine, floor, 1, args.calls):6.0f} us")
        print(f"  SELECT 1 through the bare driver (psycopg2): {per_call(engine, bare_floor, 1, args.calls):6.0f} us")
        for n in (1, 10):
            construct = per_call(engine, as_construct, n, args.calls)
            text = per_call(engine, as_text, n, args.calls)
            print(
                f"  inbox insert of {n:2} row(s): SQLAlchemy's ON CONFLICT construct {construct:6.0f} us, "
                f"SQL text built once {text:6.0f} us ({construct / text:.1f}x)"
            )
    finally:
        engine.dispose()
        drop_database(url)


if __name__ == "__main__":
    main()
