"""Idempotency-Key: the first answer to a request, replayed to a retry of it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from services.intake.adapters import orm
from shared import clock
from shared.db import insert_or_skip
from shared.http import ApiError, request_hash, to_json


def claim(session: Session, caller: str, key: str | None, body: Any) -> tuple[int, Any] | None:
    """None when this key is new (it is now held by this transaction), else the
    first answer (status, body); 409 when the key was used for a different request.

    The key is claimed by an INSERT before any work: a concurrent retry with the
    same key waits on it (PostgreSQL) and then replays the committed answer, and a
    request that fails rolls its claim back with everything else."""
    if not key:
        return None
    table = orm.idempotent_requests
    claim = {
        "caller": caller,
        "key": key,
        "request_hash": request_hash(body),
        "status": 0,
        "response": "",
        "created_at": clock.now(),
    }
    result: CursorResult[Any] = insert_or_skip(session, table, claim, ("caller", "key"))
    claimed = result.rowcount
    if claimed:
        return None
    record = session.execute(table.select().where(table.c.caller == caller, table.c.key == key)).one()
    if record.request_hash != request_hash(body):
        raise ApiError(409, "idempotency_key_reused", "Idempotency-Key này đã dùng cho một yêu cầu khác")
    if not record.status:
        raise ApiError(409, "request_in_progress", "Yêu cầu với Idempotency-Key này đang được xử lý")
    return record.status, json.loads(record.response)


def remember(session: Session, caller: str, key: str | None, status: int, response: Any) -> None:
    if key:
        table = orm.idempotent_requests
        session.execute(
            table.update()
            .where(table.c.caller == caller, table.c.key == key)
            .values(status=status, response=to_json(response))
        )
