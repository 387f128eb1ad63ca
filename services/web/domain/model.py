"""A staff account: who signs in, with which role and where they work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.web.domain import policies
from services.web.domain.errors import InvalidAccount


class Role(StrEnum):
    COUNTER = "counter"  # one-stop counter officer (bộ phận một cửa), of an agency
    OFFICER = "officer"  # department officer (chuyên viên), of a department
    ADMIN = "admin"  # administrator


ROLE_WORDS = {Role.COUNTER: "Cán bộ một cửa", Role.OFFICER: "Chuyên viên phòng ban", Role.ADMIN: "Quản trị"}


def check_details(
    username: str, full_name: str, role: str, agency: str | None, department: str | None
) -> dict[str, list[str]]:
    """Problems with an account's details, by field (empty when none)."""
    problems: dict[str, list[str]] = {}
    if not re.fullmatch(policies.USERNAME_PATTERN, username or ""):
        problems["username"] = ["3-64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới"]
    if not (full_name or "").strip() or len(full_name) > 200:
        problems["full_name"] = ["Nhập họ và tên (tối đa 200 ký tự)"]
    if role not in set(Role):
        problems["role"] = ["Vai trò là counter, officer hoặc admin"]
    elif role == Role.COUNTER and not agency:
        problems["agency"] = ["Cán bộ một cửa cần mã cơ quan (ví dụ 000.00.06.H56)"]
    elif role == Role.OFFICER and not department:
        problems["department"] = ["Chuyên viên cần mã phòng ban (ví dụ QLDT)"]
    return problems


def check_password(password: str) -> None:
    if not policies.MIN_PASSWORD_LENGTH <= len(password or "") <= policies.MAX_PASSWORD_LENGTH:
        raise InvalidAccount(
            "Mật khẩu chưa đạt yêu cầu",
            {"password": [f"Từ {policies.MIN_PASSWORD_LENGTH} đến {policies.MAX_PASSWORD_LENGTH} ký tự"]},
        )


@dataclass
class Account:
    username: str
    full_name: str
    role: Role
    agency: str | None
    department: str | None
    password_hash: str
    created_at: datetime
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def record_failure(self, now: datetime) -> None:
        """A wrong password; the fifth in a row locks the account."""
        self.failed_attempts += 1
        if self.failed_attempts >= policies.LOCK_AFTER_FAILURES:
            self.locked_until = now + policies.LOCK_DURATION
            self.failed_attempts = 0

    def record_success(self) -> None:
        self.failed_attempts = 0
        self.locked_until = None

    def claims(self) -> dict[str, str | None]:
        """What the APIs' token says about this person (CONTRACT.md, Authentication)."""
        return {"sub": self.username, "agency": self.agency, "department": self.department}


@dataclass
class Session:
    """A signed-in browser; only the hash of its cookie is kept."""

    key_hash: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
