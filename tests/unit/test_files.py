"""The file store's filesystem backend on the real disk (tmp_path), the store's URL,
the sweep and the signed links. The S3 backend: tests/integration/test_files_s3.py."""

import hashlib
import io
import os
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from shared import files
from shared.domain import NotFound, TooLarge, UnsupportedMedia
from shared.errors import http_error, status_of
from shared.files import (
    CHUNK,
    FileCorrupted,
    FileMissing,
    FilesystemStore,
    S3Store,
    StoredFile,
    check_link,
    file_store,
    sign_link,
    sweep,
)

PDF = b"%PDF-1.7\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
MB = 1024 * 1024


def pdf(size, seed=b"x"):
    """A PDF-looking body of exactly `size` bytes, different for each seed."""
    body = hashlib.sha256(seed).digest() * (size // 32 + 1)
    return (PDF + body)[:size]


class Trickle:
    """A stream that hands over at most `step` bytes a read, counting what it gave."""

    def __init__(self, data, step=CHUNK):
        self.data, self.step, self.given = data, step, 0

    def read(self, size=-1):
        n = min(self.step, size if size >= 0 else len(self.data))
        chunk = self.data[self.given : self.given + n]
        self.given += len(chunk)
        return chunk


class Endless:
    """A PDF stream that never ends (bounded only by `total`, far beyond any limit)."""

    def __init__(self, total):
        self.total, self.given = total, 0

    def read(self, size=-1):
        if self.given >= self.total:
            return b""
        n = min(size, self.total - self.given)
        chunk = (PDF + b"\0" * n)[:n] if self.given == 0 else b"\0" * n
        self.given += n
        return chunk


def everything_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path):
    return FilesystemStore(tmp_path / "files")


def test_a_1_mb_pdf_comes_back_byte_identical_with_the_same_sha256(store):
    content = pdf(MB)
    stored = store.put(io.BytesIO(content), max_bytes=20 * MB)
    sha = hashlib.sha256(content).hexdigest()
    assert stored == StoredFile(sha, MB, "application/pdf")
    chunks = list(store.open(sha))
    back = b"".join(chunks)
    assert back == content and hashlib.sha256(back).hexdigest() == sha
    assert max(len(c) for c in chunks) <= CHUNK and len(chunks) == MB // CHUNK
    assert store.exists(sha) and store.size(sha) == MB
    # content-addressed layout: ab/cd/<sha256>, and no temporary copy left
    assert everything_under(store.root) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


@pytest.mark.parametrize(
    "head, media_type", [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")], ids=["pdf", "jpeg", "png"]
)
def test_the_type_is_sniffed_from_the_first_bytes(store, head, media_type):
    assert store.put(io.BytesIO(head + b"rest"), 1000).media_type == media_type


def test_sniffing_waits_for_enough_bytes_from_a_stream_that_trickles(store):
    content = PNG + b"\x01" * 300
    stored = store.put(Trickle(content, step=1), 1000)
    assert stored.media_type == "image/png" and stored.size == len(content)
    assert b"".join(store.open(stored.sha256)) == content


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 5000, b"\x7fELF\x02\x01\x01" + b"\0" * 100, b"PK\x03\x04", b"%PD", b""],
    ids=["exe-named-pdf", "elf", "zip", "truncated-pdf-magic", "empty"],
)
def test_anything_but_pdf_jpeg_png_is_415_and_stores_nothing(store, content):
    with pytest.raises(UnsupportedMedia) as refused:
        store.put(io.BytesIO(content), 20 * MB)
    assert status_of(refused.value) == 415 and http_error(refused.value)[1] == "unsupported_media_type"
    assert everything_under(store.root) == []


def test_more_than_the_limit_is_413_as_soon_as_passed_and_stores_nothing(store):
    assert store.put(io.BytesIO(pdf(1000)), max_bytes=1000).size == 1000  # the limit itself is allowed
    store.delete(hashlib.sha256(pdf(1000)).hexdigest())

    with pytest.raises(TooLarge) as refused:
        store.put(io.BytesIO(pdf(1001)), max_bytes=1000)
    assert status_of(refused.value) == 413 and http_error(refused.value)[1] == "too_large"

    endless = Endless(total=10**12)  # a terabyte that is never read whole
    with pytest.raises(TooLarge):
        store.put(endless, max_bytes=20 * MB)
    assert endless.given <= 20 * MB + CHUNK
    assert everything_under(store.root) == []


def test_a_20_mb_upload_is_streamed_not_held_in_memory(store):
    size = 20 * MB
    tracemalloc.start()
    try:
        stored = store.put(Endless(total=size), max_bytes=size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == size
    assert peak < 2 * MB, f"peak {peak} bytes while storing 20 MB"


def test_the_same_content_twice_is_one_file_made_young_again(store):
    content = pdf(5000)
    first = store.put(io.BytesIO(content), 20 * MB)
    path = store.path(first.sha256)
    old = time.time() - 3 * 86400
    os.utime(path, (old, old))
    assert list(store.stored(datetime.now(UTC) - timedelta(days=1))) == [first.sha256]

    second = store.put(io.BytesIO(content), 20 * MB)
    assert second == first
    assert everything_under(store.root) == [str(path.relative_to(store.root))]
    # stored again: a sweep must not take it from under the row about to refer to it
    assert list(store.stored(datetime.now(UTC) - timedelta(days=1))) == []


def test_a_flipped_byte_is_detected_while_reading(store):
    content = pdf(3 * CHUNK + 17)
    sha = store.put(io.BytesIO(content), 20 * MB).sha256
    path = store.path(sha)
    os.chmod(path, 0o644)
    damaged = bytearray(path.read_bytes())
    damaged[2 * CHUNK + 5] ^= 0x01
    path.write_bytes(bytes(damaged))

    before = REGISTRY.get_sample_value("motcua_file_corrupted_total") or 0
    reader = store.open(sha)
    received = []
    with pytest.raises(FileCorrupted) as corrupted:
        for chunk in reader:
            received.append(chunk)
    assert b"".join(received) == bytes(damaged)  # every chunk went out; the verdict comes at the end
    assert REGISTRY.get_sample_value("motcua_file_corrupted_total") == before + 1
    assert status_of(corrupted.value) != 500 and corrupted.value.code == "file_corrupted"
    # an intact file raises nothing and counts nothing
    good = store.put(io.BytesIO(pdf(100, seed=b"good")), 1000).sha256
    assert b"".join(store.open(good)) == pdf(100, seed=b"good")
    assert REGISTRY.get_sample_value("motcua_file_corrupted_total") == before + 1


@pytest.mark.parametrize("name", ["0" * 64, "../../etc/passwd", "A" * 64, "0" * 63])
def test_a_missing_or_malformed_name_is_not_found(store, name):
    with pytest.raises(FileMissing) as missing:
        store.open(name)
    assert isinstance(missing.value, NotFound) and status_of(missing.value) == 404
    assert not store.exists(name)
    with pytest.raises(FileMissing):
        store.size(name)


def test_sweep_keeps_referenced_and_young_files_and_deletes_the_rest(store):
    now = datetime.now(UTC)
    kept_old, swept_old, young = (store.put(io.BytesIO(pdf(100, seed=s)), 1000).sha256 for s in (b"a", b"b", b"c"))
    two_days_ago = time.time() - 2 * 86400
    for sha in (kept_old, swept_old):
        os.utime(store.path(sha), (two_days_ago, two_days_ago))
    abandoned = store.root / (files.UPLOAD_PREFIX + "crashed")
    abandoned.write_bytes(PDF)
    os.utime(abandoned, (two_days_ago, two_days_ago))
    fresh_upload = store.root / (files.UPLOAD_PREFIX + "running")
    fresh_upload.write_bytes(PDF)

    asked = []

    def referenced(candidates):
        asked.append(sorted(candidates))
        return {kept_old} & set(candidates)

    assert sweep(store, referenced, now) == [swept_old]
    assert asked == [sorted([kept_old, swept_old])]  # young files are not even candidates
    assert store.exists(kept_old) and store.exists(young) and not store.exists(swept_old)
    assert not abandoned.exists() and fresh_upload.exists()
    # with no grace at all, the young one goes too
    assert sweep(store, lambda c: {kept_old}, now + timedelta(seconds=1), grace=timedelta(0)) == [young]


def test_sweep_asks_in_batches(store):
    shas = [store.put(io.BytesIO(pdf(100, seed=bytes([i]))), 1000).sha256 for i in range(5)]
    batches = []
    deleted = sweep(store, lambda c: batches.append(len(c)) or set(), datetime.now(UTC) + timedelta(days=2), batch=2)
    assert sorted(deleted) == sorted(shas) and batches == [2, 2, 1]
    assert everything_under(store.root) == []


def test_an_empty_store_sweeps_nothing(tmp_path):
    store = FilesystemStore(tmp_path / "never-made")
    assert list(store.stored(datetime.now(UTC))) == []
    assert sweep(store, lambda c: pytest.fail("nothing to ask about"), datetime.now(UTC)) == []


def test_the_url_chooses_the_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTCUA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("MOTCUA_FILES_URL", raising=False)
    default = file_store()
    assert isinstance(default, FilesystemStore) and default.root == tmp_path / "var" / "files"
    monkeypatch.setenv("MOTCUA_FILES_URL", "")
    assert file_store().root == tmp_path / "var" / "files"

    monkeypatch.setenv("MOTCUA_FILES_URL", f"file://{tmp_path}/elsewhere")
    assert file_store().root == tmp_path / "elsewhere"

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = file_store("s3://motcua-files/prod/dossiers/")
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix) == ("motcua-files", "prod/dossiers")
    assert s3.key("ab" * 32) == "prod/dossiers/ab/ab/" + "ab" * 32
    assert file_store("s3://motcua-files").key("ab" * 32) == "ab/ab/" + "ab" * 32


@pytest.mark.parametrize(
    "url, named",
    [
        ("ftp://host/files", "'ftp'"),
        ("/var/files", "scheme ''"),
        ("file://server/share", "'server'"),
        ("file://", "absolute folder"),
        ("s3://", "bucket name"),
        ("s3://Bad_Bucket/x", "'Bad_Bucket'"),
        ("s3://key:secret@bucket/x", "credentials"),
        ("s3://bucket/a//b", "empty folder"),
        ("s3://bucket/x?region=y", "query"),
    ],
)
def test_a_wrong_url_says_what_is_wrong(url, named):
    with pytest.raises(ValueError, match="MOTCUA_FILES_URL") as wrong:
        file_store(url)
    assert named in str(wrong.value)


def test_a_signed_link_holds_until_it_expires():
    secret, file_id, expires = "s" * 32, "3f1c0b9e-file", 1_900_000_000
    signature = sign_link(secret, file_id, expires)
    assert check_link(secret, file_id, expires, signature, now=expires - 60)
    assert check_link(secret, file_id, str(expires), signature.upper(), now=expires)  # from a query string
    assert check_link(secret, file_id, expires, signature, now=datetime.fromtimestamp(expires - 1, UTC))
    assert not check_link(secret, file_id, expires, signature, now=expires + 1)  # expired
    assert not check_link(secret, "another-file", expires, signature, now=0)
    assert not check_link(secret, file_id, expires + 86400, signature, now=0)  # a later expiry is not signed
    assert not check_link("t" * 32, file_id, expires, signature, now=0)
    assert not check_link("", file_id, expires, sign_link("x", file_id, expires), now=0)
    tampered = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not check_link(secret, file_id, expires, tampered, now=0)
    for malformed in (None, "", "zz" * 32, signature[:-1], "é" * 64, 42):
        assert not check_link(secret, file_id, expires, malformed, now=0)
    for garbage in ("soon", None, "1e9", ""):
        assert not check_link(secret, file_id, garbage, signature, now=0)
    with pytest.raises(ValueError):
        sign_link("", file_id, expires)
