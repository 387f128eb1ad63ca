"""THE table from a domain exception to its answer: one HTTP status per category of
shared.domain, used alike by HTTP entrypoints (shared.http.api) and RPC entrypoints
(`rpc_error`). A service's exception subclasses a category and names its code; the
status follows from the category, never from the rule that raised it."""

from __future__ import annotations

from typing import Any

from shared.domain import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleBroken,
    TooLarge,
    Unavailable,
    UnsupportedMedia,
)

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    UnsupportedMedia: 415,
    RuleBroken: 422,
    Unavailable: 503,
}
# a DomainError outside every category is a programming error, not an answer of the rules
UNCATEGORISED = 500


def status_of(exc: DomainError) -> int:
    """The status of the nearest category among the exception's classes."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return UNCATEGORISED


def http_error(exc: DomainError) -> tuple[int, str, str, dict[str, Any]]:
    """(status, code, message, fields) of the contract's JSON error shape."""
    return status_of(exc), exc.code, exc.message, dict(exc.fields)


def rpc_error(exc: DomainError) -> dict[str, Any]:
    """What an RPC entrypoint answers for a refusal: {"status": 4xx, "error": {code,
    message, fields}}, the same status and code an HTTP caller would get."""
    status, code, message, fields = http_error(exc)
    return {"status": status, "error": {"code": code, "message": message, "fields": fields}}
