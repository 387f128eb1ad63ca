"""Helpers of the intake benchmarks: a scratch installation of intake as a real
process, a bare nameko @http baseline beside it, and a threaded HTTP load generator.

  python -m bench.intake_common bare PORT   (the baseline service, started by the benchmarks)
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

import psutil
import requests

from bench.common import cpu_seconds, machine_cpu, percentile
from shared.config import DEFAULT_AMQP_URI, ROOT
from tests.system import free_port

SECRET = "bench-secret-of-at-least-32-bytes-long"


def servers():
    amqp = os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI)
    db = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return amqp, db


def wait_healthy(url, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: process exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code in (200, 404, 405):
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} not up after {timeout}s")


def start_intake(amqp, db_server, prefix, logfile, processes=1, **env):
    port = free_port()
    environment = {
        **os.environ,
        "MOTCUA_AMQP_URI": amqp,
        "MOTCUA_DATABASE_URL": db_server,
        "MOTCUA_DATABASE_PREFIX": prefix,
        "MOTCUA_JWT_SECRET": SECRET,
        "MOTCUA_BIND": "127.0.0.1",
        "MOTCUA_INTAKE_PORT": str(port),
        "MOTCUA_LOG_LEVEL": "WARNING",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "serve", "intake", "--processes", str(processes)],
        env=environment,
        cwd=ROOT,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    wait_healthy(f"http://127.0.0.1:{port}/health", proc)
    return proc, f"http://127.0.0.1:{port}"


def start_bare(amqp, logfile):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.intake_common", "bare", str(port), amqp],
        cwd=ROOT,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    wait_healthy(f"http://127.0.0.1:{port}/bare", proc)
    return proc, f"http://127.0.0.1:{port}"


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


class Usage:
    """CPU used by a process and its children (`--processes`), and by the whole
    machine, between start and stop."""

    def __init__(self, pid):
        parent = psutil.Process(pid)
        self.processes = [parent, *parent.children(recursive=True)]
        self.cpu, self.machine = cpu_seconds(*self.processes), machine_cpu()

    def report(self, requests_done):
        cpu = cpu_seconds(*self.processes) - self.cpu
        busy, total = (a - b for a, b in zip(machine_cpu(), self.machine, strict=True))
        return (
            f"   server CPU {cpu / max(requests_done, 1) * 1000:4.1f} ms/req, machine {busy / max(total, 1):4.0%} busy"
        )


def closed_loop(make_request, clients, seconds):
    """`clients` threads sending back to back for `seconds`; (requests/s, latencies ms, errors)."""
    latencies, errors = [], []
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(i):
        session = requests.Session()
        mine, bad = [], 0
        n = 0
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            ok = make_request(session, i, n)
            mine.append((time.perf_counter() - start) * 1000)
            bad += not ok
            n += 1
        with lock:
            latencies.extend(mine)
            errors.append(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies, sum(errors)


def open_loop(make_request, rate, seconds, clients=16):
    """Requests started at a fixed `rate` (per second) whatever the answers; latencies ms."""
    latencies, errors = [], [0]
    lock = threading.Lock()
    total = int(rate * seconds)
    t0 = time.perf_counter() + 0.2
    counter = iter(range(total))

    def client(i):
        session = requests.Session()
        for n in counter:
            due = t0 + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            ok = make_request(session, i, n)
            elapsed = (time.perf_counter() - due) * 1000  # from when it should have started
            with lock:
                latencies.append(elapsed)
                errors[0] += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def line(label, rate, latencies, errors):
    return (
        f"{label:<44} {rate:8.0f} req/s   p50 {statistics.median(latencies):7.1f} ms   "
        f"p99 {percentile(latencies, 99):7.1f} ms   errors {errors}"
    )


def run_bare(port, amqp):
    import eventlet

    eventlet.monkey_patch()
    from nameko.runners import ServiceRunner
    from nameko.web.handlers import http
    from werkzeug.wrappers import Response

    class BareService:
        """The baseline: nameko's own @http endpoint that parses the same JSON."""

        name = "bare"

        @http("POST", "/bare")
        def bare(self, request):
            body = json.loads(request.get_data(as_text=True))
            return Response(
                json.dumps({"code": "X", "status": "received", "n": len(body)}), status=201, mimetype="application/json"
            )

        @http("GET", "/bare")
        def bare_get(self, request):
            return Response(
                json.dumps({"status": "received", "code": request.args.get("code")}), mimetype="application/json"
            )

    runner = ServiceRunner({"AMQP_URI": amqp, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "max_workers": 10})
    runner.add_service(BareService)
    runner.start()
    runner.wait()


if __name__ == "__main__" and sys.argv[1:2] == ["bare"]:
    run_bare(int(sys.argv[2]), sys.argv[3])
