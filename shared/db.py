"""One database per service, and a unit of work around every change.

With MOTCUA_DATABASE_URL (a PostgreSQL server) each service uses its own database
`<prefix><service>` there (prefix `motcua_` unless MOTCUA_DATABASE_PREFIX says
otherwise), created when missing. Without it, a SQLite file under var/.

`Database` is a nameko dependency providing `Sessions`: `with self.db.transaction()
as session:` commits when the block ends and rolls back on error; `with
self.db.work(IntakeWork) as work:` does the same around a service's unit of work
(shared.uow), writing the events its aggregates recorded to the outbox just before
the commit. The commit happens inside the entrypoint, before nameko acknowledges
the message or sends the HTTP answer, so an answer or an ack never runs ahead of
what was stored.
"""

import functools
import logging
import os
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import eventlet.semaphore
import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from shared import clock
from shared.config import var_dir

log = logging.getLogger(__name__)


def database_url(service: str) -> sa.URL:
    server = os.environ.get("MOTCUA_DATABASE_URL")
    if not server:
        return make_url(f"sqlite:///{var_dir() / (service + '.db')}")
    prefix = os.environ.get("MOTCUA_DATABASE_PREFIX", "motcua_")
    return make_url(server).set(database=f"{prefix}{service}")


def is_sqlite(url: str | sa.URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_database(url: str | sa.URL) -> None:
    """Create the service's PostgreSQL database when it does not exist yet."""
    url = make_url(url)
    if is_sqlite(url):
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", hide_parameters=True)
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if not exists:
                try:
                    conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
                    log.info("created database %s", url.database)
                except sa.exc.ProgrammingError as exc:  # another instance won the race
                    if "already exists" not in str(exc):
                        raise
    finally:
        admin.dispose()


def make_engine(url: str | sa.URL, pool_size: int = 10) -> sa.Engine:
    url = make_url(url)
    if is_sqlite(url):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

        return engine
    # hide_parameters: a failed statement's error (and so the log) names no ID number, phone or address.
    # values_plus_batch: the same UPDATE of several rows (the dossiers or messages of one batch
    # of events) goes in one round trip, not one each (psycopg2's execute_batch); no mapper
    # counts versions, the one thing that needs each row's count.
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        hide_parameters=True,
        executemany_mode="values_plus_batch",
    )
    _ping_when_idle(engine)
    return engine


IDLE_BEFORE_PING_SECONDS = 1.0


def _ping_when_idle(engine):
    """SQLAlchemy's pre-ping, only for a connection that sat idle in the pool: one in
    steady use skips the round trip (half the statements of a short transaction).
    Should the server restart meanwhile, the next statement fails, SQLAlchemy drops
    the pool's connections, and the retry (of the event, or the client's) gets new ones."""

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, proxy):
        if time.monotonic() - record.info.get("idle_since", 0) < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise sa.exc.DisconnectionError(str(exc)) from exc  # the pool connects anew
            raise


class Moment(sa.types.TypeDecorator):
    """A point in time, always handed back aware in Asia/Ho_Chi_Minh (SQLite keeps
    no offset, so it stores the local wall time)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every moment must carry its offset")
        value = value.astimezone(clock.TZ)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=clock.TZ) if value.tzinfo is None else value.astimezone(clock.TZ)


class EnumText(sa.types.TypeDecorator):
    """A StrEnum of the domain stored as its plain string (the column stays a VARCHAR)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


class Sessions:
    """Sessions over one engine. SQLite blocks the whole process while it waits for
    a lock, so under eventlet its transactions are taken one at a time per process;
    PostgreSQL transactions run concurrently."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.Session = sessionmaker(engine, expire_on_commit=False)
        self._serial = eventlet.semaphore.Semaphore(1) if is_sqlite(engine.url) else None
        self.on_commit: list[Any] = []  # callables run after a commit that wrote outbox events

    @contextmanager
    def transaction(self):
        if self._serial:
            self._serial.acquire()
        session = self.Session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            wrote_events = session.info.pop("outbox_written", False)
            session.close()
            if self._serial:
                self._serial.release()
        if wrote_events:
            for callback in self.on_commit:
                callback()

    @contextmanager
    def work(self, work_class):
        """A service's unit of work (a shared.uow.UnitOfWork subclass) in one
        transaction: the events its tracked aggregates recorded go to the outbox at
        the end of the block, then everything commits together; an error rolls back
        both the change and its events."""
        with self.transaction() as session:
            work = work_class(session)
            yield work
            work.publish_recorded()


class Database(DependencyProvider):
    """The service's database: migrated at start-up by the runner, one unit of work per use."""

    def setup(self):
        service = self.container.config["SERVICE"]
        url = self.container.config.get("DATABASE_URL") or database_url(service)
        self.uow = Sessions(make_engine(url, pool_size=int(self.container.config.get("DB_POOL_SIZE", 10))))

    def stop(self):
        self.uow.engine.dispose()

    def kill(self):
        self.uow.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.uow


def dialect_insert(session):
    """INSERT ... ON CONFLICT for the session's dialect (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # the same call, SQLite's
    return insert


def insert_or_skip(
    session: Any,
    table: sa.Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    conflict: tuple[str, ...],
    returning: str | None = None,
) -> Any:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING [RETURNING returning] of one row or
    several (the same columns each), in one statement. Written as SQL text, built once
    per shape: SQLAlchemy does not cache its dialects' ON CONFLICT constructs, and
    compiling one anew costs about half a millisecond on every execution, on the hot
    paths (the inbox of every handler) three times the statement itself. Works on
    PostgreSQL and SQLite.

    Several rows are padded to a power of two with copies of the last one, which its
    own key makes a conflict and so skipped (unless that key holds a NULL): each
    shape built and cached costs about 200 kB, and a batch size of its own each
    made a busy consumer 10 MB larger."""
    many = [rows] if isinstance(rows, Mapping) else list(rows)
    if len(many) > 1 and all(many[-1][column] is not None for column in conflict):
        many += [many[-1]] * ((1 << (len(many) - 1).bit_length()) - len(many))
    statement = _insert_or_skip(table, tuple(many[0]), len(many), conflict, returning)
    params = {f"{column}_{i}": value for i, row in enumerate(many) for column, value in row.items()}
    return session.execute(statement, params)


@functools.lru_cache(maxsize=512)
def _insert_or_skip(
    table: sa.Table, columns: tuple[str, ...], count: int, conflict: tuple[str, ...], returning: str | None
) -> sa.TextClause:
    quoted = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join("(" + ", ".join(f":{c}_{i}" for c in columns) + ")" for i in range(count))
    sql = (
        f'INSERT INTO "{table.name}" ({quoted}) VALUES {values} '
        f"ON CONFLICT ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in conflict)}) DO NOTHING"
    )
    if returning:
        sql += f' RETURNING "{returning}"'
    binds = [sa.bindparam(f"{c}_{i}", type_=table.c[c].type) for i in range(count) for c in columns]
    return sa.text(sql).bindparams(*binds)
