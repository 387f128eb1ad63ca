"""What every page shares: the signed-in person, the posted form (urlencoded or
multipart), CSRF protection, Jinja2 rendering, flash messages, and one place where
failures become pages (never a stack trace).

A page is an @http method of a mixin in services/web/pages/ wrapped by `page`:

    @http("GET", "/quay")
    @page("counter")
    def counter_home(self, request, view):
        return view.render("counter/home.html", procedures=view.api.get("intake", "/api/procedures"))

`page(*roles)`: without roles the page is public; with roles a visitor who is not
signed in is sent to /dang-nhap and one of another role gets a 403 page. Every POST
must carry the form field `csrf_token` (`view.csrf_token` in the templates).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Response

from services.web import application, words
from services.web.adapters.repository import WebWork
from services.web.backends import ApiProblem, Unreachable
from services.web.domain.model import Role
from shared import auth, clock, config
from shared.domain import DomainError
from shared.errors import status_of
from shared.http import ApiError, client_address, read_body, trusted_networks

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent.parent
SESSION_COOKIE = "motcua_session"
CSRF_COOKIE = "motcua_csrf"
FLASH_COOKIE = "motcua_flash"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 256 * 1024

# The pages' own script (htmx) and style sheet, nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(words=words, Role=Role)
templates.filters.update(day=words.day, moment=words.moment, status=words.status, money=words.money)


class Pages:
    """What an area's page mixin finds on the service (services/web/service.py)."""

    config: Any
    db: Any
    backends: Any
    hasher: Any


class SignedInRecently:
    """Who a session cookie belonged to a moment ago: asking the database on every
    page was a third of the web's CPU. Signing out, disabling an account or changing
    its password forgets it here at once; another web process learns of it within
    SECONDS."""

    SECONDS = 5.0

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        kept = self.accounts.get(key)
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    def keep(self, key: str, account: Any) -> None:
        if len(self.accounts) > 10_000:  # the ones long gone
            now = time.monotonic()
            self.accounts = {k: v for k, v in self.accounts.items() if v[0] > now}
        self.accounts[key] = (time.monotonic() + self.SECONDS, account)

    def forget(self, key: str | None = None, username: str | None = None) -> None:
        self.accounts = {
            k: v for k, v in self.accounts.items() if k != key and (username is None or v[1].username != username)
        }


signed_in_recently = SignedInRecently()


class SignInNeeded(Exception):
    pass


class PageRefused(Exception):
    """A page this person may not see or a form that cannot be taken (status, message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _csrf_key() -> bytes:
    # derived from the installation's JWT secret: one secret to keep, still a separate key
    return hmac.new(auth.secret().encode(), b"motcua-web-csrf", hashlib.sha256).digest()


def csrf_token_for(browser: str, session_key: str | None) -> str:
    """The form token of a browser (its CSRF cookie) in a session (none before sign-in):
    a forged page has neither cookie to compute it from, and a token from before the
    sign-in does not work after it."""
    message = f"{browser}|{session_key or ''}".encode()
    return hmac.new(_csrf_key(), message, hashlib.sha256).hexdigest()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path of this site after sign-in: never another site (//evil, https://...)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def home_of(account: Any) -> str:
    if account.role == Role.COUNTER:
        return "/quay"
    if account.role == Role.OFFICER:
        return f"/phong/{quote(account.department or '')}"
    return "/quan-tri"


class View:
    """One request of one page: the person, the form, the APIs, rendering."""

    def __init__(self, service: Any, request: Any, max_bytes: int = MAX_FORM_BYTES) -> None:
        self.service, self.request, self.max_bytes = service, request, max_bytes
        self.cfg = service.config
        self.now = clock.now()
        self.user: Any = None
        self.session_key = request.cookies.get(SESSION_COOKIE) or None
        self.browser = request.cookies.get(CSRF_COOKIE) or ""
        self._new_browser = False
        if len(self.browser) < 32:
            self.browser, self._new_browser = secrets.token_urlsafe(32), True
        self._form: MultiDict | None = None
        self._files: dict[str, tuple[str, bytes]] = {}
        self._file_lists: dict[str, list[tuple[str, bytes]]] = {}
        self._cookies: list[tuple[str, str, dict[str, Any]]] = []
        self._api: Any = None

    # -- who is asking
    def idle(self) -> timedelta:
        return timedelta(minutes=float(self.cfg.get("SESSION_IDLE_MINUTES", 60)))

    def longest(self) -> timedelta:
        return timedelta(hours=float(self.cfg.get("SESSION_HOURS", 12)))

    def load_user(self) -> None:
        if self.session_key:
            self.user = signed_in_recently.get(self.session_key)
            if self.user is None:
                with self.service.db.work(WebWork) as work:
                    self.user = application.signed_in(work, self.session_key, self.now, self.idle())
                if self.user is not None:
                    signed_in_recently.keep(self.session_key, self.user)
            if self.user is None:
                self.session_key = None
                self.forget_cookie(SESSION_COOKIE)

    def require(self, *roles: str) -> None:
        if self.user is None:
            raise SignInNeeded()
        if self.user.role not in roles:
            raise PageRefused(403, "Tài khoản của bạn không được mở trang này")

    @property
    def client(self) -> str:
        return client_address(self.request, trusted_networks(self.cfg.get("TRUSTED_PROXIES")))

    @property
    def api(self) -> Any:
        if self._api is None:
            self._api = self.service.backends.api(self.user, client=None if self.user else self.client)
        return self._api

    # -- forms
    @property
    def form(self) -> MultiDict:
        """The posted fields, urlencoded or multipart, within the page's size limit."""
        if self._form is None:
            raw = read_body(self.request, self.max_bytes)
            if self.request.mimetype == "multipart/form-data":
                self._form, self._file_lists = _multipart(raw, self.request, self.max_bytes)
                self._files = {name: found[0] for name, found in self._file_lists.items() if found}
            else:
                try:
                    text = raw.decode("utf-8")
                    self._form = MultiDict(parse_qsl(text, keep_blank_values=True, max_num_fields=2000))
                except (UnicodeDecodeError, ValueError):
                    raise PageRefused(400, "Biểu mẫu gửi lên không đọc được") from None
            if any("\x00" in k or "\x00" in v for k, v in self._form.items(multi=True)):
                raise PageRefused(400, "Biểu mẫu chứa ký tự không hợp lệ (NUL)")
        return self._form

    @property
    def files(self) -> dict[str, tuple[str, bytes]]:
        """{field: (file name, bytes)} of a multipart form."""
        self.form  # noqa: B018  (reads the body once)
        return self._files

    def file_list(self, field: str) -> list[tuple[str, bytes]]:
        """[(file name, bytes)] of a multipart field that takes several files (`multiple`);
        a file input left empty (no name, no bytes) is not in it."""
        self.form  # noqa: B018  (reads the body once)
        return [(name, data) for name, data in self._file_lists.get(field, []) if name or data]

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.browser, self.session_key)

    def check_csrf(self) -> None:
        sent = self.form.get(CSRF_FIELD, "")
        if self._new_browser or not hmac.compare_digest(sent, self.csrf_token):
            raise PageRefused(
                403, "Biểu mẫu đã hết hạn hoặc không gửi từ trang của hệ thống; hãy mở lại trang và gửi lại"
            )

    # -- answers
    def secure_cookies(self) -> bool:
        value = str(self.cfg.get("SECURE_COOKIE", "auto")).strip().lower()
        return not config.development_mode() if value == "auto" else value in ("1", "true", "yes")

    def set_cookie(self, name: str, value: str, **options: Any) -> None:
        self._cookies.append((name, value, options))

    def forget_cookie(self, name: str) -> None:
        self._cookies.append((name, "", {"max_age": 0}))

    def start_session(self, key: str) -> None:
        """After a sign-in: the session cookie, and a new browser token (no fixation)."""
        self.session_key = key
        self.set_cookie(SESSION_COOKIE, key)
        self.browser, self._new_browser = secrets.token_urlsafe(32), True

    def end_session(self) -> None:
        signed_in_recently.forget(key=self.session_key)
        self.session_key = None
        self.forget_cookie(SESSION_COOKIE)

    def flash(self, message: str) -> None:
        self.set_cookie(FLASH_COOKIE, quote(message), max_age=60)

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        flash = self.request.cookies.get(FLASH_COOKIE)
        if flash:
            self.forget_cookie(FLASH_COOKIE)
        html = templates.get_template(template).render(
            user=self.user,
            csrf_token=self.csrf_token,
            csrf_field=CSRF_FIELD,
            flash=unquote(flash) if flash else None,
            path=self.request.path,
            now=self.now,
            **context,
        )
        return self.finish(Response(html, status=status, mimetype="text/html"))

    def redirect(self, location: str, flash: str | None = None) -> Response:
        if flash:
            self.flash(flash)
        return self.finish(Response("", status=303, headers={"Location": location}))

    def passthrough(self, answer: Any) -> Response:
        """A printable page another service renders (Form 01-05), with that service's own policy."""
        headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-security-policy"}
        return Response(answer.content, status=200, mimetype="text/html", headers=headers)

    def finish(self, response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["Cache-Control"] = "no-store"
        if self._new_browser:
            self.set_cookie(CSRF_COOKIE, self.browser)
        secure = self.secure_cookies()
        for name, value, options in self._cookies:
            response.set_cookie(name, value, httponly=True, samesite="Strict", secure=secure, path="/", **options)
        self._cookies.clear()
        return response


def error_page(view: View, status: int, message: str, retry_after: str | None = None) -> Response:
    response = view.render("error.html", status=status, status_code=status, message=message, retry_after=retry_after)
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


def _multipart(raw: bytes, request: Any, max_bytes: int) -> tuple[MultiDict, dict[str, list[tuple[str, bytes]]]]:
    parser = FormDataParser(max_form_memory_size=max_bytes, max_content_length=max_bytes, max_form_parts=50)
    try:
        _, form, files = parser.parse(BytesIO(raw), request.mimetype, len(raw), request.mimetype_params)
    except RequestEntityTooLarge:
        raise ApiError(413, "body_too_large", f"Dữ liệu gửi lên vượt quá {max_bytes // 1024} KB") from None
    except ValueError:
        raise PageRefused(400, "Biểu mẫu gửi lên không đọc được") from None
    kept: dict[str, list[tuple[str, bytes]]] = {}
    for name, storage in files.items(multi=True):
        kept.setdefault(name, []).append((storage.filename or "", storage.read()))
    return MultiDict(form.items(multi=True)), kept


def page(*roles: str, max_bytes: int = MAX_FORM_BYTES) -> Any:
    """`max_bytes`: the largest form the page takes (a file upload's page raises it)."""

    def decorate(fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(self: Any, request: Any, **kwargs: Any) -> Response:
            view = View(self, request, max_bytes)
            try:
                view.load_user()
                if roles:
                    view.require(*roles)
                if request.method == "POST":
                    view.check_csrf()
                return fn(self, request, view, **kwargs)
            except SignInNeeded:
                target = request.full_path.rstrip("?") if request.method == "GET" else request.path
                return view.redirect("/dang-nhap?next=" + quote(target, safe="/"))
            except PageRefused as exc:
                return error_page(view, exc.status, exc.message)
            except ApiProblem as exc:
                if exc.status == 401:  # the session outlived the account or its role
                    view.end_session()
                    return view.redirect("/dang-nhap", flash="Phiên làm việc đã hết; vui lòng đăng nhập lại")
                return error_page(view, exc.status, exc.message, exc.retry_after)
            except Unreachable as exc:
                return error_page(view, 503, str(exc))
            except ApiError as exc:  # reading the form: too large, too slow
                return error_page(view, exc.status, exc.message)
            except DomainError as exc:
                return error_page(view, status_of(exc), exc.message)
            except Exception:
                log.exception("unexpected error on %s %s", request.method, request.path)
                return error_page(view, 500, "Lỗi hệ thống; thao tác chưa được thực hiện. Vui lòng thử lại.")

        return wrapper

    return decorate
