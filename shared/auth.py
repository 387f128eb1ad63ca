"""JWT bearer tokens: roles and claims of CONTRACT.md."""
import logging
import os
import time

import jwt
from nameko.extensions import DependencyProvider

from shared.config import DEV_JWT_SECRET
from shared.http import ApiError

log = logging.getLogger(__name__)

ROLES = ("counter", "officer", "portal", "admin")
ALGORITHM = "HS256"


def secret():
    value = os.environ.get("MOTCUA_JWT_SECRET")
    return value or DEV_JWT_SECRET


def using_dev_secret():
    return not os.environ.get("MOTCUA_JWT_SECRET")


def issue(role, sub=None, agency=None, department=None, hours=12, key=None):
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "counter" and not agency:
        raise ValueError("a counter token needs --agency (the counter's agency code)")
    if role == "officer" and not department:
        raise ValueError("an officer token needs --department")
    issued = int(time.time())  # real time, not the business clock: PyJWT checks against it
    claims = {"sub": sub or f"{role}-user", "role": role, "iat": issued, "exp": issued + hours * 3600}
    if agency:
        claims["agency"] = agency
    if department:
        claims["department"] = department
    return jwt.encode(claims, key or secret(), algorithm=ALGORITHM)


def verify(header_value, key=None):
    """Claims of a valid `Bearer` token; ApiError 401 otherwise."""
    if not header_value or not header_value.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", "Cần đăng nhập: thiếu mã xác thực (Authorization: Bearer ...)")
    try:
        claims = jwt.decode(header_value[len("Bearer "):].strip(), key or secret(), algorithms=[ALGORITHM],
                            options={"require": ["sub", "role", "exp"]})
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "token_expired", "Phiên đăng nhập đã hết hạn")
    except jwt.InvalidTokenError:
        raise ApiError(401, "invalid_token", "Mã xác thực không hợp lệ")
    if claims.get("role") not in ROLES:
        raise ApiError(401, "invalid_token", "Mã xác thực không có vai trò hợp lệ")
    return claims


class Auth(DependencyProvider):
    """`claims = self.auth.require(request, "counter")`: 401 without a valid token,
    403 when the role is not among those allowed."""

    def setup(self):
        self.key = secret()

    def get_dependency(self, worker_ctx):
        return self

    def require(self, request, *roles):
        claims = verify(request.headers.get("Authorization"), self.key)
        if roles and claims["role"] not in roles:
            raise ApiError(403, "forbidden", f"Vai trò '{claims['role']}' không được thực hiện thao tác này")
        return claims
