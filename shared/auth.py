"""JWT bearer tokens: roles and claims of CONTRACT.md."""

import logging
import os
import time
from collections.abc import Iterable
from typing import Any

import jwt
from nameko.extensions import DependencyProvider

from shared.config import DEV_JWT_SECRET, development_mode
from shared.http import ApiError
from shared.secret_policy import JWT_SECRET_VAR, SecretMissing

log = logging.getLogger(__name__)

ROLES = ("counter", "officer", "portal", "admin", "department_system")
# A department's own software (nameko RPC processing.decide_task), never a person:
# HTTP endpoints accept it only where they name it.
MACHINE_ROLES = ("department_system",)
ALGORITHM = "HS256"


def secret() -> str:
    """The signing key. The development secret only in development mode: elsewhere a
    token signed with it fails verification, and no secret at all is an error."""
    value = os.environ.get(JWT_SECRET_VAR)
    if development_mode():
        return value or DEV_JWT_SECRET
    if not value or value == DEV_JWT_SECRET:
        raise SecretMissing(
            f"{JWT_SECRET_VAR} is not set (or is the development secret); outside development "
            "mode (MOTCUA_ENV=development) tokens need the installation's own secret"
        )
    return value


def using_dev_secret() -> bool:
    return development_mode() and not os.environ.get(JWT_SECRET_VAR)


def issue(
    role: str,
    sub: str | None = None,
    agency: str | None = None,
    department: str | None = None,
    hours: float = 12,
    key: str | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "counter" and not agency:
        raise ValueError("a counter token needs --agency (the counter's agency code)")
    if role in ("officer", "department_system") and not department:
        raise ValueError(f"a {role} token needs --department")
    if role == "department_system":
        sub = sub or f"system.{department}"
    issued = int(time.time())  # real time, not the business clock: PyJWT checks against it
    claims: dict[str, Any] = {
        "sub": sub or f"{role}-user",
        "role": role,
        "iat": issued,
        "exp": issued + int(hours * 3600),
    }
    if agency:
        claims["agency"] = agency
    if department:
        claims["department"] = department
    return jwt.encode(claims, key or secret(), algorithm=ALGORITHM)


def verify(header_value: str | None, key: str | None = None) -> dict[str, Any]:
    """Claims of a valid `Bearer` token; ApiError 401 otherwise."""
    if not header_value or not header_value.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", "Cần đăng nhập: thiếu mã xác thực (Authorization: Bearer ...)")
    try:
        claims = jwt.decode(
            header_value[len("Bearer ") :].strip(),
            key or secret(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "token_expired", "Phiên đăng nhập đã hết hạn") from None
    except jwt.InvalidTokenError:
        raise ApiError(401, "invalid_token", "Mã xác thực không hợp lệ") from None
    if claims.get("role") not in ROLES:
        raise ApiError(401, "invalid_token", "Mã xác thực không có vai trò hợp lệ")
    return claims


class Auth(DependencyProvider):
    """`claims = self.auth.require(request, "counter")`: 401 without a valid token,
    403 when the role is not among those allowed."""

    def setup(self) -> None:
        self.key = secret()

    def get_dependency(self, worker_ctx: Any) -> "Auth":
        return self

    def require(self, request: Any, *roles: str) -> dict[str, Any]:
        return self._allowed(verify(request.headers.get("Authorization"), self.key), roles)

    def require_token(self, token: Any, *roles: str) -> dict[str, Any]:
        """The same check for a bare token (an RPC argument rather than a header)."""
        if not isinstance(token, str) or not token.strip():
            return self._allowed(verify(None, self.key), roles)
        return self._allowed(verify("Bearer " + token.strip(), self.key), roles)

    @staticmethod
    def _allowed(claims: dict[str, Any], roles: Iterable[str]) -> dict[str, Any]:
        if claims["role"] not in (roles or [r for r in ROLES if r not in MACHINE_ROLES]):
            raise ApiError(403, "forbidden", f"Vai trò '{claims['role']}' không được thực hiện thao tác này")
        return claims
