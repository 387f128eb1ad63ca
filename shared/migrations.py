"""Alembic, one history per service (services/<service>/migrations)."""
import importlib

from alembic import command, context
from alembic.config import Config
from sqlalchemy import pool, text
from sqlalchemy.engine import make_url

from shared import calendar_store, reliability  # noqa: F401  (calendar_store adds its table)
from shared.config import service_dir
from shared.db import ensure_database, make_engine

MIGRATION_LOCK_KEY = 0x6D696772  # one migrating instance at a time per database


def alembic_config(service, url):
    cfg = Config()
    cfg.set_main_option("script_location", str(service_dir(service) / "migrations"))
    cfg.attributes["url"] = make_url(url)
    cfg.attributes["service"] = service
    return cfg


def upgrade(service, url):
    ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def target_metadata(service):
    models = importlib.import_module(f"services.{service}.models")
    return [models.Base.metadata, reliability.metadata]


def run_env():
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
            context.configure(connection=connection, target_metadata=target_metadata(cfg.attributes["service"]),
                              render_as_batch=not is_pg, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_pg:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()
    engine.dispose()
