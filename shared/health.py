"""GET /health: 200 when the broker and the database answer, 503 otherwise."""

from typing import Any

import kombu
import sqlalchemy as sa

from shared.http import json_response


def check(uow: Any, amqp_uri: str | None) -> Any:
    """`amqp_uri` None: a service without a broker connection (web) checks its database only."""
    checks: dict[str, str] = {}
    try:
        with uow.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    if amqp_uri is not None:
        try:
            with kombu.Connection(amqp_uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return json_response(200 if healthy else 503, {"status": "ok" if healthy else "unavailable", **checks})
