"""Department work queues at scale, and dossier_received throughput, in one run.

  python -m bench.processing_queues [--tasks 100000] [--departments 50] [--events 2000]

Uses the local RabbitMQ (MOTCUA_AMQP_URI's server; a scratch virtual host made with
rabbitmqctl) and PostgreSQL (MOTCUA_DATABASE_URL, default the local server; a
scratch database `motcua_bench_processing`), both removed at the end. The
processing service runs as a real process (`motcua serve processing`).

Prints:
1. throughput of dossier_received -> first step queued (events/s), beside a nameko
   handler that does nothing, fed the same way on the same broker;
2. with --tasks waiting items over --departments departments (bulk-inserted with
   generate_series): GET queue and POST claim latency p50/p99 over HTTP, beside a
   404 of the same server (the HTTP stack without the database);
3. 8 officers claiming concurrently in one department: claims and duplicates;
4. an automated department: --auto-tasks of its waiting items published to
   processing.tasks.<department> and approved over RPC by `motcua department-worker`.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import requests
import sqlalchemy as sa

from bench.common import drop_database, percentile, scratch_vhost
from shared import auth, clock, events, migrations
from shared.config import DEFAULT_AMQP_URI, ROOT
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.system import free_port

DB_PREFIX = "motcua_bench_"
SECRET = "bench-secret-of-at-least-thirty-two-bytes"


def percentiles(samples):
    ms = [s * 1000 for s in samples]
    return f"p50 {percentile(ms, 50):6.2f} ms  p99 {percentile(ms, 99):6.2f} ms  ({len(ms)} requests)"


def bulk_insert(engine, tasks, departments):
    """Waiting work: one dossier and one step each, spread over the departments, due
    over the next 10 days, with their control-slip lines."""
    now = clock.now()
    with engine.begin() as conn:
        conn.execute(
            sa.text("""
            INSERT INTO cases (dossier_code, procedure_code, procedure_version, route, status, current_step,
                               received_at, due_at, return_method, supplement_clock, correlation_id, plan_start,
                               paused_seconds, supplement_late_allowed)
            SELECT 'BENCH-' || lpad(i::text, 7, '0'), '1.001776', 1,
                   json_build_array(json_build_object('department', 'D' || lpad((i % :d)::text, 2, '0'), 'days', 10)),
                   'in_progress', 1, :now - interval '1 day', :now + (i % 14400) * interval '1 minute',
                   'counter', 'restart', gen_random_uuid()::text, :now - interval '1 day', 0, false
            FROM generate_series(1, :n) AS i"""),
            {"n": tasks, "d": departments, "now": now},
        )
        conn.execute(
            sa.text("""
            INSERT INTO tasks (id, dossier_code, step, department, status, available_at, due_at, note)
            SELECT gen_random_uuid()::text, dossier_code, 1, route->0->>'department', 'waiting', received_at,
                   due_at, ''
            FROM cases WHERE dossier_code LIKE 'BENCH-%'""")
        )
        conn.execute(
            sa.text("""
            INSERT INTO hand_offs (dossier_code, from_party, to_party, handed_over_at, due_at, note, task_id)
            SELECT dossier_code, 'MOTCUA', department, available_at, due_at, '', id FROM tasks
            WHERE dossier_code LIKE 'BENCH-%'""")
        )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))


def received_event(code, department):
    now = clock.now()
    return json.dumps(
        events.envelope(
            "dossier_received",
            code,
            {
                "procedure_code": "1.001776",
                "procedure_version": 1,
                "channel": "counter",
                "received_at": now,
                "due_at": now + timedelta(days=20),
                "route": [{"department": department, "days": 10}],
                "return_method": "counter",
                "contacts": {"phone": "0912345678"},
                "notify": {"sms": True},
            },
            source="intake",
        )
    ).encode()


def publish_all(amqp_uri, bodies):
    publisher = ConfirmingPublisher(amqp_uri)
    for i in range(0, len(bodies), 200):
        publisher.publish_batch([(event_exchange("intake"), "dossier_received", b, {}) for b in bodies[i : i + 200]])
    publisher.close()


def baseline_throughput(amqp_uri, n):
    noop = subprocess.Popen(
        [sys.executable, "-m", "bench.processing_noop", amqp_uri, str(n)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert noop.stdout.readline().strip() == "ready"
        bodies = [received_event(f"NOOP-{i}", "D00") for i in range(n)]
        start = time.time()
        publish_all(amqp_uri, bodies)
        finished = float(noop.stdout.readline().split()[-1])
        return n / (finished - start), finished - start
    finally:
        noop.terminate()
        noop.wait(timeout=20)


def processing_throughput(amqp_uri, engine, n, departments):
    bodies = [received_event(f"TPUT-{i:06d}", f"D{i % departments:02d}") for i in range(n)]
    start = time.time()
    publish_all(amqp_uri, bodies)
    while True:
        with engine.connect() as conn:
            queued = conn.scalar(sa.text("SELECT count(*) FROM tasks WHERE dossier_code LIKE 'TPUT-%'"))
        if queued >= n:
            return n / (time.time() - start), time.time() - start
        time.sleep(0.05)


def timed(session, method, url, headers, expect=(200,), **kwargs):
    start = time.perf_counter()
    answer = session.request(method, url, headers=headers, timeout=30, **kwargs)
    elapsed = time.perf_counter() - start
    assert answer.status_code in expect, answer.text
    return elapsed, answer


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000, help="waiting tasks (default 100000)")
    parser.add_argument("--departments", type=int, default=50, help="departments (default 50)")
    parser.add_argument("--events", type=int, default=2000, help="dossier_received events (default 2000)")
    parser.add_argument("--requests", type=int, default=1000, help="queue listings measured (default 1000)")
    parser.add_argument("--claims", type=int, default=200, help="claims per officer, 8 officers (default 200)")
    parser.add_argument("--auto-tasks", type=int, default=500, help="tasks the department worker answers (default 500)")
    args = parser.parse_args()
    if args.departments < 8:
        parser.error("--departments: at least 8 (officers claim in D06 and D07, the last one is automated)")
    if args.auto_tasks > args.tasks // args.departments:
        # the worker stops after --auto-tasks answers: it would wait for tasks that never come
        parser.error(
            f"--auto-tasks: at most {args.tasks // args.departments}, the tasks waiting in each department "
            "(--tasks / --departments)"
        )
    server = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp_uri, drop_vhost = scratch_vhost(os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI), "processing")
    url = sa.engine.make_url(server).set(database=DB_PREFIX + "processing")
    drop_database(url)
    proc = None
    try:
        migrations.upgrade("processing", url)
        engine = sa.create_engine(url)
        print(f"processing benchmark: PostgreSQL {url.database}, RabbitMQ vhost {amqp_uri.rsplit('/', 1)[-1] or '/'}")

        rate, secs = baseline_throughput(amqp_uri, args.events)
        print(f"baseline   nameko handler doing nothing      {rate:8.0f} events/s  ({args.events} in {secs:.2f} s)")

        start = time.perf_counter()
        bulk_insert(engine, args.tasks, args.departments)
        print(
            f"bulk insert of {args.tasks} waiting tasks over {args.departments} departments: "
            f"{time.perf_counter() - start:.1f} s"
        )

        port = free_port()
        env = {
            **os.environ,
            "MOTCUA_AMQP_URI": amqp_uri,
            "MOTCUA_DATABASE_URL": server,
            "MOTCUA_DATABASE_PREFIX": DB_PREFIX,
            "MOTCUA_PROCESSING_PORT": str(port),
            "MOTCUA_BIND": "127.0.0.1",
            "MOTCUA_JWT_SECRET": SECRET,
            "MOTCUA_LOG_FORMAT": "text",
        }
        log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench_processing.log"), "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "serve", "processing"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit("processing did not become healthy; see bench_processing.log")
            time.sleep(0.3)

        rate, secs = processing_throughput(amqp_uri, engine, args.events, args.departments)
        print(f"processing dossier_received -> step queued   {rate:8.0f} events/s  ({args.events} in {secs:.2f} s)")

        tokens = {
            f"D{d:02d}": {
                "Authorization": "Bearer " + auth.issue("officer", department=f"D{d:02d}", sub=f"cv{d}", key=SECRET)
            }
            for d in range(args.departments)
        }
        session = requests.Session()
        for _ in range(50):  # warm-up
            timed(session, "GET", f"{base}/api/departments/D01/queue", tokens["D01"])
        baseline = [
            timed(session, "GET", f"{base}/api/nothing-here", tokens["D01"], (404,))[0] for _ in range(args.requests)
        ]
        listing = [
            timed(
                session,
                "GET",
                f"{base}/api/departments/D{i % args.departments:02d}/queue",
                tokens[f"D{i % args.departments:02d}"],
            )[0]
            for i in range(args.requests)
        ]
        print(f"baseline   404 of the same server            {percentiles(baseline)}")
        print(f"GET  queue (100 earliest due, flags, counts) {percentiles(listing)}")

        one = [
            timed(session, "POST", f"{base}/api/departments/D06/claim", tokens["D06"])[0] for _ in range(args.claims)
        ]
        print(f"POST claim, 1 officer in D06                 {percentiles(one)}")

        claimed, latencies, lock = [], [], threading.Lock()

        def officer(n):
            own = requests.Session()
            headers = {
                "Authorization": "Bearer " + auth.issue("officer", department="D07", sub=f"officer{n}", key=SECRET)
            }
            for _ in range(args.claims):
                elapsed, answer = timed(own, "POST", f"{base}/api/departments/D07/claim", headers, (200, 404))
                with lock:
                    latencies.append(elapsed)
                    if answer.status_code == 200:
                        claimed.append(answer.json()["task_id"])

        threads = [threading.Thread(target=officer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"POST claim, 8 officers at once in D07        {percentiles(latencies)}")
        print(f"claims granted {len(claimed)}, duplicates {len(claimed) - len(set(claimed))}")

        auto = f"D{args.departments - 1:02d}"
        admin = {"Authorization": "Bearer " + auth.issue("admin", sub="bench", key=SECRET)}
        start = time.time()
        timed(session, "PUT", f"{base}/api/departments/{auto}/automation", admin, json={"automated": True})
        credential = auth.issue("department_system", department=auto, key=SECRET)
        worker = subprocess.run(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "department-worker",
                "--department",
                auto,
                "--approve-all",
                "--max-tasks",
                str(args.auto_tasks),
                "--amqp-uri",
                amqp_uri,
                "--token",
                credential,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        secs = time.time() - start
        approved = worker.stdout.count("approve -> ok")
        print(
            f"automated department {auto}: {approved} tasks published and approved over RPC by the worker "
            f"in {secs:.1f} s ({approved / secs:.0f} tasks/s, worker start-up included)"
        )
        engine.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        drop_database(url)
        drop_vhost()


if __name__ == "__main__":
    main()
