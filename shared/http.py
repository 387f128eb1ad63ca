"""HTTP helpers: the JSON error shape of CONTRACT.md, body parsing, one decorator
that turns every failure into that shape (never a stack trace, never a 500 for
bad input)."""

import base64
import functools
import hashlib
import inspect
import ipaddress
import json
import logging
import os
import re
import socket
import time
from datetime import date, datetime
from typing import Any

import eventlet
import sqlalchemy as sa
from marshmallow import ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from shared import clock, events, metrics
from shared.domain import DomainError
from shared.errors import http_error

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
CALLBACK_MAX_BYTES = 64 * 1024  # a signed callback from a carrier or gateway is a few hundred bytes
MAX_JSON_DEPTH = 32  # no request of the API nests deeper than a handful of levels
# A client that announces a body and then stalls must not hold a worker: the whole
# body within this many seconds, and every socket operation within it too.
READ_TIMEOUT_SECONDS = float(os.environ.get("MOTCUA_HTTP_READ_TIMEOUT_SECONDS") or 10)
IDLE_TIMEOUT_SECONDS = 75


class ApiError(Exception):
    """An answer in the contract's error shape; `headers` go with it (Retry-After of a 429)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.headers = headers or {}


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(body):
    """JSON text as the API answers it (times ISO 8601 with offset)."""
    return json.dumps(body, ensure_ascii=False, default=_default)


def request_hash(body):
    """A digest of a request body, the same for the same JSON whatever its key order:
    what an Idempotency-Key is checked against."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(to_json(body), status=status, mimetype="application/json", headers=headers)


def error_response(status, code, message, fields=None, headers=None):
    return json_response(status, {"error": {"code": code, "message": message, "fields": fields or {}}}, headers)


def read_body(request, max_bytes=MAX_BODY_BYTES):
    """The raw body: 413 above `max_bytes` (refused before reading when the length
    is announced), 408 when it does not arrive within READ_TIMEOUT_SECONDS."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise ApiError(413, "body_too_large", f"Dữ liệu gửi lên vượt quá {max_bytes // 1024} KB")
    try:
        with eventlet.Timeout(READ_TIMEOUT_SECONDS):
            raw = request.get_data(cache=True)
    except (eventlet.Timeout, OSError):  # the deadline, or the socket's own timeout
        raise ApiError(
            408, "request_timeout", "Dữ liệu gửi lên quá chậm; kết nối đã bị đóng, vui lòng gửi lại"
        ) from None
    if len(raw) > max_bytes:
        raise ApiError(413, "body_too_large", f"Dữ liệu gửi lên vượt quá {max_bytes // 1024} KB")
    return raw


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _deeper_than(value, limit):
    """Whether arrays and objects nest more than `limit` levels (iteratively: a
    deep document must not exhaust the stack here either)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def read_json(request, max_bytes=MAX_BODY_BYTES, max_depth=MAX_JSON_DEPTH):
    raw = read_body(request, max_bytes)
    too_deep = ApiError(400, "too_deep", f"Dữ liệu JSON lồng nhau quá {max_depth} cấp")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)  # no NaN or Infinity
    except RecursionError:  # the parser's own limit, far deeper than ours
        raise too_deep from None
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "malformed_json", "Nội dung không phải JSON hợp lệ (UTF-8)") from None
    if _deeper_than(body, max_depth):
        raise too_deep
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "Nội dung phải là một đối tượng JSON")
    return body


def recent_moment(value):
    """marshmallow validator: a moment a client gives (a reception time, a tracking
    event) lies within a year of now."""
    if not clock.near_now(value):
        raise ValidationError("Thời điểm phải trong vòng một năm so với hiện tại")


def plausible_day(value):
    """marshmallow validator: a calendar day the system can count with (catalogue
    validity, calendar overrides, a listing day)."""
    if not clock.plausible_day(value):
        raise ValidationError(f"Ngày phải từ {clock.FIRST_DAY:%d/%m/%Y} đến {clock.LAST_DAY:%d/%m/%Y}")


# marshmallow's own messages, in the words of the people using the API
WORDS = {
    "Missing data for required field.": "Bắt buộc nhập",
    "Unknown field.": "Trường này không có trong mẫu; hãy bỏ đi",
    "Field may not be null.": "Không được để trống",
    "Not a valid string.": "Phải là chuỗi ký tự",
    "Not a valid integer.": "Phải là số nguyên",
    "Not a valid boolean.": "Phải là true hoặc false",
    "Not a valid list.": "Phải là một danh sách",
    "Invalid input type.": "Sai kiểu dữ liệu (cần một đối tượng)",
    "Not a valid date.": "Ngày có dạng YYYY-MM-DD",
    "Shorter than minimum length 1.": "Không được để trống",
    "Not a valid datetime.": "Ngày giờ không hợp lệ",
}


def in_words(messages):
    if isinstance(messages, dict):
        return {str(k): in_words(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [in_words(m) for m in messages]
    return WORDS.get(messages, messages)


def load(schema, body):
    """Loaded data, or 400 with every problem named by its field. `schema` may be a
    class: its one instance is reused (building a nested schema costs more than loading)."""
    if isinstance(schema, type):
        schema = events.schema_instance(schema)
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ApiError(
            400, "invalid_input", "Dữ liệu chưa hợp lệ, xem từng trường", fields=in_words(exc.messages)
        ) from None


# What shared.openapi reads off a handler: its roles, request schemas and answers.
OPENAPI_ATTR = "openapi"


def describe(**spec):
    """Declare what a route takes and answers, for its OpenAPI document, without
    wrapping it (routes that answer on their own: /health, /metrics, HTML pages)."""

    def decorate(fn):
        setattr(fn, OPENAPI_ATTR, spec)
        return fn

    return decorate


def _nul_at(value):
    """Where a NUL character is in a JSON value or a dict of parameters (a key or a
    text), or None."""
    stack = [(value, "")]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return at or "_schema"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{at}.{key}" if at else str(key)
                if "\x00" in str(key):
                    return name
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{at}.{i}" if at else str(i)) for i, child in enumerate(item))
    return None


def refuse_nul(values):
    """400 for a NUL character anywhere: PostgreSQL text cannot hold one (the query
    would fail as a 500), and no form of ours has a use for it."""
    at = _nul_at(values)
    if at is not None:
        raise ApiError(
            400,
            "invalid_input",
            "Dữ liệu chứa ký tự NUL (U+0000), không được chấp nhận",
            {at: ["Không được chứa ký tự NUL (U+0000)"]},
        )


IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,200}")  # printable ASCII, as long as the column that keeps it


def check_idempotency_key(key):
    """400 for an Idempotency-Key that could not be kept (too long, spaces, non-ASCII)."""
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(
            400,
            "invalid_input",
            "Idempotency-Key chưa hợp lệ",
            {"Idempotency-Key": ["Từ 1 đến 200 ký tự ASCII in được, không có dấu cách"]},
        )


def _query_dict(request):
    # the first value of each name, as a form would send it
    return {name: request.args.get(name) for name in request.args}


def api(
    fn=None,
    *,
    roles=None,
    body=None,
    query=None,
    path=None,
    before=None,
    signed=False,
    body_optional=False,
    raw_body=False,
    max_bytes=MAX_BODY_BYTES,
    idempotent=False,
    answers=None,
    errors=(),
    summary=None,
):
    """Wrap an @http method: ApiError, DomainError (shared.errors) and validation
    errors become JSON errors; any
    other exception is logged and answered 500 without internals (503 when the
    database connection was lost: trying again gets a new one).

    One declaration both checks a request and documents it (shared.openapi):
    `roles` (None: no token; a tuple: a Bearer token with one of these roles; the
    claims are passed as `claims` when the method takes it, the parsed JSON as sent as
    `sent`), `before(self, request)`
    (what must pass before any parameter is read: a signature check (`signed=True`
    documents X-Signature), a rate limit), `query`, `path` and `body` (marshmallow
    schemas: their loaded data is passed as `query` and `body`, path values replace
    the method's arguments; `raw_body=True` passes the parsed JSON unloaded, for a
    handler whose domain code loads it with that very schema), `idempotent`
    (honours Idempotency-Key), `answers` {status: JSON schema, marshmallow schema or
    shared.openapi.Media} and the rules' own error statuses in `errors`."""
    if fn is None:
        return lambda f: api(
            f,
            roles=roles,
            body=body,
            query=query,
            path=path,
            before=before,
            signed=signed,
            body_optional=body_optional,
            raw_body=raw_body,
            max_bytes=max_bytes,
            idempotent=idempotent,
            answers=answers,
            errors=errors,
            summary=summary,
        )
    wanted = inspect.signature(fn).parameters

    def prepare(self, request, kwargs):
        path_values = dict(kwargs)
        if roles is not None:
            claims = self.auth.require(request, *roles)
            if "claims" in wanted:
                kwargs["claims"] = claims
        if before is not None:
            before(self, request)
        refuse_nul(path_values)
        refuse_nul(_query_dict(request))  # also what a handler reads of request.args itself
        if idempotent:
            check_idempotency_key(request.headers.get("Idempotency-Key"))
        if path is not None:
            kwargs.update(load(path, path_values))
        if query is not None:
            kwargs["query"] = load(query, _query_dict(request))
        if body is not None:
            # an empty optional body is an empty form
            raw = read_json(request, max_bytes) if not body_optional or read_body(request, max_bytes) else {}
            refuse_nul(raw)
            kwargs["body"] = raw if raw_body else load(body, raw)
            if "sent" in wanted:  # the body as sent, e.g. what an Idempotency-Key is checked against
                kwargs["sent"] = raw

    @functools.wraps(fn)
    def wrapper(self, request, *args, **kwargs):
        try:
            prepare(self, request, kwargs)
            return fn(self, request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)
        except DomainError as exc:  # a rule's refusal, answered through shared.errors' table
            return error_response(*http_error(exc))
        except ValidationError as exc:
            return error_response(400, "invalid_input", "Dữ liệu chưa hợp lệ, xem từng trường", in_words(exc.messages))
        except Exception as exc:
            if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
                # the database restarted under a pooled connection: the next try gets a new one
                log.warning("database connection lost in %s; the client may try again: %s", fn.__name__, exc.orig)
                return error_response(
                    503, "database_unavailable", "Cơ sở dữ liệu tạm thời không kết nối được; vui lòng thử lại"
                )
            log.exception("unexpected error in %s", fn.__name__)
            return error_response(500, "internal_error", "Lỗi hệ thống; yêu cầu chưa được thực hiện")

    setattr(
        wrapper,
        OPENAPI_ATTR,
        dict(
            roles=roles,
            body=body,
            query=query,
            path=path,
            signed=signed,
            idempotent=idempotent,
            body_optional=body_optional,
            answers=answers or {},
            errors=tuple(errors),
            summary=summary,
            wrapped=True,
        ),
    )
    return wrapper


# The printable pages need inline styles and the receipt's inline SVG; nothing else:
# no script unless a page names its own by hash, no frames, no plug-ins, forms only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def content_security_policy(*inline_scripts):
    """The pages' policy, allowing exactly these inline scripts (by their SHA-256)."""
    if not inline_scripts:
        return CONTENT_SECURITY_POLICY
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline_scripts
    )
    return f"{CONTENT_SECURITY_POLICY}; script-src {hashes}"


def html_response(html, status=200, inline_scripts=()):
    """A page of ours (receipts, forms, the citizen lookup)."""
    return Response(
        html,
        status=status,
        mimetype="text/html",
        headers={"Content-Security-Policy": content_security_policy(*inline_scripts)},
    )


def with_security_headers(headers):
    """Every answer of every service: no MIME sniffing; never stored by a browser or
    proxy unless the route says otherwise (most answers carry personal data: dossiers,
    lookups, receipts, forms); pages never framed."""
    present = {name.lower() for name, _ in headers}
    added = [("X-Content-Type-Options", "nosniff")]
    if "cache-control" not in present:
        added.append(("Cache-Control", "no-store"))
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    if content_type.startswith("text/html"):
        if "content-security-policy" not in present:
            added.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        added += [("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer")]
    return [h for h in headers if h[0].lower() != "x-content-type-options"] + added


class _JsonErrorsApp(WsgiApp):
    """Unknown paths and methods answer in the contract's JSON error shape too; every
    answer carries the security headers."""

    def __call__(self, environ, start_response):
        def secured(status, headers, exc_info=None):
            return start_response(status, with_security_headers(headers), exc_info)

        try:
            self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.code, "bad_request")  # type: ignore[arg-type]
            return error_response(exc.code, code, exc.description or exc.name)(environ, secured)
        return super().__call__(environ, secured)


class _JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return _JsonErrorsApp(self)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        # No Nagle delay (inherited by accepted sockets): otherwise the last part of
        # a multi-segment answer waits for the client's delayed ACK (~40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = super().get_wsgi_server(sock, wsgi_app, **kwargs)
        # nameko applies it to every accepted connection: a client that stalls within
        # a request (headers or body) is dropped instead of holding a green thread.
        server.socket_timeout = READ_TIMEOUT_SECONDS
        # Between requests a kept-alive connection may idle longer: more than a
        # reverse proxy's pooled upstream connections do (nginx: 60 s), or the proxy
        # would send a request into a connection we are closing.
        server.keepalive = IDLE_TIMEOUT_SECONDS
        return server


def trusted_networks(text):
    """MOTCUA_TRUSTED_PROXIES ("10.0.0.5, 10.1.0.0/16") as networks; a wrong entry
    stops the service at start-up rather than trusting the wrong peers."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in str(text or "").split(",") if part.strip()
    )


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request, trusted=()):
    """Who is asking: the peer, or when the peer is one of the `trusted_networks`
    (our reverse proxies), the right-most X-Forwarded-For address that is not itself
    a trusted proxy. Anyone else's X-Forwarded-For is ignored: it is whatever the
    client chose to write."""
    peer = request.remote_addr or ""
    peer_ip = _address(peer)

    def is_trusted(ip):
        return ip is not None and any(ip in net for net in trusted)

    if not is_trusted(peer_ip):
        return peer
    hops = [h for h in ",".join(request.headers.getlist("X-Forwarded-For")).split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # a garbled chain: trust nothing in it
        if not is_trusted(ip):
            return str(ip)
    return peer


class _HttpEntrypoint(HttpRequestHandler):
    server = _JsonWebServer()

    def handle_request(self, request):
        started = time.monotonic()
        response = super().handle_request(request)
        metrics.HTTP_SECONDS.labels(self.method, self.url, response.status_code).observe(time.monotonic() - started)
        return response


# `@http("GET", "/path")`: nameko's HTTP entrypoint with JSON errors for unknown routes.
http = _HttpEntrypoint.decorator
