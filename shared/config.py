"""Service configuration: each service's config.yaml with ${MOTCUA_*:default} values."""

import os
from pathlib import Path
from typing import Any

import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parent.parent
# The services that speak over the broker (events, queues, dead letters).
SERVICES = ("intake", "processing", "postal", "notify", "payments", "portal")
# The office's screens: a client of the others' HTTP APIs, with no queue of its own.
WEB = "web"
# Everything `motcua serve` runs and `motcua up` starts.
SERVED = SERVICES + (WEB,)
DEFAULT_PORTS = {
    "intake": 8001,
    "processing": 8002,
    "postal": 8003,
    "notify": 8004,
    "payments": 8005,
    "portal": 8006,
    WEB: 8000,
}
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEV_JWT_SECRET = "motcua-development-secret-change-me"
DEVELOPMENT = "development"
DEFAULT_BIND = "127.0.0.1"  # only this machine unless MOTCUA_BIND says otherwise

setup_yaml_parser()


def service_dir(service: str) -> Path:
    return ROOT / "services" / service


def load_config(service: str) -> dict[str, Any]:
    if service not in SERVED:
        raise ValueError(f"unknown service {service!r}; one of {', '.join(SERVED)}")
    with open(service_dir(service) / "config.yaml", encoding="utf-8") as f:
        config: dict[str, Any] = yaml.safe_load(f)
    config["SERVICE"] = service
    return config


def port(service: str) -> int:
    return int(os.environ.get(f"MOTCUA_{service.upper()}_PORT", DEFAULT_PORTS[service]))


def development_mode() -> bool:
    """Development mode is explicit (MOTCUA_ENV=development): only then are the
    development secrets and demo defaults accepted."""
    return os.environ.get("MOTCUA_ENV", "").strip().lower() == DEVELOPMENT


def bind_address() -> str:
    return os.environ.get("MOTCUA_BIND") or DEFAULT_BIND


def var_dir() -> Path:
    path = Path(os.environ.get("MOTCUA_VAR_DIR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_address(host: str) -> str:
    """Where this machine reaches a service bound to host."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


# Where the web finds each API (unset: the service's port on this machine).
API_URL_VARIABLES = {
    "intake": "MOTCUA_INTAKE_URL",
    "processing": "MOTCUA_PROCESSING_URL",
    "postal": "MOTCUA_POSTAL_URL",
    "notify": "MOTCUA_NOTIFY_URL",
    "payments": "MOTCUA_PAYMENTS_URL",
    "portal": "MOTCUA_PORTAL_URL",
}


def service_url(service: str) -> str:
    """Base URL of a service's HTTP API."""
    return os.environ.get(API_URL_VARIABLES[service]) or f"http://{local_address(bind_address())}:{port(service)}"
