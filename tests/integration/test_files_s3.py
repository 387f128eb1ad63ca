"""The file store's S3 backend against an S3-speaking server: moto's server mode, started
here as a process of its own on this machine, reached over HTTP by boto3 exactly as a
production object store would be (MOTCUA_S3_ENDPOINT_URL, credentials from AWS_*)."""

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from prometheus_client import REGISTRY

from shared.domain import TooLarge, Unavailable, UnsupportedMedia
from shared.errors import status_of
from shared.files import CHUNK, FileCorrupted, FileMissing, S3Store, StoredFile, file_store, sweep

PDF = b"%PDF-1.7\n"
MB = 1024 * 1024


def pdf(size, seed=b"x"):
    body = hashlib.sha256(seed).digest() * (size // 32 + 1)
    return (PDF + body)[:size]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not start (see {log.name})") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint


@pytest.fixture
def bucket(s3_env):
    """A bucket of the test's own, made with boto3 straight, and the raw client to look inside."""
    name = f"motcua-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_env)
    client.create_bucket(Bucket=name)
    return name, client


@pytest.fixture
def store(bucket, monkeypatch):
    name, _ = bucket
    monkeypatch.setenv("MOTCUA_FILES_URL", f"s3://{name}/dossiers")
    store = file_store()
    assert isinstance(store, S3Store)
    return store


def keys(bucket):
    name, client = bucket
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", ()))


def test_a_1_mb_pdf_comes_back_byte_identical_with_the_same_sha256(store, bucket):
    content = pdf(MB)
    stored = store.put(io.BytesIO(content), max_bytes=20 * MB)
    sha = hashlib.sha256(content).hexdigest()
    assert stored == StoredFile(sha, MB, "application/pdf")
    back = b"".join(store.open(sha))
    assert back == content and hashlib.sha256(back).hexdigest() == sha
    assert store.exists(sha) and store.size(sha) == MB
    key = f"dossiers/{sha[:2]}/{sha[2:4]}/{sha}"
    assert keys(bucket) == [key]
    name, client = bucket
    assert client.head_object(Bucket=name, Key=key)["ContentType"] == "application/pdf"


def test_a_20_mb_file_comes_back_whole(store):
    content = pdf(20 * MB, seed=b"big")
    stored = store.put(io.BytesIO(content), max_bytes=20 * MB)
    assert stored.size == 20 * MB
    assert hashlib.sha256(b"".join(store.open(stored.sha256))).hexdigest() == stored.sha256


def test_too_large_and_unsupported_store_nothing(store, bucket):
    with pytest.raises(TooLarge) as too_large:
        store.put(io.BytesIO(pdf(3 * CHUNK)), max_bytes=2 * CHUNK)
    assert status_of(too_large.value) == 413
    with pytest.raises(UnsupportedMedia) as unsupported:
        store.put(io.BytesIO(b"MZ\x90\x00" + b"\0" * 10_000), max_bytes=20 * MB)
    assert status_of(unsupported.value) == 415
    assert keys(bucket) == []
    # no upload left half-done either
    name, client = bucket
    assert client.list_multipart_uploads(Bucket=name).get("Uploads", []) == []


def test_the_same_content_twice_is_one_object(store, bucket):
    content = pdf(4000)
    first = store.put(io.BytesIO(content), 20 * MB)
    assert store.put(io.BytesIO(content), 20 * MB) == first
    assert len(keys(bucket)) == 1


def test_an_overwritten_object_is_detected_while_reading(store, bucket):
    content = pdf(2 * CHUNK + 3)
    sha = store.put(io.BytesIO(content), 20 * MB).sha256
    damaged = bytearray(content)
    damaged[CHUNK + 1] ^= 0x40
    name, client = bucket
    client.put_object(Bucket=name, Key=store.key(sha), Body=bytes(damaged))

    before = REGISTRY.get_sample_value("motcua_file_corrupted_total") or 0
    received = []
    with pytest.raises(FileCorrupted) as corrupted:
        for chunk in store.open(sha):
            received.append(chunk)
    assert b"".join(received) == bytes(damaged)
    assert REGISTRY.get_sample_value("motcua_file_corrupted_total") == before + 1
    assert status_of(corrupted.value) != 500


def test_a_missing_object_is_not_found(store):
    absent = "0" * 64
    assert not store.exists(absent)
    with pytest.raises(FileMissing):
        store.open(absent)
    with pytest.raises(FileMissing):
        store.size(absent)


def test_sweep_keeps_referenced_and_young_objects_and_deletes_the_rest(store, bucket):
    kept, swept = (store.put(io.BytesIO(pdf(100, seed=s)), 1000).sha256 for s in (b"kept", b"swept"))
    name, client = bucket
    client.put_object(Bucket=name, Key="dossiers/not-a-file.txt", Body=b"left alone")
    client.put_object(Bucket=name, Key="elsewhere/" + kept, Body=b"outside the prefix")
    client.put_object(Bucket=name, Key="dossiers/" + swept, Body=b"not where a file lives")

    now = datetime.now(UTC)
    # everything here is minutes old: young, nothing to ask about
    assert sweep(store, lambda c: pytest.fail(f"asked about young files {c}"), now) == []
    # a day and more later both are old; only the unreferenced one goes
    later = now + timedelta(hours=25)
    assert sorted(store.stored(later - timedelta(hours=24))) == sorted([kept, swept])
    asked = []
    assert sweep(store, lambda c: asked.append(sorted(c)) or {kept}, later) == [swept]
    assert asked == [sorted([kept, swept])]
    assert store.exists(kept) and not store.exists(swept)
    assert keys(bucket) == sorted(
        ["dossiers/not-a-file.txt", "dossiers/" + swept, "elsewhere/" + kept, store.key(kept)]
    )


def test_an_object_stored_again_is_young_again(store):
    content = pdf(300, seed=b"again")
    sha = store.put(io.BytesIO(content), 1000).sha256
    time.sleep(1.1)  # S3 keeps LastModified to the second (truncated): a second either side
    between = datetime.now(UTC)
    assert list(store.stored(between)) == [sha]
    time.sleep(1.1)
    store.put(io.BytesIO(content), 1000)
    assert list(store.stored(between)) == []


def test_a_store_out_of_reach_is_503_not_500(monkeypatch, s3_env):
    monkeypatch.setenv("MOTCUA_S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = file_store("s3://motcua-nowhere/x")
    with pytest.raises(Unavailable) as away:
        store.put(io.BytesIO(pdf(100)), 1000)
    assert status_of(away.value) == 503
    with pytest.raises(Unavailable):
        store.exists("0" * 64)
    assert os.environ["MOTCUA_S3_ENDPOINT_URL"] != s3_env


def test_intake_on_the_s3_backend_gives_back_a_dossiers_pdf_byte_identical(
    s3_endpoint, new_vhost, database_server, tmp_path, monkeypatch
):
    """The issue's first check on the second backend: intake itself on S3 (moto), not
    the store alone: a 1 MB PDF uploaded to a dossier comes back with the same SHA-256."""
    from tests.system import COUNTER, System, dossier_body

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "moto")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "moto")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"ho-so-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    server, prefix = database_server
    amqp = new_vhost("s3")
    intake = System(amqp, server, prefix + "s3_", tmp_path)
    intake.env.update(
        {
            "MOTCUA_FILES_URL": f"s3://{bucket}/motcua",
            "MOTCUA_S3_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": "moto",
            "AWS_SECRET_ACCESS_KEY": "moto",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        intake.start("intake")
        intake.wait_healthy(["intake"])
        submitted = requests.post(
            intake.url("intake", "/api/dossiers"), json=dossier_body(), headers=COUNTER, timeout=30
        )
        assert submitted.status_code == 201, submitted.text
        code = submitted.json()["code"]
        content = pdf(MB, seed=bucket.encode())
        uploaded = requests.post(
            intake.url("intake", f"/api/dossiers/{code}/files"),
            files={"file": ("to-khai.pdf", content, "application/pdf")},
            data={"document": "Tờ khai"},
            headers=COUNTER,
            timeout=60,
        )
        assert uploaded.status_code == 201, uploaded.text
        answer = uploaded.json()
        assert answer["sha256"] == hashlib.sha256(content).hexdigest() and answer["size"] == MB
        keys = [
            o["Key"] for o in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
        ]
        assert keys == [f"motcua/{answer['sha256'][:2]}/{answer['sha256'][2:4]}/{answer['sha256']}"]
        back = requests.get(intake.url("intake", f"/api/files/{answer['id']}"), headers=COUNTER, timeout=60)
        assert back.status_code == 200 and back.content == content
        assert hashlib.sha256(back.content).hexdigest() == answer["sha256"]
    finally:
        intake.stop_all()
        new_vhost.delete(amqp)
