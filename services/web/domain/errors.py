"""The web service's refusals, in the shared categories (shared.domain)."""

from datetime import datetime

from shared.domain import Conflict, Forbidden, InvalidInput, NotFound


class SignInRefused(Forbidden):
    """Wrong username or password: one message for both, so neither is revealed."""

    code = "sign_in_refused"

    def __init__(self) -> None:
        super().__init__("Tên đăng nhập hoặc mật khẩu không đúng")


class AccountLocked(Forbidden):
    code = "account_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần; thử lại sau {until:%H:%M} ngày {until:%d/%m/%Y}"
        )
        self.until = until


class AccountExists(Conflict):
    code = "account_exists"


class AccountNotFound(NotFound):
    code = "account_not_found"


class InvalidAccount(InvalidInput):
    """An account's details or password that the policies refuse, with the fields at fault."""
