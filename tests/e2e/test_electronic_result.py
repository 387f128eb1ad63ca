"""The electronic result through the whole running system: the
officer holding the last step attaches a PDF (a non-PDF is 415, nothing else is
accepted from anyone else), approves; result_ready carries the reference and a signed
link; the citizen downloads the same bytes at POST /api/lookup/result with code and
ID number, nobody with a wrong ID number; a procedure whose result is on paper
answers the same 404; the SMS and the e-mail say the result can be downloaded."""

import hashlib
import json
import os
import subprocess
import sys
import uuid

import kombu
import pytest
import requests

from shared.config import ROOT
from shared.messaging import event_exchange
from tests.helpers import wait_for
from tests.system import COUNTER, call, dossier, dossier_body, submit, token

pytestmark = pytest.mark.e2e

ID_NUMBER = "031190001234"  # dossier_body()'s applicant
ELECTRONIC = "2.000635"  # level 4 in the demo catalogue: online_service "full", one step in TUPHAP
ON_PAPER = "1.000105"  # level 3: "partial", its result is collected on paper; one step in TCKH


def pdf(seed):
    head = b"%PDF-1.7\n%" + seed.encode() + b"\n"
    return head + hashlib.sha256(seed.encode()).digest() * 40_000  # about 1.3 MB


def officer_of(department, sub):
    return token("officer", department=department, sub=sub)


def held_task(system, code, department, headers):
    """Claim from the department's queue until the dossier's step comes (approving
    what other dossiers left there, as the department would)."""

    def attempt():
        claim = call("POST", system.url("processing", f"/api/departments/{department}/claim"), headers=headers)
        if claim.status_code == 404:
            return None
        assert claim.status_code == 200, claim.text
        task = claim.json()
        if task["dossier_code"] == code:
            return task
        call(
            "POST",
            system.url("processing", f"/api/tasks/{task['task_id']}/decision"),
            json={"action": "approve"},
            headers=headers,
        )
        return None

    return wait_for(attempt, message=f"the step of {code} in {department}")


def upload_result(system, task_id, content, headers, name="ket-qua.pdf", media="application/pdf"):
    return requests.post(
        system.url("processing", f"/api/tasks/{task_id}/result"),
        files={"file": (name, content, media)},
        headers=headers,
        timeout=60,
    )


def approve(system, task_id, headers):
    answer = call(
        "POST",
        system.url("processing", f"/api/tasks/{task_id}/decision"),
        json={"action": "approve", "note": "cấp giấy"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text


def lookup(system, code, id_number=ID_NUMBER, path="/api/lookup"):
    return requests.post(system.url("intake", path), json={"code": code, "id_number": id_number}, timeout=30)


def notifications(system, code):
    answer = call("GET", system.url("notify", f"/api/notifications?dossier_code={code}"), headers=COUNTER)
    return answer.json()["notifications"]


def result_messages(system, code):
    def ready():
        found = {m["channel"]: m for m in notifications(system, code) if m["event_type"] == "result_ready"}
        return found if set(found) == {"sms", "email"} else None

    return wait_for(ready, message=f"result_ready's SMS and e-mail of {code}")


@pytest.fixture
def result_events(system):
    """A queue of our own bound to processing's result_ready: the events as published."""
    connection = kombu.Connection(system.env["MOTCUA_AMQP_URI"])
    queue = kombu.Queue(
        f"test-results-{uuid.uuid4().hex[:8]}",
        exchange=event_exchange("processing"),
        routing_key="result_ready",
        exclusive=True,
    )
    bound = queue(connection.default_channel)
    bound.declare()

    def of(code):
        def find():
            while (message := bound.get(no_ack=True)) is not None:
                envelope = json.loads(message.body)
                if envelope["dossier_code"] == code:
                    return envelope
            return None

        return wait_for(find, message=f"result_ready of {code}")

    yield of
    connection.release()


def test_the_citizen_downloads_the_result_pdf_with_code_and_id_number(system, result_events):
    code = submit(system, dossier_body(procedure=ELECTRONIC, sms=True, email=True))
    holder = officer_of("TUPHAP", "cv.tuphap.ketqua")
    task = held_task(system, code, "TUPHAP", holder)
    task_id = task["task_id"]

    # not a PDF: 415 (a PNG, an executable renamed .pdf)
    png = upload_result(system, task_id, b"\x89PNG\r\n\x1a\n" + b"x" * 1000, holder, "ket-qua.png", "image/png")
    assert png.status_code == 415, png.text
    exe = upload_result(system, task_id, b"MZ\x90\x00" + b"x" * 1000, holder, "ket-qua.pdf")
    assert exe.status_code == 415, exe.text
    # another officer of the department does not hold it; another department's is 403
    other = upload_result(system, task_id, pdf("other"), officer_of("TUPHAP", "cv.khac"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "task_not_held", other.text
    elsewhere = upload_result(system, task_id, pdf("other"), officer_of("QLDT", "cv.tuphap.ketqua"))
    assert elsewhere.status_code == 403, elsewhere.text

    first = upload_result(system, task_id, pdf("first"), holder)
    assert first.status_code == 200, first.text
    second_bytes = pdf("second")
    second = upload_result(system, task_id, second_bytes, holder, "Kết quả giải quyết.pdf")
    assert second.status_code == 200, second.text
    attached = second.json()["result_file"]
    assert attached["sha256"] == hashlib.sha256(second_bytes).hexdigest()
    assert (attached["size"], attached["type"], attached["name"]) == (
        len(second_bytes),
        "application/pdf",
        "Kết quả giải quyết.pdf",
    )

    # before the result is ready there is nothing to download, even with the right ID number
    early = lookup(system, code, path="/api/lookup/result")
    assert early.status_code == 404, early.text
    assert lookup(system, code).json()["result_download"] is False

    approve(system, task_id, holder)
    # a decided task takes no result
    late = upload_result(system, task_id, pdf("late"), holder)
    assert late.status_code == 409, late.text

    event = result_events(code)
    ref = event["data"]["result_file"]
    assert event["data"]["electronic"] is True
    assert {k: ref[k] for k in ("id", "sha256", "size", "type", "name")} == attached  # the second replaced the first
    assert ref["url"].startswith(f"/api/files/{attached['id']}?expires=")

    wait_for(lambda: dossier(system, code)["status"] == "result_ready", message="result ready")
    view = dossier(system, code)
    assert view["result_file"]["id"] == attached["id"] and view["result_file"]["sha256"] == attached["sha256"]
    assert all(f["id"] != attached["id"] for f in view["files"])

    # the signed link of the event, without a token; staff in scope with one
    linked = requests.get(system.url("intake", ref["url"]), timeout=30)
    assert linked.status_code == 200 and linked.content == second_bytes
    staff = requests.get(system.url("intake", f"/api/files/{attached['id']}"), headers=COUNTER, timeout=30)
    assert staff.status_code == 200 and staff.content == second_bytes

    assert lookup(system, code).json()["result_download"] is True
    download = lookup(system, code, path="/api/lookup/result")
    assert download.status_code == 200, download.text
    assert hashlib.sha256(download.content).hexdigest() == attached["sha256"]
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")

    wrong = lookup(system, code, id_number="031190009999", path="/api/lookup/result")
    assert wrong.status_code == 404, wrong.text
    assert wrong.json()["error"] == lookup(system, code, id_number="031190009999").json()["error"]
    assert b"%PDF" not in wrong.content
    nobody = lookup(system, code.replace(code[-4:], "9999"), path="/api/lookup/result")
    assert nobody.status_code == 404

    messages = result_messages(system, code)
    assert "Tai ket qua dien tu" in messages["sms"]["body"], messages["sms"]["body"]  # SMS without diacritics
    assert "/tra-cuu" in messages["sms"]["body"]
    assert "Kết quả điện tử" in messages["email"]["body"], messages["email"]["body"]


def test_a_result_on_paper_is_not_downloadable(system, result_events):
    code = submit(system, dossier_body(procedure=ON_PAPER, sms=True, email=True))
    holder = officer_of("TCKH", "cv.tckh.ketqua")
    task = held_task(system, code, "TCKH", holder)
    content = pdf("paper")
    attached = upload_result(system, task["task_id"], content, holder)
    assert attached.status_code == 200, attached.text  # the counter prints it
    approve(system, task["task_id"], holder)

    event = result_events(code)
    assert event["data"]["electronic"] is False and event["data"]["result_file"]["sha256"] == (
        hashlib.sha256(content).hexdigest()
    )
    wait_for(lambda: dossier(system, code)["status"] == "result_ready", message="result ready")
    view = dossier(system, code)
    assert view["result_file"]["sha256"] == hashlib.sha256(content).hexdigest()  # the counter has it
    printed = requests.get(system.url("intake", f"/api/files/{view['result_file']['id']}"), headers=COUNTER, timeout=30)
    assert printed.status_code == 200 and printed.content == content

    assert lookup(system, code).json()["result_download"] is False
    refused = lookup(system, code, path="/api/lookup/result")
    assert refused.status_code == 404
    assert refused.json()["error"] == lookup(system, code, id_number="031190009999").json()["error"]

    messages = result_messages(system, code)
    assert "dien tu" not in messages["sms"]["body"].lower(), messages["sms"]["body"]
    assert "điện tử" not in messages["email"]["body"], messages["email"]["body"]


def test_the_sweep_keeps_the_result_processing_refers_to_and_removes_the_replaced_one(system):
    """The store is shared: intake's sweep (timer and `motcua files sweep`) asks
    processing which files its cases name, so a result attached but not yet announced
    survives it, and the content a second upload replaced does not."""
    code = submit(system, dossier_body(procedure=ELECTRONIC))
    holder = officer_of("TUPHAP", "cv.tuphap.sweep")
    task = held_task(system, code, "TUPHAP", holder)
    replaced, kept = pdf(f"replaced {uuid.uuid4()}"), pdf(f"kept {uuid.uuid4()}")
    assert upload_result(system, task["task_id"], replaced, holder).status_code == 200
    assert upload_result(system, task["task_id"], kept, holder).status_code == 200
    replaced_sha, kept_sha = hashlib.sha256(replaced).hexdigest(), hashlib.sha256(kept).hexdigest()
    root = system.logdir / "files"
    stored = [p for p in root.rglob("*") if p.is_file()]
    assert {replaced_sha, kept_sha} <= {p.name for p in stored}
    for p in stored:  # stored more than 24 hours ago
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
    assert f"removed {replaced_sha}" in run.stdout and kept_sha not in run.stdout
    names = {p.name for p in root.rglob("*") if p.is_file()}
    assert replaced_sha not in names and kept_sha in names

    approve(system, task["task_id"], holder)
    wait_for(lambda: dossier(system, code)["status"] == "result_ready", message="result ready")
    download = lookup(system, code, path="/api/lookup/result")
    assert download.status_code == 200 and download.content == kept
