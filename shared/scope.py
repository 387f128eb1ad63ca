"""Who may read what: one scope rule for every service.

Dossier codes are sequential by law (<agency>-<YYMMDD>-<NNNN>), so anyone can guess
the next one; the scope of the reader is the protection, checked on every read:

- admin: everything;
- counter (claim `agency`): dossiers of its agency;
- officer (claim `department`): dossiers of which a task is or was in its department;
- portal: only what that client created itself (where it is recorded, e.g. pickups);
- any other role: nothing.

A read out of scope answers 404 `not_found`, word for word what a code that does not
exist answers: a 403 would tell a crawler of sequential codes which dossiers exist
(and how many a day an agency receives). A role that may never call an endpoint at
all still gets its 403 `forbidden` from Auth.require: that says nothing about a dossier.
"""

import hashlib
import logging
from collections.abc import Collection
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener

from shared.events import agency_of_code
from shared.http import ApiError
from shared.messaging import BROKER_GONE

log = logging.getLogger(__name__)

PROCESSING = "processing"
DEPARTMENTS_METHOD = "dossier_departments"
DEFAULT_RPC_TIMEOUT_SECONDS = 5.0


def agency_of(code: str | None) -> str | None:
    """The agency of a dossier code (shared.events.agency_of_code). A submission
    reference (TN-...) names none: only intake, which keeps the dossier's agency, can
    scope a read of it."""
    return agency_of_code(code)


def allowed(
    claims: dict[str, Any],
    agency: str | None = None,
    departments: Collection[str] = (),
    created_by: Collection[Any] | None = None,
) -> bool:
    """True when the reader of `claims` may see something of `agency`, worked on by
    `departments`, created by `created_by` ((role, sub), when recorded)."""
    role = claims.get("role")
    if role == "admin":
        return True
    if role == "counter":
        return bool(agency) and claims.get("agency") == agency
    if role == "officer":
        return bool(claims.get("department")) and claims["department"] in departments
    if role == "portal":
        return created_by is not None and tuple(created_by) == ("portal", claims.get("sub"))
    return False


def caller(claims: dict[str, Any], max_length: int = 100) -> str:
    """Who is asking, as far as scope goes: what an Idempotency-Key is remembered
    under, so that two clients of different scopes with the same `sub` never get
    each other's answers."""
    where = claims.get("agency") or claims.get("department") or ""
    identity = f"{claims.get('role')}/{where}/{claims.get('sub')}"
    if len(identity) > max_length:
        identity = f"{claims.get('role')}/sha256:{hashlib.sha256(identity.encode()).hexdigest()}"
    return identity


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def require(
    claims: dict[str, Any],
    message: str,
    agency: str | None = None,
    departments: Collection[str] = (),
    created_by: Collection[Any] | None = None,
) -> None:
    """Raise the 404 of `message` unless `allowed`."""
    if not allowed(claims, agency, departments, created_by):
        raise not_found(message)


def dossier_not_found(code: str) -> str:
    return f"Không tìm thấy hồ sơ {code}"


class DossierScope(DependencyProvider):
    """`self.dossier_scope.require(claims, code)`: 404 unless the reader may see the dossier.

    Only processing knows which departments had a task of a dossier; the other
    services ask it over nameko RPC (`processing.dossier_departments`), and only
    when the reader is an officer. No answer within SCOPE_RPC_TIMEOUT_SECONDS (or no
    processing at all) is a 503: the reader tries again, nobody waits forever."""

    reply_listener = ReplyListener()

    def setup(self) -> None:
        self.timeout = float(self.container.config.get("SCOPE_RPC_TIMEOUT_SECONDS") or DEFAULT_RPC_TIMEOUT_SECONDS)

    def get_dependency(self, worker_ctx: Any) -> "_Scope":
        return _Scope(self, worker_ctx)

    def departments(self, worker_ctx: Any, code: str) -> list[str]:
        reply, timer = None, eventlet.Timeout(self.timeout)
        try:
            reply = MethodProxy(worker_ctx, PROCESSING, DEPARTMENTS_METHOD, self.reply_listener).call_async(code)
            return list(reply.result())
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            self._forget(reply)
            log.warning("processing did not answer %s(%s) within %.1f s", DEPARTMENTS_METHOD, code, self.timeout)
        except UnknownService:
            log.warning("processing is not running: %s(%s) unanswered", DEPARTMENTS_METHOD, code)
        except RemoteError as exc:
            log.error("processing failed on %s(%s): %s", DEPARTMENTS_METHOD, code, exc)
        except BROKER_GONE as exc:
            log.warning("no broker for %s(%s): %s", DEPARTMENTS_METHOD, code, exc)
        finally:
            timer.cancel()
        raise ApiError(
            503,
            "processing_unavailable",
            "Chưa kiểm tra được quyền xem hồ sơ (dịch vụ xử lý chưa trả lời); vui lòng thử lại sau",
        )

    def _forget(self, reply: Any) -> None:
        # A reply that never comes would otherwise keep its waiting slot for good.
        if reply is not None:
            for key, event in list(self.reply_listener._reply_events.items()):
                if event is reply.reply_event:
                    self.reply_listener._reply_events.pop(key, None)


class _Scope:
    def __init__(self, provider: DossierScope, worker_ctx: Any) -> None:
        self.provider, self.worker_ctx = provider, worker_ctx

    def departments_for(self, claims: dict[str, Any], code: str) -> Collection[str]:
        """Departments that have or had a task of the dossier, asked of processing
        only when they matter (the reader is an officer); () otherwise."""
        if claims.get("role") != "officer":
            return ()
        return self.provider.departments(self.worker_ctx, code)

    def require(self, claims: dict[str, Any], code: str, message: str | None = None) -> None:
        """404 unless the reader may see dossier `code` (its agency: the code's)."""
        require(
            claims,
            message or dossier_not_found(code),
            agency=agency_of(code),
            departments=self.departments_for(claims, code),
        )
