"""Which secrets a service may start with.

Outside development mode (MOTCUA_ENV=development) a service refuses to start when
MOTCUA_JWT_SECRET is missing or shorter than 32 bytes, or when a secret it uses is
empty or one of the development values published in this repository (anyone can
read those, so they protect nothing). `motcua serve` runs `check_secrets` before
anything else and exits 2 naming every variable to fix.
"""

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from shared.config import DEV_JWT_SECRET, development_mode

JWT_SECRET_VAR = "MOTCUA_JWT_SECRET"
MIN_JWT_SECRET_BYTES = 32  # HS256 keys shorter than the hash output can be brute-forced offline

# The development values of the simulators and of `motcua up` (published, so never secret).
DEV_CARRIER_SECRET = "dev-carrier-secret"
DEV_CARRIER_API_KEY = "dev-carrier-key"
DEV_SMS_GATEWAY_SECRET = "dev-sms-secret"
DEV_PAYMENT_SECRET = "dev-payment-secret"
DEV_PORTAL_SECRET = "dev-portal-secret"
KNOWN_DEFAULTS = frozenset(
    {
        DEV_JWT_SECRET,
        DEV_CARRIER_SECRET,
        DEV_CARRIER_API_KEY,
        DEV_SMS_GATEWAY_SECRET,
        DEV_PAYMENT_SECRET,
        DEV_PORTAL_SECRET,
        "change-me",
        "changeme",
        "secret",
        "password",
    }
)


class SecretMissing(RuntimeError):
    """No usable secret outside development mode."""


def _carrier_configured(cfg: Mapping[str, Any]) -> bool:
    return bool(cfg.get("CARRIER_URL"))


def _sms_over_http(cfg: Mapping[str, Any]) -> bool:
    return str(cfg.get("SMS_BACKEND", "")).lower() == "http"


# service -> (config key, environment variable, whether this configuration uses it).
# A new outside system adds its line here.
CONFIGURED_SECRETS: dict[str, tuple[tuple[str, str, Callable[[Mapping[str, Any]], bool]], ...]] = {
    "postal": (
        ("CARRIER_SECRET", "MOTCUA_CARRIER_SECRET", _carrier_configured),
        ("CARRIER_API_KEY", "MOTCUA_CARRIER_API_KEY", _carrier_configured),
    ),
    "notify": (("SMS_GATEWAY_SECRET", "MOTCUA_SMS_GATEWAY_SECRET", _sms_over_http),),
    "payments": (("PAYMENT_SECRET", "MOTCUA_PAYMENT_SECRET", lambda cfg: bool(cfg.get("PAYMENT_GATEWAY_URL"))),),
    "portal": (("PORTAL_SECRET", "MOTCUA_PORTAL_SECRET", lambda cfg: bool(cfg.get("PORTAL_URL"))),),
}


def jwt_secret_problem(value: str | None) -> str | None:
    """Why this MOTCUA_JWT_SECRET cannot be used outside development mode (None: it can)."""
    if not value:
        return f"{JWT_SECRET_VAR} is not set"
    if value in KNOWN_DEFAULTS:
        return f"{JWT_SECRET_VAR} is the published development secret"
    if len(value.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
        return f"{JWT_SECRET_VAR} is shorter than {MIN_JWT_SECRET_BYTES} bytes"
    return None


def problems(service: str, cfg: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret problem of this service's configuration, one line each."""
    environ = os.environ if environ is None else environ
    found: list[str] = []
    jwt_problem = jwt_secret_problem(environ.get(JWT_SECRET_VAR))
    if jwt_problem:
        found.append(jwt_problem)
    for key, variable, used in CONFIGURED_SECRETS.get(service, ()):
        if not used(cfg):
            continue
        value = str(cfg.get(key) or "")
        if not value:
            found.append(f"{variable} is not set")
        elif value in KNOWN_DEFAULTS:
            found.append(f"{variable} is a published development value ({value!r})")
    return found


def check_secrets(
    service: str, cfg: Mapping[str, Any], environ: Mapping[str, str] | None = None, out: TextIO | None = None
) -> None:
    """Exit 2 outside development mode when a secret the service uses is missing,
    too short or a known default; the message names every variable at once."""
    if development_mode():
        return
    found = problems(service, cfg, environ)
    if not found:
        return
    out = out or sys.stderr
    print(f"motcua serve {service}: refusing to start outside development mode:", file=out)
    for line in found:
        print(f"  - {line}", file=out)
    print(
        f"Set {JWT_SECRET_VAR} to a random value of at least {MIN_JWT_SECRET_BYTES} bytes "
        "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) and the outside systems' "
        "real credentials, or run a local trial with MOTCUA_ENV=development (never exposed).",
        file=out,
        flush=True,
    )
    sys.exit(2)
