"""Logs that say which dossier they are about.

`about(dossier_code, correlation_id)` sets the context for the current green thread;
every record logged there carries both. ID numbers never go into logs: use
`mask_id()` when an applicant must be named. As a net under that rule, every line
is redacted on its way out (`redact`): runs of 9-12 digits (ID numbers, phones)
keep their last three, e-mail addresses their first letter, and the row values a
database error quotes ("Failing row contains (...)", "Key (...)=(...)") are dropped,
since such a row holds the applicant's ID, phone and address.
"""

import contextvars
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_dossier: contextvars.ContextVar[str] = contextvars.ContextVar("dossier_code", default="-")
_correlation: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

# the process id tells apart the processes of one service (`motcua serve --processes N`)
TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [pid=%(process)d dossier=%(dossier_code)s corr=%(correlation_id)s] %(message)s"
)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.dossier_code = _dossier.get()
        record.correlation_id = _correlation.get()
        return True


_DIGITS = re.compile(r"(?<![\w-])(\+?)([0-9]{6,9})([0-9]{3})(?![\w-])")
_EMAIL = re.compile(r"(?<![\w.+-])([\w])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
_ROW_VALUES = re.compile(r"(Failing row contains|Key \([^()\n]*\)=)[^\n]*")


def redact(text: str) -> str:
    text = _ROW_VALUES.sub(r"\1 (values hidden)", text)
    text = _DIGITS.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    return _EMAIL.sub(r"\1***@\2", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "dossier_code": record.dossier_code,  # type: ignore[attr-defined]  # set by ContextFilter
            "correlation_id": record.correlation_id,  # type: ignore[attr-defined]
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(service: str, level: str | int | None = None) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if os.environ.get("MOTCUA_LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter(f"{service}: " + TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("MOTCUA_LOG_LEVEL", "INFO"))
    for noisy in ("kombu", "amqp", "nameko", "alembic", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def bind(dossier_code: str | None = None, correlation_id: str | None = None) -> None:
    if dossier_code:
        _dossier.set(dossier_code)
    if correlation_id:
        _correlation.set(correlation_id)


@contextmanager
def about(dossier_code: str | None = None, correlation_id: str | None = None) -> Iterator[None]:
    tokens = [(_dossier, _dossier.set(dossier_code or "-")), (_correlation, _correlation.set(correlation_id or "-"))]
    try:
        yield
    finally:
        for var, token in tokens:
            var.reset(token)


def current_correlation_id() -> str | None:
    value = _correlation.get()
    return None if value == "-" else value


def mask_id(id_number: str | None) -> str:
    """CCCD numbers are personal data: keep the last three digits only."""
    if not id_number:
        return ""
    return "*" * max(len(id_number) - 3, 0) + id_number[-3:]
