"""Start one service in this process: migrate its database, check its port, run it."""

import importlib
import inspect
import logging
import os
import signal
import socket
import sys
from typing import Any

from shared import auth, config, db, logs, migrations, secret_policy

log = logging.getLogger(__name__)


def service_class(service: str) -> type:
    module = importlib.import_module(f"services.{service}.service")
    for cls in vars(module).values():
        if inspect.isclass(cls) and getattr(cls, "name", None) == service:
            return cls
    raise LookupError(f"services.{service}.service defines no nameko service named {service!r}")


def port_is_free(port: int, host: str | None = None) -> bool:
    """nameko binds with SO_REUSEPORT, so a stale instance would silently share the
    port: test with a bind without it first, on the address the service binds
    (MOTCUA_BIND, 127.0.0.1 by default)."""
    host = host or config.bind_address()
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT, not listeners
    try:
        probe.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def web_address(cfg: dict[str, Any]) -> tuple[str, int]:
    """(host, port) of the service's WEB_SERVER_ADDRESS."""
    host, _, port = str(cfg["WEB_SERVER_ADDRESS"]).rpartition(":")
    return host.strip("[]") or config.DEFAULT_BIND, int(port)


def wake_on_signals() -> None:
    """nameko stops on SIGTERM from a green thread its handler spawns, but Python
    resumes an interrupted epoll (PEP 475) for the rest of the hub's timeout: an idle
    service slept on until its next timer or heartbeat (web: until the supervisor's
    SIGKILL). The signal's byte on a pipe the hub watches wakes it at once."""
    import eventlet
    from eventlet.hubs import trampoline

    readable, writable = os.pipe()
    os.set_blocking(readable, False)
    os.set_blocking(writable, False)
    signal.set_wakeup_fd(writable)

    def drain() -> None:
        while True:
            trampoline(readable, read=True)
            try:
                os.read(readable, 512)
            except BlockingIOError:
                pass

    eventlet.spawn_n(drain)


def serve(service: str, replica: bool = False) -> None:
    """Run the service. A replica shares the port of the service's first process
    (nameko binds with SO_REUSEPORT) and its queues, and leaves the migration, the
    start-up work and the timers to it."""
    # Before anything else: a service with a guessable secret must not even migrate.
    cfg = config.load_config(service)
    cfg["REPLICA"] = replica
    secret_policy.check_secrets(service, cfg)
    import eventlet

    eventlet.monkey_patch()
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()
    from nameko.cli.run import run

    logs.setup(service)
    wake_on_signals()
    host, port = web_address(cfg)
    if replica:
        log.info("%s replica sharing %s", service, cfg["WEB_SERVER_ADDRESS"])
        run([service_class(service)], cfg)
        return
    if not port_is_free(port, host):
        log.error(
            "port %d is already in use on %s: is another %s running? Stop it or set MOTCUA_%s_PORT",
            port,
            host,
            service,
            service.upper(),
        )
        sys.exit(2)
    if config.development_mode():
        log.warning(
            "DEVELOPMENT mode (MOTCUA_ENV=development): development secrets and demo data are accepted; "
            "never expose this installation"
        )
        if auth.using_dev_secret():
            log.warning("using the DEVELOPMENT JWT secret; set MOTCUA_JWT_SECRET in production")
    else:
        log.info("production mode: secrets checked (MOTCUA_ENV is not 'development')")
    url = db.database_url(service)
    log.info("migrating %s", url.render_as_string(hide_password=True))
    migrations.upgrade(service, url)
    module = importlib.import_module(f"services.{service}.service")
    if hasattr(module, "on_start"):
        uow = db.Sessions(db.make_engine(url, pool_size=1))
        module.on_start(uow, cfg)
        uow.engine.dispose()
    log.info("%s listening on %s", service, cfg["WEB_SERVER_ADDRESS"])
    run([service_class(service)], cfg)
