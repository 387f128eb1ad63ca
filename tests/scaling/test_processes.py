"""`motcua serve processing --processes 2`: two processes behind one port, sharing the
service's queues. Both take part, no dossier is planned twice, the officers' calls on
the one port are answered."""

import re
from collections import defaultdict

import eventlet
import pytest

from shared.config import SERVICES
from tests.helpers import wait_for
from tests.system import System, call, dossier, dossier_body, officer, submit

pytestmark = pytest.mark.e2e

DOSSIERS = 30


@pytest.fixture
def processing_in_two(new_vhost, database_server, tmp_path):
    server, prefix = database_server
    vhost = new_vhost("processes")
    system = System(vhost, server, f"{prefix}procs_", tmp_path)
    try:
        system.start("carrier-sim")
        for name in SERVICES:
            system.start(name, *(["serve", name, "--processes", "2"] if name == "processing" else []))
        system.wait_healthy(["carrier-sim", *SERVICES], timeout=120)
        wait_for(
            lambda: b"replica sharing" in (tmp_path / "processing.log").read_bytes(),
            timeout=60,
            message="the second processing process",
        )
        yield system
    finally:
        system.stop_all()
        new_vhost.delete(vhost)


def planned_by_process(log_text):
    planned = defaultdict(list)
    for pid, code in re.findall(r"pid=(\d+) dossier=(\S+) corr=\S+\] step 1 queued", log_text):
        planned[pid].append(code)
    return planned


def test_two_processes_on_one_port_share_the_queues_and_plan_nothing_twice(processing_in_two, tmp_path):
    system = processing_in_two
    codes = [submit(system, dossier_body()) for _ in range(DOSSIERS)]
    base = f"http://127.0.0.1:{system.ports['processing']}"
    approved = 0
    while approved < DOSSIERS:
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
        else:
            eventlet.sleep(0.05)
    wait_for(
        lambda: all(dossier(system, c)["status"] == "result_ready" for c in codes),
        timeout=90,
        message="every result ready",
    )

    log_text = (tmp_path / "processing.log").read_text(encoding="utf-8")
    planned = planned_by_process(log_text)
    everything = [code for codes_of in planned.values() for code in codes_of]
    assert sorted(everything) == sorted(codes), "each dossier planned once, by one of the two processes"
    assert len(planned) == 2, f"the work was not shared: {dict((p, len(c)) for p, c in planned.items())}"
    replica = re.search(r"pid=(\d+) dossier=- corr=-\] processing replica sharing", log_text)
    assert replica, "the replica's start is logged"
    started = system.scalar(
        "processing",
        "SELECT count(*) FROM outbox WHERE event_type = 'processing_started' AND dossier_code = ANY(:c)",
        c=codes,
    )
    assert started == DOSSIERS
    print(f"\nprocessing in two processes: {' + '.join(str(len(c)) for c in planned.values())} dossiers planned")
