"""Test harness: a real RabbitMQ and a real PostgreSQL, isolated per run.

The broker and the database come from MOTCUA_TEST_AMQP_URI and
MOTCUA_TEST_DATABASE_URL when set, else from testcontainers when a Docker engine
answers. Each run gets its own RabbitMQ virtual host and its own databases
(prefix motcua_t<run id>_), removed at the end.
"""

import shared  # noqa: F401, I001  (first: it silences eventlet's deprecation notice)
import os

# Patched before anything else imports socket or threading: nameko containers run
# in this process for the spine tests. The browser tests (tests/web) run in a pytest
# of their own without it (MOTCUA_TEST_EVENTLET=0): Playwright's asyncio loop hangs
# on eventlet's sockets.
if os.environ.get("MOTCUA_TEST_EVENTLET", "1") != "0":
    import eventlet

    eventlet.monkey_patch()

    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()

import shutil
import subprocess
import uuid
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest
import requests
import sqlalchemy as sa

RUN_ID = uuid.uuid4().hex[:8]

# Outside development mode a token needs a real secret: the in-process containers and
# the tokens the tests issue with shared.auth use the same test secret as tests/system.py.
from tests.system import TEST_SECRET  # noqa: E402

os.environ.setdefault("MOTCUA_JWT_SECRET", TEST_SECRET)


def _docker_available():
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def backends():
    """(amqp server uri, postgresql server url) of the servers the tests use."""
    amqp_uri = os.environ.get("MOTCUA_TEST_AMQP_URI")
    db_url = os.environ.get("MOTCUA_TEST_DATABASE_URL")
    containers = []
    if not (amqp_uri and db_url) and _docker_available():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs

        if not amqp_uri:
            rabbit = DockerContainer("rabbitmq:3.13-management").with_exposed_ports(5672, 15672)
            rabbit.start()
            wait_for_logs(rabbit, "Server startup complete", timeout=120)
            containers.append(rabbit)
            amqp_uri = f"amqp://guest:guest@{rabbit.get_container_host_ip()}:{rabbit.get_exposed_port(5672)}/"
            os.environ["MOTCUA_TEST_RABBIT_API"] = (
                f"http://guest:guest@{rabbit.get_container_host_ip()}:{rabbit.get_exposed_port(15672)}"
            )
        if not db_url:
            pg = DockerContainer("postgres:15").with_exposed_ports(5432).with_env("POSTGRES_HOST_AUTH_METHOD", "trust")
            pg.start()
            wait_for_logs(pg, "database system is ready to accept connections", timeout=120)
            containers.append(pg)
            db_url = f"postgresql://postgres@{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}/postgres"
    if not (amqp_uri and db_url):
        pytest.exit(
            "no broker or database for the tests: set MOTCUA_TEST_AMQP_URI (a RabbitMQ, e.g. "
            "amqp://guest:guest@127.0.0.1:5672/) and MOTCUA_TEST_DATABASE_URL (a PostgreSQL server, e.g. "
            "postgresql://postgres@127.0.0.1:5432/postgres), or run where a Docker engine is available "
            "for testcontainers",
            returncode=3,
        )
    for name, uri in (("broker", amqp_uri), ("database", db_url)):
        if not _answers(uri):  # e.g. `make test-unit`, which gives addresses where nothing listens
            pytest.exit(
                f"this test needs a {name} and none answers at {_without_password(uri)}: a test of the "
                "unit tier (tests/unit) must not need one",
                returncode=3,
            )
    yield amqp_uri, db_url
    for container in containers:
        container.stop()


def _answers(uri):
    """Whether something accepts TCP connections where the URI points."""
    import socket

    parts = urlsplit(uri)
    default_port = 5672 if parts.scheme.startswith("amqp") else 5432
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=5).close()
    except OSError:
        return False
    return True


def _without_password(uri):
    parts = urlsplit(uri)
    return uri if parts.password is None else uri.replace(f":{parts.password}@", ":***@", 1)


def _vhost_admin(amqp_uri, action, vhost):
    """Create or delete a virtual host: rabbitmqctl when the broker is local, else
    the management HTTP API (MOTCUA_TEST_RABBIT_API)."""
    api = os.environ.get("MOTCUA_TEST_RABBIT_API")
    if api:
        parts = urlsplit(api)
        base = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), "", "", ""))
        auth = (parts.username or "guest", parts.password or "guest")
        url = f"{base}/api/vhosts/{quote(vhost, safe='')}"
        if action == "add":
            requests.put(url, auth=auth, timeout=10).raise_for_status()
            requests.put(
                f"{base}/api/permissions/{quote(vhost, safe='')}/{auth[0]}",
                auth=auth,
                timeout=10,
                json={"configure": ".*", "write": ".*", "read": ".*"},
            ).raise_for_status()
        else:
            requests.delete(url, auth=auth, timeout=10)
        return
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        pytest.exit(
            "cannot create a RabbitMQ virtual host for the tests: no rabbitmqctl here; set "
            "MOTCUA_TEST_RABBIT_API to the broker's management API (http://user:pass@host:15672)",
            returncode=3,
        )
    user = urlsplit(amqp_uri).username or "guest"
    if action == "add":
        subprocess.run([ctl, "-q", "add_vhost", vhost], check=True, capture_output=True)
        subprocess.run(
            [ctl, "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], check=True, capture_output=True
        )
    else:
        subprocess.run([ctl, "-q", "delete_vhost", vhost], capture_output=True)


@pytest.fixture(scope="session")
def new_vhost(backends):
    """new_vhost(name) -> AMQP URI of a fresh virtual host of this run (deleted at the end,
    or earlier with new_vhost.delete(uri)): installations that must not share queues each
    get their own. Deleting one as soon as it is done keeps the broker light: every
    installation declares some forty quorum queues."""
    server = backends[0]
    created = []

    def make(name):
        vhost = f"motcua_test_{RUN_ID}_{name}"
        _vhost_admin(server, "add", vhost)
        created.append(vhost)
        parts = urlsplit(server)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))

    def delete(uri):
        vhost = unquote(urlsplit(uri).path[1:])
        if vhost in created:
            created.remove(vhost)
            _vhost_admin(server, "delete", vhost)

    make.delete = delete
    yield make
    for vhost in created:
        _vhost_admin(server, "delete", vhost)


@pytest.fixture(scope="session")
def amqp_uri(new_vhost):
    """The run's main RabbitMQ virtual host."""
    return new_vhost("main")


@pytest.fixture(scope="session")
def database_server(backends):
    """The PostgreSQL server; every database this run creates there is dropped at the end."""
    server = backends[1]
    prefix = f"motcua_t{RUN_ID}_"
    yield server, prefix
    admin = sa.create_engine(sa.engine.make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        names = conn.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": prefix + "%"}
        ).all()
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def db_env(database_server, monkeypatch_session):
    """Point shared.db at this run's databases (for in-process containers)."""
    server, prefix = database_server
    monkeypatch_session.setenv("MOTCUA_DATABASE_URL", server)
    monkeypatch_session.setenv("MOTCUA_DATABASE_PREFIX", prefix)
    return server, prefix


@pytest.fixture(scope="session")
def monkeypatch_session():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="session")
def system(amqp_uri, database_server, tmp_path_factory):
    """One running installation (every service and the carrier simulator) per run."""
    from shared.config import SERVED
    from tests.system import System

    server, prefix = database_server
    installation = System(amqp_uri, server, prefix + "e2e_", tmp_path_factory.mktemp("system"))
    try:
        for name in ("carrier-sim", *SERVED):
            installation.start(name)
        installation.wait_healthy(["carrier-sim", *SERVED])
        yield installation
    finally:
        installation.stop_all()


def pytest_collection_modifyitems(config, items):
    """The slow fault tests run last: they restart RabbitMQ and PostgreSQL, which
    must not pull connections from under the other tests' session fixtures."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)
