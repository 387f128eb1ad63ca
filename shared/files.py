"""The file store: scanned papers, attachments and electronic results, by content.

A file is named by the SHA-256 of its bytes and written once, never changed: the
same content stored twice is one file. `put` streams its input in chunks of 64 KiB
(never whole in memory), hashing and counting while it writes a temporary copy, and
sniffs the type from the first bytes: PDF, JPEG or PNG, anything else is refused
(415) and so is more than the caller's limit (413), with nothing stored. `open`
streams a file back and checks on the way that its bytes still hash to its name:
a mismatch is an alarm (log, `motcua_file_corrupted_total`) and `FileCorrupted`.

A file is stored before any row refers to it; `sweep` deletes what no row refers to
once it is older than a grace period (24 hours), so a crash between the two never
leaves a row pointing at nothing. Storing content that is already there makes it
young again, so a sweep cannot take it from under the row about to refer to it.

Two backends, chosen by `file_store(url)` (MOTCUA_FILES_URL):

    (unset)               the filesystem under var/files (shared.config.var_dir)
    file:///srv/files     the filesystem under that folder: ab/cd/<sha256>
    s3://bucket/prefix    an S3-compatible object store: <prefix>/ab/cd/<sha256>, through
                          boto3 with its usual credentials (AWS_ACCESS_KEY_ID,
                          AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION) and endpoint
                          MOTCUA_S3_ENDPOINT_URL (else AWS_ENDPOINT_URL / boto3's default)

Machines (an automated department's system) may fetch a file through a signed,
expiring link: `sign_link` / `check_link` (HMAC-SHA256).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from prometheus_client import Counter

from shared import config
from shared.domain import NotFound, TooLarge, Unavailable, UnsupportedMedia

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
FILES_URL_VARIABLE = "MOTCUA_FILES_URL"
S3_ENDPOINT_VARIABLE = "MOTCUA_S3_ENDPOINT_URL"
DEFAULT_GRACE = timedelta(hours=24)

# The accepted kinds, told by their first bytes (never by the name or the declared type).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
SNIFF_BYTES = max(len(magic) for magic, _ in SIGNATURES)

SHA256 = re.compile(r"[0-9a-f]{64}")
LINK_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
# S3's rules for a bucket's name, in short
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
UPLOAD_PREFIX = ".upload-"  # the filesystem's temporary copies, beside the files

FILES_CORRUPTED = Counter(
    "motcua_file_corrupted", "Stored files whose bytes no longer hash to their name, found while reading them"
)


class FileTooLarge(TooLarge):
    """More bytes than the limit: nothing was stored."""


class FileTypeRefused(UnsupportedMedia):
    """Not a PDF, JPEG or PNG by its content: nothing was stored."""


class FileMissing(NotFound):
    """No file of that name in the store."""

    code = "file_not_found"


class FileCorrupted(Unavailable):
    """The stored bytes do not hash to the file's name: the copy is damaged (restore it
    from a backup). Raised at the end of `open`'s stream, after the alarm."""

    code = "file_corrupted"


class StoreUnavailable(Unavailable):
    """The object store did not answer."""

    code = "file_store_unavailable"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def sniff(head: bytes) -> str | None:
    """The media type the first bytes say, or None when they say none we accept."""
    for magic, media_type in SIGNATURES:
        if head.startswith(magic):
            return media_type
    return None


def receive(stream: Readable, max_bytes: int, sink: IO[bytes]) -> StoredFile:
    """Copy `stream` into `sink` chunk by chunk, hashing and counting on the way.
    The type is sniffed before the first byte is written; the limit is checked after
    every chunk. Raises FileTypeRefused or FileTooLarge (the sink then holds a part,
    which the caller throws away)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    media_type: str | None = None
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(f"Tệp vượt quá giới hạn {max_bytes} byte", {"file": f"at most {max_bytes} bytes"})
        if media_type is None:
            head += chunk
            if len(head) < SNIFF_BYTES:
                continue  # a stream may hand over fewer bytes than asked
            media_type = _sniffed(head)
            chunk, head = head, b""
        digest.update(chunk)
        sink.write(chunk)
    if media_type is None:  # ended before SNIFF_BYTES: short, maybe empty
        media_type = _sniffed(head)
        digest.update(head)
        sink.write(head)
    return StoredFile(digest.hexdigest(), size, media_type)


def _sniffed(head: bytes) -> str:
    media_type = sniff(head)
    if media_type is None:
        raise FileTypeRefused("Chỉ nhận tệp PDF, JPEG hoặc PNG", {"file": "PDF, JPEG or PNG only"})
    return media_type


class Verified:
    """Chunks of a stored file that hash them on the way and, at the end, raise
    FileCorrupted (after the alarm) when they do not hash to the file's name.
    `close()` releases the source (a WSGI server calls it)."""

    def __init__(self, sha256: str, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self.sha256 = sha256
        self._chunks = chunks
        self._release = release
        self._digest = hashlib.sha256()
        self._done = False

    def __iter__(self) -> Verified:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._done = True
            self.close()
            if self._digest.hexdigest() != self.sha256:
                FILES_CORRUPTED.inc()
                log.error(
                    "ALARM: stored file %s is corrupted: its bytes hash to %s", self.sha256, self._digest.hexdigest()
                )
                raise FileCorrupted("Tệp lưu trữ bị hỏng; đã báo cho quản trị viên", {"file": self.sha256}) from None
            raise
        except BaseException:
            self._done = True
            self.close()
            raise
        self._digest.update(chunk)
        return chunk

    def close(self) -> None:
        release, self._release = self._release, _nothing
        release()


def _nothing() -> None:
    return None


def _missing(sha256: str) -> FileMissing:
    return FileMissing("Không tìm thấy tệp", {"file": sha256})


def _named(sha256: str) -> str:
    """The name checked: 64 lowercase hex digits, nothing else (never a path)."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise _missing(str(sha256)[:80])
    return sha256


class FileStore(ABC):
    """Content-addressed, write-once storage of files."""

    @abstractmethod
    def put(self, stream: Readable, max_bytes: int) -> StoredFile:
        """Store the stream's bytes (at most max_bytes; PDF, JPEG or PNG) under their SHA-256."""

    @abstractmethod
    def open(self, sha256: str) -> Verified:
        """The file's bytes in chunks, verified against its name (FileMissing when absent,
        FileCorrupted at the end when they do not match)."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def size(self, sha256: str) -> int: ...

    @abstractmethod
    def delete(self, sha256: str, *, older_than: datetime | None = None) -> bool:
        """Remove the file (when `older_than` is given: only if it is still older);
        whether it was removed."""

    @abstractmethod
    def stored(self, older_than: datetime) -> Iterator[str]:
        """The names of the files stored (or stored again) before that moment."""

    def purge_uploads(self, older_than: datetime) -> int:
        """Remove temporary copies a crashed upload left behind; how many."""
        return 0


class FilesystemStore(FileStore):
    """Files under `root`/ab/cd/<sha256>; a temporary copy beside them first, then
    renamed into place (a reader never sees half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FilesystemStore({str(self.root)!r})"

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, stream: Readable, max_bytes: int) -> StoredFile:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=UPLOAD_PREFIX)
        try:
            with os.fdopen(fd, "wb") as sink:
                stored = receive(stream, max_bytes, sink)
                sink.flush()
                os.fsync(sink.fileno())
            final = self.path(stored.sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.utime(final)  # already there: the same bytes, young again for the sweep
            except FileNotFoundError:
                os.chmod(temporary, 0o444)  # written once
                os.replace(temporary, final)
                _sync_folder(final.parent)
            return stored
        finally:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass

    def open(self, sha256: str) -> Verified:
        try:
            handle = open(self.path(_named(sha256)), "rb")  # noqa: SIM115 (closed by Verified)
        except FileNotFoundError:
            raise _missing(sha256) from None
        return Verified(sha256, iter(lambda: handle.read(CHUNK), b""), handle.close)

    def exists(self, sha256: str) -> bool:
        return bool(SHA256.fullmatch(sha256)) and self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(_named(sha256)).stat().st_size
        except FileNotFoundError:
            raise _missing(sha256) from None

    def delete(self, sha256: str, *, older_than: datetime | None = None) -> bool:
        path = self.path(_named(sha256))
        try:
            if older_than is not None and path.stat().st_mtime >= older_than.timestamp():
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def stored(self, older_than: datetime) -> Iterator[str]:
        limit = older_than.timestamp()
        for first in _folders(self.root):
            for second in _folders(first):
                with os.scandir(second) as entries:
                    for entry in entries:
                        if (
                            SHA256.fullmatch(entry.name)
                            and entry.name[:2] == first.name
                            and entry.name[2:4] == second.name
                            and entry.is_file()
                            and entry.stat().st_mtime < limit
                        ):
                            yield entry.name

    def purge_uploads(self, older_than: datetime) -> int:
        if not self.root.is_dir():
            return 0
        removed = 0
        for path in self.root.glob(UPLOAD_PREFIX + "*"):
            try:
                if path.stat().st_mtime < older_than.timestamp():
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed


def _folders(path: Path) -> Iterator[Path]:
    """The two-hex-digit folders of the layout (nothing else under root is a file's)."""
    if not path.is_dir():
        return
    with os.scandir(path) as entries:
        names = sorted(e.name for e in entries if e.is_dir() and re.fullmatch(r"[0-9a-f]{2}", e.name))
    for name in names:
        yield path / name


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a crash once its folder is synced."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# What stays in memory of an upload on its way to S3; the rest spools to a temporary file.
S3_SPOOL_BYTES = 1024 * 1024
_NOT_THERE = {"404", "NoSuchKey", "NotFound"}


class S3Store(FileStore):
    """Objects <prefix>/ab/cd/<sha256> in a bucket. An upload is received into a
    spooled temporary file (hash and size known before anything is sent), then sent
    to its final key only when that key is not there yet; a put of content already
    stored copies the object onto itself so that it is young again for the sweep."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client if client is not None else _s3_client()

    def __repr__(self) -> str:
        return f"S3Store(s3://{self.bucket}/{self.prefix})"

    def key(self, sha256: str) -> str:
        name = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, stream: Readable, max_bytes: int) -> StoredFile:
        with tempfile.SpooledTemporaryFile(max_size=S3_SPOOL_BYTES) as spool:
            stored = receive(stream, max_bytes, spool)
            key = self.key(stored.sha256)
            with self._errors():
                if self._head(key) is not None:
                    self.client.copy_object(
                        Bucket=self.bucket,
                        Key=key,
                        CopySource={"Bucket": self.bucket, "Key": key},
                        MetadataDirective="REPLACE",
                        ContentType=stored.media_type,
                    )
                    return stored
                spool.seek(0)
                self.client.upload_fileobj(
                    spool, self.bucket, key, ExtraArgs={"ContentType": stored.media_type}, Config=_transfer_config()
                )
        return stored

    def open(self, sha256: str) -> Verified:
        with self._errors():
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(_named(sha256)))["Body"]
            except Exception as exc:
                if _not_there(exc):
                    raise _missing(sha256) from None
                raise
        return Verified(sha256, _guarded(body.iter_chunks(CHUNK)), body.close)

    def exists(self, sha256: str) -> bool:
        if not SHA256.fullmatch(sha256):
            return False
        with self._errors():
            return self._head(self.key(sha256)) is not None

    def size(self, sha256: str) -> int:
        with self._errors():
            head = self._head(self.key(_named(sha256)))
        if head is None:
            raise _missing(sha256)
        return int(head["ContentLength"])

    def delete(self, sha256: str, *, older_than: datetime | None = None) -> bool:
        key = self.key(_named(sha256))
        with self._errors():
            head = self._head(key)
            if head is None or (older_than is not None and head["LastModified"].timestamp() >= older_than.timestamp()):
                return False
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def stored(self, older_than: datetime) -> Iterator[str]:
        limit = older_than.timestamp()
        with self._errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"].rsplit("/", 1)[-1]
                    if (
                        SHA256.fullmatch(name)
                        and item["Key"] == self.key(name)
                        and item["LastModified"].timestamp() < limit
                    ):
                        yield name

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _not_there(exc):
                return None
            raise
        return head

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The store out of reach (or refusing us) is 503, never a 500."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            log.error("file store %r: %s", self, exc)
            raise StoreUnavailable("Kho lưu trữ tệp tạm thời không truy cập được; vui lòng thử lại") from exc


def _not_there(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    return str(response.get("Error", {}).get("Code")) in _NOT_THERE


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A connection lost half-way through a download is the store's fault (503)."""
    from botocore.exceptions import BotoCoreError

    try:
        yield from chunks
    except BotoCoreError as exc:
        raise StoreUnavailable("Kho lưu trữ tệp ngắt kết nối giữa chừng") from exc


def _s3_client() -> Any:
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get(S3_ENDPOINT_VARIABLE) or None
    # an S3-compatible server of our own (MinIO, Ceph, moto) answers bucket names in the path
    settings = Config(s3={"addressing_style": "path"}) if endpoint else None
    return boto3.client("s3", endpoint_url=endpoint, config=settings)


def _transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    # no thread pool: the services run on eventlet, and a file is at most tens of MB
    return TransferConfig(use_threads=False)


def file_store(url: str | None = None) -> FileStore:
    """The store a URL names (default MOTCUA_FILES_URL; unset or empty: var/files)."""
    if url is None:
        url = os.environ.get(FILES_URL_VARIABLE, "")
    url = url.strip()
    if not url:
        return FilesystemStore(config.var_dir() / "files")
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ValueError(f"{FILES_URL_VARIABLE}: no query or fragment expected in {url!r}")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"{FILES_URL_VARIABLE}: file URL names a host ({parts.netloc!r}); use file:///absolute/path"
            )
        if not parts.path.startswith("/") or parts.path.strip("/") == "":
            raise ValueError(f"{FILES_URL_VARIABLE}: file URL needs an absolute folder, as file:///srv/files")
        return FilesystemStore(Path(parts.path))
    if parts.scheme == "s3":
        if parts.username or parts.password or parts.port:
            raise ValueError(
                f"{FILES_URL_VARIABLE}: s3 URL takes a bucket only (credentials come from AWS_* variables)"
            )
        bucket = parts.hostname or ""
        if not BUCKET.fullmatch(parts.netloc) or not bucket:
            raise ValueError(f"{FILES_URL_VARIABLE}: {parts.netloc!r} is not a bucket name (s3://bucket/prefix)")
        prefix = parts.path.strip("/")
        if "//" in prefix:
            raise ValueError(f"{FILES_URL_VARIABLE}: empty folder in the prefix {parts.path!r}")
        return S3Store(bucket, prefix)
    raise ValueError(
        f"{FILES_URL_VARIABLE}: scheme {parts.scheme!r} is not one of file:///folder or s3://bucket/prefix ({url!r})"
    )


def sweep(
    store: FileStore,
    referenced: Callable[[list[str]], set[str]],
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
    batch: int = 500,
) -> list[str]:
    """Delete every file stored before now - grace that `referenced(candidates)` does
    not return (the service's rows name the files they use); what was deleted."""
    older_than = now - grace
    deleted: list[str] = []
    candidates: list[str] = []

    def settle() -> None:
        keep = referenced(list(candidates))
        for sha256 in candidates:
            if sha256 not in keep and store.delete(sha256, older_than=older_than):
                deleted.append(sha256)
        candidates.clear()

    for sha256 in store.stored(older_than):
        candidates.append(sha256)
        if len(candidates) >= batch:
            settle()
    if candidates:
        settle()
    abandoned = store.purge_uploads(older_than)
    if deleted or abandoned:
        log.info(
            "file sweep of %r: %d unreferenced files deleted, %d abandoned uploads", store, len(deleted), abandoned
        )
    return deleted


def _link_message(file_id: str, expires_at: int) -> bytes:
    return f"{file_id}\n{expires_at}".encode()


def sign_link(secret: str, file_id: str, expires_at: int) -> str:
    """The signature of a link to `file_id` valid until `expires_at` (Unix seconds)."""
    if not secret:
        raise ValueError("a link needs a secret to be signed with")
    return hmac.new(secret.encode(), _link_message(file_id, int(expires_at)), hashlib.sha256).hexdigest()


def check_link(secret: str | None, file_id: str, expires: Any, signature: Any, now: float | datetime) -> bool:
    """Whether a link's signature is right and it has not expired. `expires` and
    `signature` come from the query string: anything malformed is simply wrong."""
    if not secret or not isinstance(signature, str) or not LINK_SIGNATURE.fullmatch(signature):
        return False
    try:
        expires_at = int(str(expires)) if not isinstance(expires, int) else expires
    except ValueError:
        return False
    moment = now.timestamp() if isinstance(now, datetime) else float(now)
    if moment > expires_at:
        return False
    return hmac.compare_digest(sign_link(secret, file_id, expires_at), signature.lower())
