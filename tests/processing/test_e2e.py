"""processing inside the running installation (real processes, PostgreSQL, RabbitMQ):
an automated department answered by the example worker process, and an
inter-agency transfer ending in a rejection, as intake's register shows them."""

import subprocess
import sys

import pytest

from shared.config import ROOT
from tests.helpers import wait_for
from tests.system import ADMIN, COUNTER, call, department_credential, dossier, dossier_body, officer, submit

pytestmark = pytest.mark.e2e


def take(system, department, code):
    """Claim in the department until this dossier comes up; others met on the way are
    approved, as the department's officers would."""

    def attempt():
        claim = call(
            "POST", system.url("processing", f"/api/departments/{department}/claim"), headers=officer(department)
        )
        if claim.status_code == 404:
            return None
        task = claim.json()
        if task["dossier_code"] == code:
            return task
        decide(system, department, task["task_id"], action="approve")
        return None

    return wait_for(attempt, timeout=30, interval=0.2, message=f"{code} in {department}'s queue")


def decide(system, department, task_id, **body):
    return call(
        "POST", system.url("processing", f"/api/tasks/{task_id}/decision"), json=body, headers=officer(department)
    )


def test_automated_department_worker_process(system):
    url = system.url("processing", "/api/departments/TCKH/automation")
    assert call("PUT", url, json={"automated": True}, headers=ADMIN).status_code == 200
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "department-worker",
            "--department",
            "TCKH",
            "--approve-all",
            "--token",
            department_credential("TCKH"),
        ],
        env=system.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        code = submit(system, dossier_body(procedure="1.000105"))
        wait_for(
            lambda: dossier(system, code)["status"] == "result_ready",
            timeout=40,
            message="result ready after the department's system approved",
        )
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
        call("PUT", url, json={"automated": False}, headers=ADMIN)
    assert f"{code} step 1" in output and "approve -> ok" in output
    slip = call("GET", system.url("processing", f"/api/dossiers/{code}/control-slip"), headers=COUNTER).json()
    assert [(h["from"], h["to"]) for h in slip["hand_offs"]] == [("MOTCUA", "TCKH"), ("TCKH", "MOTCUA")]
    assert slip["hand_offs"][0]["received_at"] is not None


def test_transfer_then_rejection_reaches_the_register(system):
    code = submit(system, dossier_body(procedure="1.001776"))
    task = take(system, "QLDT", code)
    moved = decide(
        system, "QLDT", task["task_id"], action="transfer", to_department="TUPHAP", reason="Cần ý kiến pháp chế"
    )
    assert moved.status_code == 200, moved.text
    repeated = decide(system, "QLDT", task["task_id"], action="transfer", to_department="TUPHAP", reason="lại")
    assert repeated.status_code == 409
    task = take(system, "TUPHAP", code)
    rejected = decide(system, "TUPHAP", task["task_id"], action="reject", reason="Không đủ điều kiện cấp phép")
    assert rejected.status_code == 200, rejected.text
    view = wait_for(
        lambda: (lambda d: d if d["status"] == "rejected" else None)(dossier(system, code)),
        message="rejected in the register",
    )
    assert view["status"] == "rejected"
    slip = call("GET", system.url("processing", f"/api/dossiers/{code}/control-slip?format=html"), headers=COUNTER)
    assert "Cần ý kiến pháp chế" in slip.text and "Không đủ điều kiện cấp phép" in slip.text
