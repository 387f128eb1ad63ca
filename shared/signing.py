"""Signed callbacks from third parties (the postal carrier's tracking, the SMS
gateway's delivery receipts): HMAC-SHA256 over the raw body, hex, in X-Signature,
and a `timestamp` (Unix seconds) in the body that must be recent, so that a
captured callback cannot be replayed later."""

import hashlib
import hmac
import re
import time
from typing import Any

SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")  # hex SHA-256, nothing else
TIMESTAMP_WINDOW_SECONDS = 300


def sign(secret: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def signature_ok(secret: str | None, raw_body: bytes, signature: Any) -> bool:
    """An empty secret never validates: it would let anyone sign. A header that is not
    64 hex digits (non-ASCII, wrong length) is simply wrong: compare_digest would
    raise on non-ASCII text."""
    if not secret or not isinstance(signature, str) or not SIGNATURE.fullmatch(signature):
        return False
    return hmac.compare_digest(sign(secret, raw_body), signature.lower())


def fresh(timestamp: Any, window_seconds: float = TIMESTAMP_WINDOW_SECONDS, now: float | None = None) -> bool:
    """Whether a callback's timestamp is within the window of the wall clock (the
    sender's clock, not the system's business clock)."""
    now = time.time() if now is None else now
    try:
        return abs(now - float(timestamp)) <= float(window_seconds)
    except (TypeError, ValueError, OverflowError):  # a timestamp beyond any float is no moment
        return False
