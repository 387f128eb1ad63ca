"""Logs that say which dossier they are about.

`about(dossier_code, correlation_id)` sets the context for the current green thread;
every record logged there carries both. ID numbers never go into logs: use
`mask_id()` when an applicant must be named.
"""
import contextvars
import json
import logging
import os
from contextlib import contextmanager

_dossier = contextvars.ContextVar("dossier_code", default="-")
_correlation = contextvars.ContextVar("correlation_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [dossier=%(dossier_code)s corr=%(correlation_id)s] %(message)s"


class ContextFilter(logging.Filter):
    def filter(self, record):
        record.dossier_code = _dossier.get()
        record.correlation_id = _correlation.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": self.formatTime(record), "level": record.levelname, "logger": record.name,
            "dossier_code": record.dossier_code, "correlation_id": record.correlation_id,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(service, level=None):
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if os.environ.get("MOTCUA_LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(f"{service}: " + TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("MOTCUA_LOG_LEVEL", "INFO"))
    for noisy in ("kombu", "amqp", "nameko", "alembic", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def bind(dossier_code=None, correlation_id=None):
    if dossier_code:
        _dossier.set(dossier_code)
    if correlation_id:
        _correlation.set(correlation_id)


@contextmanager
def about(dossier_code=None, correlation_id=None):
    tokens = [(_dossier, _dossier.set(dossier_code or "-")),
              (_correlation, _correlation.set(correlation_id or "-"))]
    try:
        yield
    finally:
        for var, token in tokens:
            var.reset(token)


def current_correlation_id():
    value = _correlation.get()
    return None if value == "-" else value


def mask_id(id_number):
    """CCCD numbers are personal data: keep the last three digits only."""
    if not id_number:
        return ""
    return "*" * max(len(id_number) - 3, 0) + id_number[-3:]
