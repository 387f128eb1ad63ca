"""A file upload (multipart/form-data) read as it arrives: the file part goes straight
into the file store (`put(reader)` pulls it chunk by chunk; it is never whole in
memory), the other fields are kept (small). werkzeug's sans-IO MultipartDecoder
parses the body; every read of the socket must deliver within the read timeout
(shared.http.READ_TIMEOUT_SECONDS), and the whole body within a deadline that grows
with its announced length, so a stalled or crawling client does not hold a worker."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import eventlet
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

from shared.http import READ_TIMEOUT_SECONDS, ApiError

CHUNK_BYTES = 64 * 1024
FIELD_MAX_BYTES = 4 * 1024  # `document` is a document's name
FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers, the other fields
MAX_PARTS = 10
MAX_BUFFERED_BYTES = 4 * CHUNK_BYTES
# the slowest upload still accepted: its announced length at this rate, plus the read timeout
MIN_BYTES_PER_SECOND = 128 * 1024
FILE_FIELD = "file"


@dataclass
class Upload:
    """What the form carried: what `put` answered for the file part, the file's name
    as sent, and the other fields (text)."""

    stored: Any = None
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413, "file_too_large", f"Tệp vượt quá {max_bytes // (1024 * 1024)} MB", {FILE_FIELD: ["Tệp quá lớn"]}
    )


def refuse_early(request: Any, max_bytes: int) -> None:
    """413 before anything is read when the announced length is above a file of
    `max_bytes` and the form around it; 411 without a length (chunked); 400 when the
    body is not multipart/form-data."""
    length = request.content_length
    if length is None:  # a chunked body: the server hands the application none of it
        raise ApiError(411, "length_required", "Cần tiêu đề Content-Length khi gửi tệp")
    if length > max_bytes + FORM_OVERHEAD_BYTES:
        raise too_large(max_bytes)
    boundary(request)


def boundary(request: Any) -> bytes:
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        raise ApiError(
            400,
            "invalid_input",
            "Gửi tệp bằng multipart/form-data với trường file và trường document",
            {FILE_FIELD: ["Cần nội dung multipart/form-data"]},
        )
    return str(options["boundary"]).encode("latin-1")


class _Body:
    """The request body read chunk by chunk, each read within READ_TIMEOUT_SECONDS and
    all of it before the deadline (408 otherwise)."""

    def __init__(self, request: Any) -> None:
        self.stream = request.stream
        length = request.content_length or 0
        self.deadline = time.monotonic() + READ_TIMEOUT_SECONDS + length / MIN_BYTES_PER_SECOND

    def read(self) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _timeout()
        try:
            with eventlet.Timeout(min(READ_TIMEOUT_SECONDS, left)):
                chunk: bytes = self.stream.read(CHUNK_BYTES)
                return chunk
        except (eventlet.Timeout, OSError):  # the deadline, or the socket's own timeout
            raise _timeout() from None


def _timeout() -> ApiError:
    return ApiError(408, "request_timeout", "Dữ liệu gửi lên quá chậm; kết nối đã bị đóng, vui lòng gửi lại")


def _malformed(message: str = "Nội dung multipart/form-data không hợp lệ") -> ApiError:
    return ApiError(400, "invalid_input", message, {FILE_FIELD: [message]})


class _Events:
    """The decoder's events, reading the body as the decoder needs more."""

    def __init__(self, request: Any) -> None:
        self.body = _Body(request)
        # no max_form_memory_size: werkzeug applies it to the buffer of every part, the
        # file's too; the buffer holds one chunk and what the decoder has not handed out
        # yet (bounded below), a field's value is bounded in `receive`
        self.decoder = MultipartDecoder(boundary(request), max_parts=MAX_PARTS)
        self.ended = False

    def next(self) -> Any:
        while True:
            try:
                event = self.decoder.next_event()
            except RequestEntityTooLarge:
                raise ApiError(413, "body_too_large", "Biểu mẫu có quá nhiều phần") from None
            except ValueError:
                raise _malformed() from None
            if event is not NEED_DATA:
                return event
            if self.ended:
                raise _malformed("Nội dung multipart/form-data bị cắt ngang")
            if len(self.decoder.buffer) > MAX_BUFFERED_BYTES:  # a part's headers that never end
                raise _malformed()
            chunk = self.body.read()
            if chunk:
                self.decoder.receive_data(chunk)
            else:
                self.ended = True
                self.decoder.receive_data(None)


class _FilePart:
    """The file part as a readable stream (read(n) -> bytes, b"" at its end), pulled
    from the body only as the store reads it."""

    def __init__(self, events: _Events) -> None:
        self.events, self.buffer, self.done = events, bytearray(), False

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self.buffer) < size) and not self.done:
            event = self.events.next()
            if not isinstance(event, Data):
                raise _malformed()
            self.done = not event.more_data
            self.buffer += event.data
        if size < 0 or size >= len(self.buffer):
            out, self.buffer = bytes(self.buffer), bytearray()
        else:
            out = bytes(self.buffer[:size])
            del self.buffer[:size]
        return out

    def drain(self) -> None:
        while not self.done:
            self.read(CHUNK_BYTES)
        self.buffer.clear()


def receive(
    request: Any, put: Callable[[Any], Any], before_file: Callable[[dict[str, str]], None] | None = None
) -> Upload:
    """Read the form: the `file` part through `put(reader)` (the store reads it and
    answers what it stored), the other fields as text; `before_file(fields so far)`
    may refuse the upload before anything is stored. 400 without exactly one file."""
    events, upload, files = _Events(request), Upload(), 0
    while True:
        event = events.next()
        if isinstance(event, Epilogue):
            break
        if isinstance(event, File):
            if event.name != FILE_FIELD or files:
                raise _malformed("Chỉ gửi một tệp, trong trường file")
            files += 1
            upload.filename = event.filename
            if before_file is not None:
                before_file(upload.fields)
            part = _FilePart(events)
            upload.stored = put(part)
            part.drain()
        elif isinstance(event, Field):
            value = b""
            while True:
                data = events.next()
                if not isinstance(data, Data):
                    raise _malformed()
                value += data.data
                if len(value) > FIELD_MAX_BYTES:
                    raise ApiError(413, "body_too_large", "Trường của biểu mẫu quá dài", {event.name: ["Quá dài"]})
                if not data.more_data:
                    break
            upload.fields[event.name] = value.decode("utf-8", "replace")
    if not files:
        raise _malformed("Thiếu tệp (trường file)")
    return upload


def content_disposition(name: str) -> str:
    """`attachment` with the file's name: an ASCII fallback (accents dropped, đ as d)
    and the exact name in UTF-8 (RFC 6266 / RFC 8187 `filename*`): a header's bytes
    are Latin-1, a Vietnamese name is not."""
    bare = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    fallback = "".join(c for c in bare if c.isascii() and c.isprintable() and c not in '"\\')
    fallback = fallback.strip() or "tep"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
