"""Each service's migrations build exactly the tables its models describe, on
PostgreSQL and on SQLite, and go back down cleanly."""

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared import migrations
from shared.config import SERVICES
from shared.db import make_engine


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_migrations_match_the_models(service, backend, database_server, tmp_path):
    server, prefix = database_server
    url = (
        sa.engine.make_url(server).set(database=f"{prefix}migrations_{service}")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / (service + '.db')}"
    )
    migrations.upgrade(service, url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), migrations.target_metadata(service)) == []
        command.downgrade(migrations.alembic_config(service, url), "base")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
