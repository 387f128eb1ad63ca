"""A dossier's files over HTTP against the running services: upload,
download byte-identical, the refusals that store nothing, the read scope, the signed
links, and the events that list files by reference (read from the broker)."""

import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta

import kombu
import pytest
import requests

from shared import file_links
from shared.config import ROOT
from shared.messaging import event_exchange
from tests.helpers import wait_for
from tests.system import ADMIN, BUSINESS_MORNING, COUNTER, dossier_body, officer, token

pytestmark = pytest.mark.e2e

PORTAL = token("portal", sub="dichvucong")
OTHER_COUNTER = token("counter", agency="000.00.01.H56", sub="canbo.khac")
MB = 1024 * 1024
DOCUMENT = "Tờ khai"  # the paper dossier_body() lists


def pdf(size, seed=b""):
    """`size` bytes that sniff as a PDF (a header, then bytes that differ per seed)."""
    head = b"%PDF-1.7\n%" + seed + b"\n"
    block = hashlib.sha256(seed + b"motcua").digest() * 2048  # 64 KiB
    body = (block * (size // len(block) + 1))[: size - len(head)]
    return head + body


def call(system, method, path, headers=None, **kwargs):
    return requests.request(method, system.url("intake", path), headers=headers or {}, timeout=60, **kwargs)


def upload(system, code, content, headers=COUNTER, name="to-khai.pdf", document=DOCUMENT):
    return call(
        system,
        "POST",
        f"/api/dossiers/{code}/files",
        headers,
        files={"file": (name, content, "application/pdf")},
        data={"document": document},
    )


def online(system):
    response = call(system, "POST", "/api/dossiers", PORTAL, json=dossier_body(channel="online"))
    assert response.status_code == 201, response.text
    return response.json()["reference"]


def stored_files(system):
    """Every file under the store's folder (the services' MOTCUA_VAR_DIR/files)."""
    root = system.logdir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def intake_events(system):
    """A queue of our own bound to intake's exchange: the events as published."""
    connection = kombu.Connection(system.env["MOTCUA_AMQP_URI"])
    queue = kombu.Queue(
        f"test-files-{uuid.uuid4().hex[:8]}",
        exchange=event_exchange("intake"),
        bindings=[
            kombu.binding(event_exchange("intake"), routing_key=t)
            for t in ("dossier_received", "dossier_files_added", "dossier_supplemented")
        ],
        exclusive=True,
    )
    bound = queue(connection.default_channel)
    bound.declare()

    def event(event_type, dossier_code, timeout=30):
        seen = []

        def arrived():
            while (message := bound.get(no_ack=True)) is not None:
                seen.append(json.loads(message.body))
            return next((e for e in seen if (e["event_type"], e["dossier_code"]) == (event_type, dossier_code)), None)

        return wait_for(arrived, timeout=timeout, interval=0.2, message=f"{event_type} of {dossier_code}")

    yield event
    connection.release()


def test_a_pdf_goes_in_by_reference_and_comes_back_byte_identical(system, intake_events):
    reference = online(system)
    content = pdf(MB, seed=uuid.uuid4().bytes)
    digest = hashlib.sha256(content).hexdigest()
    before = len(stored_files(system))

    answer = upload(system, reference, content, PORTAL, name="../scan/tờ khai.pdf")
    assert answer.status_code == 201, answer.text
    file = answer.json()
    assert file["sha256"] == digest and file["size"] == MB and file["type"] == "application/pdf"
    assert file["name"] == "tờ khai.pdf" and file["document"] == DOCUMENT
    assert file["uploaded_by"] == "dichvucong" and file["uploaded_at"]
    assert len(stored_files(system)) == before + 1

    # the dossier view lists it
    view = call(system, "GET", f"/api/dossiers/{reference}", COUNTER).json()
    assert view["files"] == [file]

    # staff in scope download it, byte-identical; the hash is checked on the way
    for reader in (COUNTER, ADMIN):
        download = call(system, "GET", f"/api/files/{file['id']}", reader)
        assert download.status_code == 200, download.text
        assert download.content == content and hashlib.sha256(download.content).hexdigest() == digest
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Length"] == str(MB)
        assert download.headers["Cache-Control"] == "no-store"
        assert download.headers["Content-Disposition"] == (
            "attachment; filename=\"to khai.pdf\"; filename*=UTF-8''t%E1%BB%9D%20khai.pdf"
        )

    # out of scope, the file does not exist: another agency's counter, an officer of a
    # department that never had the dossier, the portal (not staff), no token
    for reader, status in ((OTHER_COUNTER, 404), (officer("QLDT"), 404), (PORTAL, 403), ({}, 401)):
        refused = call(system, "GET", f"/api/files/{file['id']}", reader)
        assert refused.status_code == status, (reader, refused.text)
    assert call(system, "GET", f"/api/files/{uuid.uuid4()}", COUNTER).status_code == 404

    # the counter accepts it: dossier_received lists the file by reference, with a signed link
    accepted = call(system, "POST", f"/api/dossiers/{reference}/accept", COUNTER, json={})
    assert accepted.status_code == 200, accepted.text
    code = accepted.json()["code"]
    assert accepted.json()["files"] == [file]  # the file followed the dossier's new code
    received = intake_events("dossier_received", code)
    [listed] = received["data"]["files"]
    assert {k: listed[k] for k in ("id", "document", "sha256", "size", "type")} == {
        "id": file["id"],
        "document": DOCUMENT,
        "sha256": digest,
        "size": MB,
        "type": "application/pdf",
    }
    assert "content" not in json.dumps(received["data"]["files"])  # a reference, never the bytes

    # the signed link works without a token ...
    link = call(system, "GET", listed["url"])
    assert link.status_code == 200, link.text
    assert link.content == content

    # ... and not once tampered with, or expired
    path, _, query = listed["url"].partition("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    tampered = {**params, "signature": params["signature"][:-1] + ("0" if params["signature"][-1] != "0" else "1")}
    longer = {**params, "expires": str(int(params["expires"]) + 3600)}
    other_file = f"/api/files/{uuid.uuid4()}"
    for url, query_params in ((path, tampered), (path, longer), (other_file, params)):
        refused = call(system, "GET", url, params=query_params)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "invalid_link"
    expired = file_links.signed_path(file["id"], BUSINESS_MORNING - timedelta(days=1))
    refused = call(system, "GET", expired)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "invalid_link"
    assert call(system, "GET", expired.replace("expires=", "x=")).status_code == 403  # half a link is no link

    # the counter scans another paper after reception: dossier_files_added
    scan = upload(system, code, pdf(200 * 1024, seed=uuid.uuid4().bytes), document="Giấy tờ khác")
    assert scan.status_code == 201, scan.text
    added = intake_events("dossier_files_added", code)
    assert [f["id"] for f in added["data"]["files"]] == [scan.json()["id"]]
    view = call(system, "GET", f"/api/dossiers/{code}", COUNTER).json()
    assert [f["id"] for f in view["files"]] == [file["id"], scan.json()["id"]]


def test_refused_uploads_store_nothing(system):
    reference = online(system)
    before = stored_files(system)

    # 25 MB: refused from its announced length, before a byte is read
    big = upload(system, reference, pdf(25 * MB, seed=b"big"))
    assert big.status_code == 413, big.text
    assert big.json()["error"]["code"] == "file_too_large"
    # one byte over 20 MB: the store refuses it while streaming
    over = upload(system, reference, pdf(20 * MB + 1, seed=b"over"))
    assert over.status_code == 413, over.text

    # an executable named .pdf: the content says what it is
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + os.urandom(64 * 1024)
    renamed = upload(system, reference, exe, name="to-khai.pdf")
    assert renamed.status_code == 415, renamed.text

    # another agency's counter: 403 (the Done-when), another portal: the dossier's 404
    other = upload(system, reference, pdf(MB, seed=b"other"), OTHER_COUNTER)
    assert other.status_code == 403, other.text
    assert other.json()["error"]["code"] == "other_agency"
    other_portal = upload(system, reference, pdf(MB, seed=b"other"), token("portal", sub="cong-khac"))
    assert other_portal.status_code == 404, other_portal.text
    # neither an officer nor a document the dossier does not name
    assert upload(system, reference, pdf(MB, seed=b"x"), officer("TUPHAP")).status_code == 403
    unknown = upload(system, reference, pdf(MB, seed=b"unknown"), document="Sổ hộ khẩu")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_document"
    # not multipart, or no file part
    assert call(system, "POST", f"/api/dossiers/{reference}/files", COUNTER, json={}).status_code == 400
    no_file = call(system, "POST", f"/api/dossiers/{reference}/files", COUNTER, files={"document": (None, DOCUMENT)})
    assert no_file.status_code == 400, no_file.text

    # a refused (closed) dossier takes no papers
    reason = {"reason": "Không đúng thẩm quyền giải quyết"}
    assert call(system, "POST", f"/api/dossiers/{reference}/refuse", COUNTER, json=reason).ok
    closed = upload(system, reference, pdf(MB, seed=b"closed"))
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "wrong_status"

    assert stored_files(system) == before
    view = call(system, "GET", f"/api/dossiers/{reference}", COUNTER).json()
    assert view["files"] == []


def test_a_corrupted_file_is_an_alarm_and_a_short_body(system):
    reference = online(system)
    content = pdf(300 * 1024, seed=uuid.uuid4().bytes)
    file = upload(system, reference, content).json()
    [path] = [p for p in stored_files(system) if p.name == file["sha256"]]
    path.chmod(0o644)
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 0xFF
    path.write_bytes(bytes(damaged))

    response = requests.get(system.url("intake", f"/api/files/{file['id']}"), headers=COUNTER, stream=True, timeout=30)
    assert response.status_code == 200  # the headers went before the last chunk was checked
    received = b""
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for chunk in response.iter_content(64 * 1024):
            received += chunk
    assert len(received) < len(content)  # the damaged last chunk never left
    metrics = call(system, "GET", "/metrics").text
    assert float(re.search(r"^motcua_file_corrupted_total (\S+)$", metrics, re.M).group(1)) >= 1
    log = (system.logdir / "intake.log").read_text(encoding="utf-8", errors="replace")
    assert f"ALARM: file {file['id']} of dossier {reference}" in log

    path.unlink()  # gone from the store: 404 file_not_found before any byte
    missing = call(system, "GET", f"/api/files/{file['id']}", COUNTER)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "file_not_found"


def test_the_sweep_removes_what_no_dossier_refers_to(system):
    reference = online(system)
    kept = upload(system, reference, pdf(100 * 1024, seed=uuid.uuid4().bytes)).json()
    orphan = pdf(100 * 1024, seed=uuid.uuid4().bytes)
    orphan_sha = hashlib.sha256(orphan).hexdigest()
    # stored, then refused before a row referred to it (a document the dossier does not name,
    # sent after the file part): what a crash between the two would leave
    refused = call(
        system,
        "POST",
        f"/api/dossiers/{reference}/files",
        COUNTER,
        files=[("file", ("x.pdf", orphan, "application/pdf")), ("document", (None, "Sổ hộ khẩu"))],
    )
    assert refused.status_code == 422, refused.text
    names = {p.name for p in stored_files(system)}
    assert {kept["sha256"], orphan_sha} <= names
    for p in stored_files(system):  # stored more than 24 hours ago
        os.utime(p, (p.stat().st_atime - 25 * 3600, p.stat().st_mtime - 25 * 3600))

    run = subprocess.run(
        [sys.executable, "-m", "shared.cli", "files", "sweep"],
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert f"removed {orphan_sha}" in run.stdout
    names = {p.name for p in stored_files(system)}
    assert orphan_sha not in names and kept["sha256"] in names
    assert call(system, "GET", f"/api/files/{kept['id']}", COUNTER).content[:5] == b"%PDF-"
