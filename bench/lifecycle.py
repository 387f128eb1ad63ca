"""The whole lifecycle of a dossier, four services and their stand-ins, beside the
raw broker carrying the same messages, in one run.

  python -m bench.lifecycle [--rates 10,25,50,100] [--seconds 10] [--flat-out 1000]
                            [--clients 8] [--workers 1] [--processes 1|SERVICE=N,...] [--skip-baseline]
                            [--name NAME] [--profile SERVICE]

An installation of its own (a scratch RabbitMQ virtual host, scratch PostgreSQL
databases `motcua_bench_lifecycle_<service>`, both removed at the end): intake,
processing, postal and notify as `motcua serve` processes, the carrier simulator,
the SMS gateway simulator (notify sends every SMS to it over HTTP) and the
automated department worker approving the work of TUPHAP. The clock reads a
working morning, so nothing waits for office hours.

Each phase submits dossiers over HTTP (procedure 2.000635, every other one returned
by post), first at fixed arrival rates (open loop: a submission is sent at its
planned moment, latencies count from that moment), then as fast as `--clients`
counters can. A citizen whose "result ready" SMS reaches the gateway is handed the
result at the counter; a postal result travels through the carrier simulator. A
phase ends when every one of its dossiers is `returned`. It prints:
  - sustained dossiers/s through the whole lifecycle (dossiers / first submission
    to last return);
  - p50/p99 from submission to the "received" SMS at the gateway, and from
    submission to `returned` (counter and postal apart: a postal return includes
    the carrier's simulated delivery);
  - the resident memory (VmRSS now, VmHWM peak) of each service process;
  - CPU time per dossier of each part (services, department worker, simulators,
    this client, RabbitMQ, PostgreSQL, the whole machine), transactions per
    dossier committed in each service's database, and events per handler
    transaction in each service (its batches, from /metrics);
  - with --profile SERVICE, where that service's CPU went in the first phase
    (bench.profile, py-spy from the `bench` extra).
The baseline then replays the messages the run caused (every outbox row, each
automated task, its RPC request and reply) through kombu alone: persistent, with
publisher confirms per batch like the relay, into the system's own quorum queues,
consumed and acknowledged from every queue each is routed to.

Uses MOTCUA_AMQP_URI (default local RabbitMQ) and MOTCUA_DATABASE_URL (default the
local PostgreSQL server); needs rabbitmqctl for the scratch virtual hosts. The
services log at MOTCUA_LOG_LEVEL, WARNING unless set.
"""

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kombu
import psutil
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from bench import profile
from bench.common import cpu_seconds, drop_database, machine_cpu, percentile, scratch_vhost
from shared import clock
from shared.config import DEFAULT_AMQP_URI, SERVICES
from shared.messaging import ConfirmingPublisher, declare, event_exchange
from shared.relay import system_consumer_queues
from tests.system import ADMIN, BUSINESS_MORNING, COUNTER, System, department_credential, dossier_body, free_port

DEPARTMENT = "TUPHAP"  # the route of procedure 2.000635


def named(name):
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == name]


def database_cpu():
    """Every PostgreSQL process of this machine, with the backends that already
    ended (counted in the postmaster's children time)."""
    total = 0.0
    servers = named("postgres")
    pids = {p.pid for p in servers}
    for p in servers:
        try:
            times = p.cpu_times()
            total += times.user + times.system
            if p.ppid() not in pids:
                total += times.children_user + times.children_system
        except psutil.NoSuchProcess:  # a backend that ended meanwhile
            pass
    return total


def memory(pid):
    """(VmRSS, VmHWM) of a process in MB (psutil does not give the peak)."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


class Installation:
    """The four services, the simulators and the department worker(s), as processes."""

    def __init__(self, amqp_uri, db_server, prefix, workdir, workers, processes):
        self.prefix = prefix
        self.system = System(amqp_uri, db_server, prefix, workdir)
        self.gateway_port = free_port()
        self.gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        self.system.env.update(
            {
                "MOTCUA_SMS_BACKEND": "http",
                "MOTCUA_SMS_GATEWAY_URL": self.gateway_url,
                # notify and the simulator share it (a secret is required outside development mode)
                "MOTCUA_SMS_GATEWAY_SECRET": "bench-sms-receipt-secret",
                # a gateway contract sets the rate; unlimited here, to see what notify itself does
                "MOTCUA_SMS_RATE_PER_SECOND": "0",
                # INFO writes a line per message and event; what a busy province would keep
                "MOTCUA_LOG_LEVEL": os.environ.get("MOTCUA_LOG_LEVEL", "WARNING"),
                "MOTCUA_DISPATCH_SECONDS": "0.1",
                "MOTCUA_RETRY_DELAYS_MS": "[1000, 5000, 30000]",
            }
        )
        self.workers = workers
        self.processes = processes  # {service: N} for `motcua serve --processes N`, 1 for the others
        self.offset = float(self.system.env["MOTCUA_CLOCK_OFFSET_SECONDS"])

    def start(self):
        self.system.start("sms-gateway", "sms-gateway-sim", "--port", str(self.gateway_port))
        self.system.start("carrier-sim")
        for service in SERVICES:
            self.system.start(service, "serve", service, "--processes", str(self.processes.get(service, 1)))
        self.system.wait_healthy(["carrier-sim", *SERVICES], timeout=120)
        answer = requests.put(
            self.system.url("processing", f"/api/departments/{DEPARTMENT}/automation"),
            json={"automated": True},
            headers=ADMIN,
            timeout=10,
        )
        answer.raise_for_status()
        for i in range(self.workers):
            self.system.start(
                f"worker-{i}",
                "department-worker",
                "--department",
                DEPARTMENT,
                "--approve-all",
                "--token",
                department_credential(DEPARTMENT),
            )

    def cpu(self):
        """CPU seconds used so far, by part of the system."""
        started = {name: psutil.Process(proc.pid) for name, proc in self.system.processes.items()}
        # a service in several processes: `serve` and the processes it started
        used = {name: cpu_seconds(started[name], *started[name].children(recursive=True)) for name in SERVICES}
        used["department worker"] = cpu_seconds(*(p for name, p in started.items() if name.startswith("worker-")))
        used["simulators"] = cpu_seconds(started["carrier-sim"], started["sms-gateway"])
        used["benchmark client"] = cpu_seconds(psutil.Process())
        used["RabbitMQ"] = cpu_seconds(*named("beam.smp"))
        used["PostgreSQL"] = database_cpu()
        used["whole machine"] = machine_cpu()[0]
        return used

    def transactions(self):
        """Transactions committed so far in each service's database."""
        rows = self.system.scalar(
            "intake",
            "SELECT json_object_agg(datname, xact_commit) FROM pg_stat_database WHERE datname LIKE :p",
            p=self.prefix + "%",
        )
        return {s: rows.get(self.prefix + s, 0) for s in SERVICES}

    def batches(self):
        """(handler transactions, deliveries in them) so far in each service, from its
        /metrics (with several processes, the one that answered)."""
        found = {}
        for service in SERVICES:
            text = requests.get(self.system.url(service, "/metrics"), timeout=10).text
            runs = deliveries = 0.0
            for family in text_string_to_metric_families(text):
                if family.name == "motcua_handler_batch_deliveries":
                    for sample in family.samples:
                        if sample.name.endswith("_count"):
                            runs += sample.value
                        elif sample.name.endswith("_sum"):
                            deliveries += sample.value
            found[service] = (runs, deliveries)
        return found

    def service_memory(self):
        """(VmRSS, VmHWM) of each service, its largest process when it runs several."""
        found = {}
        for name, proc in self.system.processes.items():
            if name in SERVICES:
                pids = [proc.pid] + [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
                found[name] = max(memory(pid) for pid in pids)
        return found

    def stop(self):
        self.system.stop_all()


class Citizens:
    """Reads what reaches the SMS gateway; a citizen told the result is ready comes
    to the counter, where it is handed over (counter returns only)."""

    def __init__(self, inst):
        self.inst = inst
        self.counter_codes = set()
        self.ready = set()  # result_ready SMS seen
        self.handed = set()
        self.lock = threading.Lock()
        self.sms = {}  # (dossier code, event type) -> wall time the SMS reached the gateway
        self.seen = 0
        self.mono_to_wall = time.time() - time.monotonic()  # the gateway stamps arrivals with time.monotonic()
        self.session = requests.Session()
        self.hand_backs = ThreadPoolExecutor(max_workers=2)
        self.running = True
        self.failures = []

    def event_types(self, references):
        with self.inst.system.engine("notify").connect() as conn:
            return dict(
                conn.execute(
                    sa.text("SELECT id, event_type FROM messages WHERE id = ANY(:ids)"), {"ids": references}
                ).all()
            )

    def hand_back(self, code):
        url = self.inst.system.url("intake", f"/api/dossiers/{code}/return")
        for _ in range(50):
            answer = requests.post(url, headers=COUNTER, timeout=30)
            if answer.status_code == 200:
                return
            time.sleep(0.2)  # intake has not heard of the result yet
        self.failures.append(f"{code}: hand-back answered {answer.status_code} {answer.text[:200]}")

    def poll(self):
        answer = self.session.get(f"{self.inst.gateway_url}/control/sent", params={"since": self.seen}, timeout=30)
        sent = answer.json()["sent"]
        if not sent:
            return
        self.seen += len(sent)
        types = self.event_types([s["reference"] for s in sent])
        for s in sent:
            code, event_type = s["text"].split(":", 1)[0], types.get(s["reference"])
            self.sms[(code, event_type)] = s["at"] + self.mono_to_wall
            if event_type == "result_ready":
                self.ready.add(code)
                self.come_to_counter(code)

    def come_to_counter(self, code):
        """Once the dossier is known to be a counter return and its result SMS arrived
        (in whichever order the two are learnt)."""
        with self.lock:
            if code in self.ready and code in self.counter_codes and code not in self.handed:
                self.handed.add(code)
                self.hand_backs.submit(self.hand_back, code)

    def run(self):
        while self.running:
            try:
                self.poll()
            except Exception as exc:  # keep reading: one bad poll must not end the benchmark
                self.failures.append(f"gateway poll: {exc!r}")
            time.sleep(0.1)


class Counter:
    """Submits dossiers over HTTP, each with its own Idempotency-Key."""

    def __init__(self, inst, citizens):
        self.inst, self.citizens = inst, citizens
        self.local = threading.local()
        self.planned = {}  # code -> wall time the submission was planned (open loop) or sent

    def submit(self, i, planned):
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        method = "postal" if i % 2 else "counter"
        answer = session.post(
            self.inst.system.url("intake", "/api/dossiers"),
            json=dossier_body(return_method=method, sms=True),
            headers={**COUNTER, "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        if answer.status_code != 201:
            raise RuntimeError(f"submission answered {answer.status_code}: {answer.text[:300]}")
        code = answer.json()["code"]
        if method == "counter":
            self.citizens.counter_codes.add(code)
            self.citizens.come_to_counter(code)
        self.planned[code] = (planned, method)
        return code

    def at_rate(self, n, rate, pool):
        start = time.time() + 0.2
        futures = []
        for i in range(n):
            planned = start + i / rate
            time.sleep(max(0.0, planned - time.time()))
            futures.append(pool.submit(self.submit, i, planned))
        return [f.result() for f in futures]

    def flat_out(self, n, clients):
        with ThreadPoolExecutor(max_workers=clients) as pool:
            return list(pool.map(lambda i: self.submit(i, time.time()), range(n)))


def wait_returned(inst, codes, timeout):
    """{code: wall time it was returned} once every code is returned (progress on the way)."""
    deadline = time.time() + timeout
    reported = 0
    while True:
        with inst.system.engine("intake").connect() as conn:
            done = dict(
                conn.execute(
                    sa.text("SELECT code, status_at FROM dossiers WHERE code = ANY(:c) AND status = 'returned'"),
                    {"c": codes},
                ).all()
            )
        if len(done) == len(codes):
            return {code: at.timestamp() - inst.offset for code, at in done.items()}
        if time.time() - reported > 5:
            print(f"    {len(done)}/{len(codes)} returned", flush=True)
            reported = time.time()
        if time.time() > deadline:
            raise SystemExit(
                f"only {len(done)} of {len(codes)} dossiers returned after {timeout} s; "
                f"see the logs in {inst.system.logdir}"
            )
        time.sleep(1.0)


def ms(seconds):
    return f"{seconds * 1000:7.0f} ms"


def run_phase(inst, citizens, counter, label, n, rate=None, clients=8, timeout=600, profiled=None):
    print(f"  {label}: {n} dossiers ...", flush=True)
    cpu_before, xact_before, batches_before = inst.cpu(), inst.transactions(), inst.batches()
    spies = {}
    for service in profiled or ():
        samples = inst.system.logdir / f"{service}.profile.raw"
        spies[service] = (
            samples,
            profile.record(inst.system.processes[service].pid, n / rate * 0.8 if rate else 20, samples),
        )
    with ThreadPoolExecutor(max_workers=32) as pool:
        started = time.time()
        codes = counter.at_rate(n, rate, pool) if rate else counter.flat_out(n, clients)
        submitted = time.time()
    returned = wait_returned(inst, codes, timeout)
    deadline = time.time() + 30
    while any((c, "dossier_received") not in citizens.sms for c in codes) and time.time() < deadline:
        time.sleep(0.2)  # the last SMS may still be on its way
    cpu = {part: (used - cpu_before[part]) / n * 1000 for part, used in inst.cpu().items()}
    xact = {s: (done - xact_before[s]) / n for s, done in inst.transactions().items()}
    batches = {
        s: (deliveries - batches_before[s][1]) / max(runs - batches_before[s][0], 1)
        for s, (runs, deliveries) in inst.batches().items()
    }
    first = min(counter.planned[c][0] for c in codes)
    span = max(returned.values()) - first
    to_sms = [
        citizens.sms[(c, "dossier_received")] - counter.planned[c][0]
        for c in codes
        if (c, "dossier_received") in citizens.sms
    ]
    to_return = {
        m: [returned[c] - counter.planned[c][0] for c in codes if counter.planned[c][1] == m]
        for m in ("counter", "postal")
    }
    offered = f"offered {rate}/s" if rate else f"{clients} clients"
    print(
        f"  {label:>10}: {n / span:6.1f} dossiers/s through the lifecycle ({offered}; submitted at "
        f"{n / (submitted - started):.0f}/s; {n} in {span:.1f} s)"
    )
    print(
        f"{'':14}submission -> received SMS  p50 {ms(percentile(to_sms, 50))}  p99 {ms(percentile(to_sms, 99))}"
        f"  ({len(to_sms)} SMS)"
    )
    for method, values in to_return.items():
        print(
            f"{'':14}submission -> returned ({method:7}) p50 {ms(percentile(values, 50))}  "
            f"p99 {ms(percentile(values, 99))}"
        )
    print(f"{'':14}CPU per dossier: " + ", ".join(f"{part} {used:.1f}" for part, used in cpu.items()) + " ms")
    print(f"{'':14}transactions per dossier: " + ", ".join(f"{s} {x:.1f}" for s, x in xact.items()))
    print(f"{'':14}events per handler transaction: " + ", ".join(f"{s} {x:.1f}" for s, x in batches.items()))
    for service, (samples, spy) in spies.items():
        if spy is None:
            print(f"{'':14}no profile: py-spy is not installed (pip install -e '.[bench]')")
            break
        spy.wait()
        print(f"{'':14}where {service}'s CPU went (py-spy, sampled during this phase; raw samples in {samples}):")
        profile.report(samples, out=lambda line: print(" " * 10 + line))
    mem = inst.service_memory()
    print(
        f"{'':14}RSS now/peak: " + ", ".join(f"{s} {now:.0f}/{peak:.0f} MB" for s, (now, peak) in mem.items()),
        flush=True,
    )
    return {"label": label, "rate": rate, "per_second": n / span, "sms_p99": percentile(to_sms, 99), "rss": mem}


def caused_messages(inst):
    """What the run put on the broker: every outbox row (exchange, routing key, body)
    and, per automated task, the task message plus an RPC request and reply."""
    messages = []
    for service in SERVICES:
        with inst.system.engine(service).connect() as conn:
            rows = conn.execute(
                sa.text("SELECT event_type, payload FROM outbox WHERE dossier_code IS NOT NULL ORDER BY id")
            ).all()
        messages += [(service, event_type, payload.encode()) for event_type, payload in rows]
    tasks = inst.system.scalar("processing", "SELECT count(*) FROM tasks WHERE dispatched_at IS NOT NULL")
    task_body = json.dumps(
        {
            "task_id": str(uuid.uuid4()),
            "dossier_code": "X" * 24,
            "department": DEPARTMENT,
            "step": 1,
            "available_at": "2026-11-26T08:00:00+07:00",
        }
    ).encode()
    messages += [(None, "bench.tasks", task_body)] * (3 * tasks)
    return messages


def broker_baseline(amqp_uri, messages):
    """The same messages through kombu alone: persistent, confirmed per batch of 200,
    into the system's quorum queues, each delivery acknowledged by its consumer.
    Returns (published, consumed, deliveries expected, seconds)."""
    queues = system_consumer_queues() + [
        kombu.Queue("bench.tasks", durable=True, queue_arguments={"x-queue-type": "quorum"})
    ]
    routes = {}  # (exchange, routing key) -> how many queues a message there reaches
    for q in queues:
        key = (q.exchange.name, q.routing_key) if q.exchange.name else ("", q.name)
        routes[key] = routes.get(key, 0) + 1
    exchanges = {s: event_exchange(s) for s in SERVICES}
    expected = sum(routes.get((exchanges[s].name if s else "", key), 0) for s, key, _ in messages)
    with kombu.Connection(amqp_uri) as conn:
        declare(conn, [event_exchange(s) for s in SERVICES] + queues)  # own copies: declaring binds them
    consumed = [0]
    done = threading.Event()

    def consume():
        with kombu.Connection(amqp_uri) as conn:

            def on_message(body, message):
                message.ack()
                consumed[0] += 1
                if consumed[0] >= expected:
                    done.set()

            with conn.Consumer(queues, callbacks=[on_message], prefetch_count=10, accept=None):
                while not done.is_set():
                    try:
                        conn.drain_events(timeout=1)
                    except TimeoutError:
                        pass

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.5)  # the consumer is listening
    publisher = ConfirmingPublisher(amqp_uri)
    started = time.perf_counter()
    for i in range(0, len(messages), 200):
        publisher.publish_batch(
            [(exchanges[s] if s else None, key, body, {}) for s, key, body in messages[i : i + 200]]
        )
    publisher.close()
    done.wait(timeout=600)
    seconds = time.perf_counter() - started
    done.set()  # whatever was consumed by now
    consumer.join()
    return len(messages), consumed[0], expected, seconds


def run_lifecycle(inst, args):
    """Every phase on one installation; (dossiers, messages they caused, results)."""
    citizens = Citizens(inst)
    counter = Counter(inst, citizens)
    results = []
    try:
        inst.start()
        threading.Thread(target=citizens.run, daemon=True).start()
        run_phase(inst, citizens, counter, "warm-up", 20, rate=20)
        phases = [(f"{rate:g}/s", int(rate * args.seconds), {"rate": rate}) for rate in args.rates]
        if args.flat_out:
            phases.append(("flat out", args.flat_out, {"clients": args.clients}))
        for i, (label, n, how) in enumerate(phases):
            results.append(run_phase(inst, citizens, counter, label, n, profiled=None if i else args.profile, **how))
        citizens.running = False
        citizens.hand_backs.shutdown()
        if citizens.failures:
            print("  problems seen:\n    " + "\n    ".join(citizens.failures[:10]))
        return len(counter.planned), caused_messages(inst), results
    finally:
        inst.stop()


def processes_per_service(text):
    """`2` (every service in two processes) or `intake=2,notify=2` (the others in one)."""
    try:
        if text.isdigit():
            return dict.fromkeys(SERVICES, int(text))
        counts = {name: int(n) for name, _, n in (part.partition("=") for part in text.split(","))}
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a number, or SERVICE=N,...") from None
    unknown = set(counts) - set(SERVICES)
    if unknown or not all(n >= 1 for n in counts.values()):
        raise argparse.ArgumentTypeError(f"{text!r}: services are {', '.join(SERVICES)}, each at least 1 process")
    return counts


def profiled_services(text):
    chosen = list(SERVICES) if text == "all" else [s for s in text.split(",") if s]
    unknown = [s for s in chosen if s not in SERVICES]
    if unknown:
        raise argparse.ArgumentTypeError(f"not a service: {', '.join(unknown)} (choose from {', '.join(SERVICES)})")
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rates",
        default="10,25,50,100",
        type=lambda text: [float(r) for r in text.split(",") if r],
        help="fixed arrival rates, dossiers/s (comma separated)",
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of each fixed-rate phase")
    parser.add_argument("--flat-out", type=int, default=1000, help="dossiers submitted as fast as possible (0: skip)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent counters in the flat-out phase")
    parser.add_argument("--workers", type=int, default=1, help="department worker processes")
    parser.add_argument(
        "--processes",
        default={},
        type=processes_per_service,
        help="processes of each service (motcua serve --processes N): N for all, or SERVICE=N,... (1 for the others)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="leave out the raw broker baseline")
    parser.add_argument(
        "--name",
        default="lifecycle",
        type=lambda text: re.sub(r"\W", "_", text),
        help="names the scratch virtual hosts (motcua_bench_NAME, _raw) and databases "
        "(motcua_bench_NAME_<service>), so two runs can share a server",
    )
    parser.add_argument(
        "--profile",
        type=profiled_services,
        help="sample these services (comma separated, or 'all') with py-spy in the first phase (below "
        "saturation, where the samples are CPU time rather than waits for a core)",
    )
    args = parser.parse_args()
    amqp = os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI)
    server = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp_uri, drop_vhost = scratch_vhost(amqp, args.name)
    raw_uri, drop_raw_vhost = scratch_vhost(amqp, f"{args.name}_raw")
    prefix = f"motcua_bench_{args.name}_"
    databases = [sa.engine.make_url(server).set(database=prefix + service) for service in SERVICES]
    for url in databases:
        drop_database(url)  # a crashed run's leftovers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up when stopped, too
    workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-lifecycle-"))
    print(
        f"lifecycle benchmark: {os.cpu_count()} cores, clock at {clock.local(BUSINESS_MORNING):%Y-%m-%d %H:%M}, "
        f"{args.workers} department worker(s), processes per service: "
        f"{', '.join(f'{s} {args.processes.get(s, 1)}' for s in SERVICES)}, logs in {workdir}",
        flush=True,
    )
    try:
        dossiers, messages, results = run_lifecycle(
            Installation(amqp_uri, server, prefix, workdir, args.workers, args.processes), args
        )
        if not args.skip_baseline:
            published, consumed, expected, seconds = broker_baseline(raw_uri, messages)
            print(
                f"  baseline: kombu alone, the run's {published} messages ({published / dossiers:.1f} published "
                f"and {consumed / dossiers:.1f} consumed per dossier): {seconds:.1f} s, {published / seconds:.0f} "
                f"published/s, {consumed / seconds:.0f} consumed/s = {dossiers / seconds:.0f} dossiers/s"
            )
            if consumed != expected:
                print(f"  baseline consumed {consumed} of {expected} deliveries")
    finally:
        drop_raw_vhost()
        drop_vhost()
        for url in databases:
            drop_database(url)
    against_targets(results)
    return results


def against_targets(results):
    best = max(results, key=lambda r: r["per_second"])
    at_50 = next((r for r in results if r["rate"] == 50), None)
    largest = max(max(peak for _, peak in r["rss"].values()) for r in results)
    print(
        f"  targets: >= 100 dossiers/s through the lifecycle: best {best['per_second']:.1f}/s ({best['label']}); "
        + (f"p99 submission -> received SMS < 1 s at 50/s: {at_50['sms_p99'] * 1000:.0f} ms; " if at_50 else "")
        + f"each service < 150 MB RSS: largest peak {largest:.0f} MB"
    )


if __name__ == "__main__":
    main()
