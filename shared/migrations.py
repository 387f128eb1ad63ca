"""Alembic, one history per service (services/<service>/migrations)."""

import importlib
from typing import Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared import calendar_store, reliability  # noqa: F401  (calendar_store adds its table)
from shared.config import service_dir
from shared.db import Moment, Sessions, database_url, ensure_database, make_engine

MIGRATION_LOCK_KEY = 0x6D696772  # one migrating instance at a time per database


def alembic_config(service: str, url: str | sa.URL) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(service_dir(service) / "migrations"))
    cfg.attributes["url"] = make_url(url)
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, url: str | sa.URL) -> None:
    ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def migrated_sessions(service: str) -> Sessions:
    """A command's sessions on the service's own database, migrated first (one
    connection: a command does one thing at a time)."""
    url = database_url(service)
    upgrade(service, url)
    return Sessions(make_engine(url, pool_size=1))


def target_metadata(service: str) -> list[Any]:
    models = importlib.import_module(
        f"services.{service}.adapters.orm"
        if (service_dir(service) / "adapters" / "orm.py").exists()
        else f"services.{service}.models"
    )  # noqa: E501  (services move models.py to adapters/orm.py)
    return [models.Base.metadata, reliability.metadata]


def run_env() -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    cfg = context.config
    url = cfg.attributes.get("url")
    engine = make_engine(url) if url is not None else None
    if engine is None:
        raise SystemExit("run migrations through `motcua migrate SERVICE`")
    is_pg = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if is_pg:  # several instances starting together migrate one after another
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata(cfg.attributes["service"]),
                render_as_batch=not is_pg,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_pg:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()
    engine.dispose()


def create_shared_tables() -> None:
    """First version of the tables every service database has (outbox, inbox,
    calendar snapshot); each service's initial migration calls it. A later change to
    these tables is a new function, called by a new revision of every service."""
    op.create_table(
        "calendar_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("days_off", sa.JSON(), nullable=False),
        sa.Column("working_days", sa.JSON(), nullable=False),
        sa.Column("updated_at", Moment(timezone=True), nullable=False),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=160), primary_key=True),
        sa.Column("event_id", sa.String(length=36), primary_key=True),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("dossier_code", sa.String(length=40), nullable=True),
        sa.Column("handled_at", Moment(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("dossier_code", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", Moment(timezone=True), nullable=False),
        sa.Column("published_at", Moment(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_dossier_code", "outbox", ["dossier_code"])
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )


def drop_shared_tables() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index("ix_outbox_dossier_code", table_name="outbox")
    for table in ("outbox", "inbox", "calendar_snapshot"):
        op.drop_table(table)
