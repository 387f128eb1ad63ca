"""The web service's use cases: accounts, sign-in with lockout, sessions. Framework-
free: a unit of work (adapters.repository.WebWork, or a fake), a password hasher
(adapters.passwords) and the time are passed in."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.web.domain.errors import AccountExists, AccountLocked, AccountNotFound, InvalidAccount, SignInRefused
from services.web.domain.model import Account, Role, Session, check_details, check_password


class Hasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...


def session_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_account(
    work: Any,
    hasher: Hasher,
    *,
    username: str,
    full_name: str,
    role: str,
    agency: str | None,
    department: str | None,
    password: str,
    now: datetime,
) -> Account:
    problems = check_details(username, full_name, role, agency, department)
    if problems:
        raise InvalidAccount("Thông tin tài khoản chưa hợp lệ", problems)
    check_password(password)
    if work.accounts.get(username) is not None:
        raise AccountExists(f"Tài khoản '{username}' đã có", {"username": ["Tên đăng nhập đã được dùng"]})
    account = Account(
        username=username,
        full_name=full_name.strip(),
        role=Role(role),
        agency=agency if role == Role.COUNTER else None,
        department=department if role == Role.OFFICER else None,
        password_hash=hasher.hash(password),
        created_at=now,
    )
    work.accounts.add(account)
    return account


@dataclass
class SignIn:
    """The outcome of an attempt: a session key, or the refusal. A refusal is returned,
    not raised, so that the failure it counted is committed with it."""

    account: Account | None = None
    key: str | None = None
    refusal: SignInRefused | AccountLocked | None = None


def sign_in(
    work: Any, hasher: Hasher, username: str, password: str, now: datetime, idle: timedelta, longest: timedelta
) -> SignIn:
    """The row is locked while the attempt is counted, so parallel guesses cannot slip
    past the limit."""
    account = work.accounts.get(username, for_update=True)
    if account is None or not account.active:
        hasher.verify(DUMMY_HASH_HOLDER.get(hasher), password)  # the same time as a real check
        return SignIn(refusal=SignInRefused())
    if account.locked_at(now):
        return SignIn(refusal=AccountLocked(account.locked_until))
    if not hasher.verify(account.password_hash, password):
        account.record_failure(now)
        if account.locked_at(now):
            return SignIn(refusal=AccountLocked(account.locked_until))
        return SignIn(refusal=SignInRefused())
    account.record_success()
    if hasher.needs_rehash(account.password_hash):  # the hasher's parameters were raised since
        account.password_hash = hasher.hash(password)
    key = secrets.token_urlsafe(32)
    work.sessions.add(
        Session(
            key_hash=session_hash(key),
            username=account.username,
            created_at=now,
            last_seen_at=now,
            expires_at=now + longest,
        )
    )
    work.sessions.forget_before(now - idle, now)
    return SignIn(account=account, key=key)


def signed_in(work: Any, key: str | None, now: datetime, idle: timedelta) -> Account | None:
    """The account of a session cookie, while the session is neither expired nor idle
    too long and the account is active; each use (at most once a minute) keeps it alive."""
    if not key:
        return None
    found = work.sessions.with_account(session_hash(key))
    if found is None:
        return None
    session, account = found
    if now >= session.expires_at or now - session.last_seen_at >= idle or not account.active:
        return None
    if now - session.last_seen_at >= timedelta(minutes=1):
        work.sessions.touch(session.key_hash, now)
    return account


def sign_out(work: Any, key: str | None) -> None:
    if key:
        work.sessions.remove(session_hash(key))


def set_password(work: Any, hasher: Hasher, username: str, password: str) -> Account:
    account = _existing(work, username)
    check_password(password)
    account.password_hash = hasher.hash(password)
    account.record_success()
    work.sessions.remove_all_of(username)  # a new password signs every browser out
    return account


def set_active(work: Any, username: str, active: bool) -> Account:
    account = _existing(work, username)
    account.active = active
    if not active:
        work.sessions.remove_all_of(username)
    else:
        account.record_success()
    return account


def _existing(work: Any, username: str) -> Account:
    account = work.accounts.get(username, for_update=True)
    if account is None:
        raise AccountNotFound(f"Không có tài khoản '{username}'")
    return account


class _DummyHashes:
    """One hash per hasher of a password nobody has, computed once."""

    def __init__(self) -> None:
        self._hashes: dict[int, str] = {}

    def get(self, hasher: Hasher) -> str:
        if id(hasher) not in self._hashes:
            self._hashes[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
        return self._hashes[id(hasher)]


DUMMY_HASH_HOLDER = _DummyHashes()
