"""HTTP helpers: the JSON error shape of CONTRACT.md, body parsing, one decorator
that turns every failure into that shape (never a stack trace, never a 500 for
bad input)."""
import functools
import hashlib
import json
import logging
import socket
import time
from datetime import date, datetime

import sqlalchemy as sa
from marshmallow import ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from shared import events, metrics

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


class ApiError(Exception):
    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


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


def json_response(status, body, headers=None):
    return Response(to_json(body), status=status, mimetype="application/json", headers=headers)


def error_response(status, code, message, fields=None):
    return json_response(status, {"error": {"code": code, "message": message, "fields": fields or {}}})


def read_json(request, max_bytes=MAX_BODY_BYTES):
    length = request.content_length
    if length is not None and length > max_bytes:
        raise ApiError(413, "body_too_large", f"Dữ liệu gửi lên vượt quá {max_bytes // 1024} KB")
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise ApiError(413, "body_too_large", f"Dữ liệu gửi lên vượt quá {max_bytes // 1024} KB")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "malformed_json", "Nội dung không phải JSON hợp lệ (UTF-8)")
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "Nội dung phải là một đối tượng JSON")
    return body


# marshmallow's own messages, in the words of the people using the API
WORDS = {"Missing data for required field.": "Bắt buộc nhập",
         "Unknown field.": "Trường này không có trong mẫu; hãy bỏ đi",
         "Field may not be null.": "Không được để trống",
         "Not a valid string.": "Phải là chuỗi ký tự",
         "Not a valid integer.": "Phải là số nguyên",
         "Not a valid boolean.": "Phải là true hoặc false",
         "Not a valid list.": "Phải là một danh sách",
         "Invalid input type.": "Sai kiểu dữ liệu (cần một đối tượng)",
         "Not a valid date.": "Ngày có dạng YYYY-MM-DD"}


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
        raise ApiError(400, "invalid_input", "Dữ liệu chưa hợp lệ, xem từng trường", fields=in_words(exc.messages))


def api(fn):
    """Wrap an @http method: ApiError and validation errors become JSON errors; any
    other exception is logged and answered 500 without internals (503 when the
    database connection was lost: trying again gets a new one)."""
    @functools.wraps(fn)
    def wrapper(self, request, *args, **kwargs):
        try:
            return fn(self, request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.fields)
        except ValidationError as exc:
            return error_response(400, "invalid_input", "Dữ liệu chưa hợp lệ, xem từng trường", in_words(exc.messages))
        except Exception as exc:
            if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
                # the database restarted under a pooled connection: the next try gets a new one
                log.warning("database connection lost in %s; the client may try again: %s", fn.__name__, exc.orig)
                return error_response(503, "database_unavailable",
                                      "Cơ sở dữ liệu tạm thời không kết nối được; vui lòng thử lại")
            log.exception("unexpected error in %s", fn.__name__)
            return error_response(500, "internal_error", "Lỗi hệ thống; yêu cầu chưa được thực hiện")
    return wrapper


class _JsonErrorsApp(WsgiApp):
    """Unknown paths and methods answer in the contract's JSON error shape too."""

    def __call__(self, environ, start_response):
        try:
            self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.code, "bad_request")
            return error_response(exc.code, code, exc.description or exc.name)(environ, start_response)
        return super().__call__(environ, start_response)


class _JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return _JsonErrorsApp(self)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        # No Nagle delay (inherited by accepted sockets): otherwise the last part of
        # a multi-segment answer waits for the client's delayed ACK (~40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().get_wsgi_server(sock, wsgi_app, **kwargs)


class _HttpEntrypoint(HttpRequestHandler):
    server = _JsonWebServer()

    def handle_request(self, request):
        started = time.monotonic()
        response = super().handle_request(request)
        metrics.HTTP_SECONDS.labels(self.method, self.url, response.status_code).observe(time.monotonic() - started)
        return response


# `@http("GET", "/path")`: nameko's HTTP entrypoint with JSON errors for unknown routes.
http = _HttpEntrypoint.decorator
