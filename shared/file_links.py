"""Signed, expiring links to a dossier's file (intake's GET /api/files/{id}): what the
events' `url` is, for an automated department's system to fetch a file without a
token. intake signs its attachments' links and checks them; processing signs the
link of the result file it announces in result_ready (intake serves it). HMAC-SHA256
(shared.files.sign_link) under a key derived from the installation's JWT secret
(shared.auth.secret), so no second secret needs deploying; valid LINK_SECONDS."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from shared import auth
from shared.files import check_link, sign_link

LINK_SECONDS = 15 * 60
KEY_PURPOSE = b"motcua intake file links v1"


def key() -> str:
    """The links' key: derived from the JWT secret, never the secret itself (a leaked
    link key signs no token)."""
    return hmac.new(auth.secret().encode(), KEY_PURPOSE, hashlib.sha256).hexdigest()


def signed_path(file_id: str, now: datetime, secret: str | None = None) -> str:
    """/api/files/{id}?expires=...&signature=..., valid LINK_SECONDS from `now`."""
    expires_at = int(now.timestamp()) + LINK_SECONDS
    signature = sign_link(secret or key(), file_id, expires_at)
    return f"/api/files/{file_id}?{urlencode({'expires': expires_at, 'signature': signature})}"


def signer(now: datetime) -> Callable[[str], str]:
    """The `link` the rules take: file id -> its signed path, as of `now`."""
    secret = key()
    return lambda file_id: signed_path(file_id, now, secret)


def valid(file_id: str, expires: object, signature: object, now: datetime) -> bool:
    return check_link(key(), file_id, expires, signature, now)
