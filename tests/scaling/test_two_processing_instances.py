"""Processing scaled out: two instances on their own ports, or two processes on one
port (`motcua serve processing --processes 2`), share its queues: the work is split
between them and no dossier is planned or decided twice."""

import re
import subprocess
import sys
from collections import defaultdict

import eventlet
import kombu
import pytest

from shared.config import ROOT, SERVICES
from shared.messaging import consumer_queue_name
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
        wait_for_two_consumers(system)
        yield system, second_port
    finally:
        if second is not None:
            second.terminate()
            second.wait(timeout=20)
        system.stop_all()
        new_vhost.delete(vhost)


RECEIVED = consumer_queue_name("intake", "dossier_received", "processing", "on_dossier_received")


def wait_for_two_consumers(system):
    """Until the broker has both processes on processing's queue: a process logs that
    it listens before its consumers are set up, and a burst sent before would all go
    to the first one (it takes up to twice EVENT_BATCH at a time)."""

    def consumers():
        with kombu.Connection(system.env["MOTCUA_AMQP_URI"]) as conn:
            return conn.default_channel.queue_declare(queue=RECEIVED, passive=True).consumer_count

    wait_for(lambda: consumers() == 2, timeout=60, message="two consumers on " + RECEIVED)


def submit_and_approve(system, ports, count=DOSSIERS):
    """Submit `count` dossiers, approve each one's task through the given ports in
    turn, wait until every result is ready; returns the codes."""
    codes = [submit(system, dossier_body()) for _ in range(count)]
    approved = 0
    while approved < count:
        for port in ports:
            base = f"http://127.0.0.1:{port}"
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
        timeout=90,
        message="every result ready",
    )
    return codes


def started_count(system, codes):
    return system.scalar(
        "processing",
        "SELECT count(*) FROM outbox WHERE event_type = 'processing_started' AND dossier_code = ANY(:c)",
        c=codes,
    )


def planned_codes(log_path):
    return re.findall(r" dossier=(\S+) corr=\S+\] step 1 queued", log_path.read_text(encoding="utf-8"))


def test_two_instances_share_the_work_and_handle_nothing_twice(two_processing, tmp_path):
    system, second_port = two_processing
    # officers claim through either instance, as a load balancer would spread them
    codes = submit_and_approve(system, [system.ports["processing"], second_port])

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
    started = started_count(system, codes)
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


@pytest.fixture
def processing_in_two_processes(new_vhost, database_server, tmp_path):
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
        wait_for_two_consumers(system)
        yield system
    finally:
        system.stop_all()
        new_vhost.delete(vhost)


def test_two_processes_on_one_port_share_the_queues_and_plan_nothing_twice(processing_in_two_processes, tmp_path):
    system = processing_in_two_processes
    codes = submit_and_approve(system, [system.ports["processing"]])

    planned = defaultdict(list)  # process id -> the dossiers it planned
    log_text = (tmp_path / "processing.log").read_text(encoding="utf-8")
    for pid, code in re.findall(r"pid=(\d+) dossier=(\S+) corr=\S+\] step 1 queued", log_text):
        planned[pid].append(code)
    assert sorted(c for done in planned.values() for c in done) == sorted(codes), "each planned once, by one"
    assert len(planned) == 2, f"the work was not shared: {dict((p, len(c)) for p, c in planned.items())}"
    assert re.search(r"pid=\d+ dossier=- corr=-\] processing replica sharing", log_text)
    assert started_count(system, codes) == DOSSIERS
    print(f"\nprocessing in two processes: {' + '.join(str(len(c)) for c in planned.values())} dossiers planned")
