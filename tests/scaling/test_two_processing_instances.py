"""Two instances of processing share its queues: the work is split between them
and no dossier is planned or decided twice."""

import re
import subprocess
import sys

import eventlet
import pytest

from shared.config import ROOT, SERVICES
from tests.helpers import wait_for
from tests.system import System, call, dossier, dossier_body, free_port, officer, submit

pytestmark = pytest.mark.e2e

DOSSIERS = 40


@pytest.fixture
def two_processing(new_vhost, database_server, tmp_path):
    server, prefix = database_server
    vhost = new_vhost("scaling")
    system = System(vhost, server, f"{prefix}scale_", tmp_path)
    second_port = free_port()
    second = None
    try:
        for name in ("carrier-sim", *SERVICES):
            system.start(name)
        system.wait_healthy(["carrier-sim", *SERVICES])
        with open(tmp_path / "processing-2.log", "ab") as log:
            second = subprocess.Popen(
                [sys.executable, "-m", "shared.cli", "serve", "processing"],
                env={**system.env, "MOTCUA_PROCESSING_PORT": str(second_port)},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(
            lambda: b"listening" in (tmp_path / "processing-2.log").read_bytes(),
            timeout=60,
            message="the second processing instance",
        )
        yield system, second_port
    finally:
        if second is not None:
            second.terminate()
            second.wait(timeout=20)
        system.stop_all()
        new_vhost.delete(vhost)


def planned_codes(log_path):
    return re.findall(r" dossier=(\S+) corr=\S+\] step 1 queued", log_path.read_text(encoding="utf-8"))


def test_two_instances_share_the_work_and_handle_nothing_twice(two_processing, tmp_path):
    system, second_port = two_processing
    codes = [submit(system, dossier_body()) for _ in range(DOSSIERS)]
    # officers claim through either instance, as a load balancer would spread them
    instances = [f"http://127.0.0.1:{port}" for port in (system.ports["processing"], second_port)]
    approved = 0
    while approved < DOSSIERS:
        for base in instances:
            claim = call("POST", f"{base}/api/departments/TUPHAP/claim", headers=officer("TUPHAP"))
            if claim.status_code == 200:
                decision = call(
                    "POST",
                    f"{base}/api/tasks/{claim.json()['task_id']}/decision",
                    json={"action": "approve"},
                    headers=officer("TUPHAP"),
                )
                assert decision.status_code == 200, decision.text
                approved += 1
        eventlet.sleep(0.05)
    wait_for(
        lambda: all(dossier(system, c)["status"] == "result_ready" for c in codes),
        timeout=60,
        message="every result ready",
    )

    first, second = planned_codes(tmp_path / "processing.log"), planned_codes(tmp_path / "processing-2.log")
    assert set(first) | set(second) == set(codes)
    assert not set(first) & set(second), "a dossier was planned by both instances"
    assert first and second, f"the work was not shared: {len(first)} and {len(second)}"
    tasks = system.scalar(
        "processing",
        "SELECT json_agg(n) FROM (SELECT count(*) AS n FROM tasks "
        "WHERE dossier_code = ANY(:c) GROUP BY dossier_code) t",
        c=codes,
    )
    started = system.scalar(
        "processing",
        "SELECT count(*) FROM outbox WHERE event_type = 'processing_started' AND dossier_code = ANY(:c)",
        c=codes,
    )
    ready = system.scalar(
        "processing",
        "SELECT count(*) FROM outbox WHERE event_type = 'result_ready' AND dossier_code = ANY(:c)",
        c=codes,
    )
    assert set(tasks) == {1} and started == DOSSIERS and ready == DOSSIERS
    print(
        f"\ntwo processing instances: {len(first)} + {len(second)} dossiers planned, none twice; "
        f"{DOSSIERS} results ready, each once"
    )
