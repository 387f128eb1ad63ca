"""The web's screens under load, beside the same work done by the bare API calls in
the same run: 20 counter officers receiving dossiers and 20 department officers
taking and approving them, first through the APIs the pages call, then through the
pages (signed-in sessions, forms with their CSRF token, redirects followed).

  python -m bench.web [--seconds 20] [--counters 20] [--officers 20]

Prints, for each way, dossiers received and approved per second, latency of each
request (p50/p95), and the CPU the whole installation used per dossier (reception +
approval); then what the web adds. Uses MOTCUA_AMQP_URI and MOTCUA_DATABASE_URL
(default: the local servers), a scratch virtual host and scratch databases, removed
at the end.
"""

import argparse
import os
import re
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from html import unescape

import psutil
import requests
import sqlalchemy as sa

from bench.common import cpu_seconds, drop_database, percentile, scratch_vhost
from bench.lifecycle import database_cpu, named
from services.web import application
from services.web.adapters.passwords import Argon2Hasher
from services.web.adapters.repository import WebWork
from shared import clock, db
from shared.config import DEFAULT_AMQP_URI, SERVED
from tests.system import AGENCY, System, dossier_body, officer, token

PREFIX = "motcua_bench_web_"
PROCEDURE, DEPARTMENT = "2.000635", "TUPHAP"  # one step: each approval ends a dossier's processing
PASSWORD = "bench-mat-khau-2026"
INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTRIBUTE = re.compile(r'(\w[\w.-]*)="([^"]*)"')


def inputs(html, only_form=None):
    """{name: value} of a page's inputs (checkboxes and radios only when checked), as a
    browser would post them; `only_form` limits them to the form posting to that action."""
    if only_form:
        form = re.search(rf'<form\b[^>]*method="post"[^>]*action="{re.escape(only_form)}"', html)
        if form is None:
            return {}
        html = html[form.start() : html.index("</form>", form.start())]
    found = {}
    for tag in INPUT.findall(html):
        attrs = dict(ATTRIBUTE.findall(tag))
        if "name" not in attrs or (attrs.get("type") in ("checkbox", "radio") and " checked" not in tag):
            continue
        found[unescape(attrs["name"])] = unescape(attrs.get("value", ""))
    return found


class Timings:
    def __init__(self):
        self.ms = defaultdict(list)
        self.lock = threading.Lock()

    def timed(self, label, call, *args, **kwargs):
        started = time.perf_counter()
        answer = call(*args, **kwargs)
        with self.lock:
            self.ms[label].append((time.perf_counter() - started) * 1000)
        return answer

    def all(self):
        return [v for values in self.ms.values() for v in values]


def applicant(i, n):
    return {
        "full_name": f"Nguyễn Văn Thử {i}-{n}",
        "id_number": f"0311{i:02d}{n:06d}"[:12],
        "phone": "0912345678",
        "address": "15 Lạch Tray, Ngô Quyền, Hải Phòng",
    }


class ApiWay:
    """What the pages ask of the APIs, asked directly."""

    name = "API calls alone"

    def __init__(self, system):
        self.system = system
        self.counter = token("counter", agency=AGENCY, sub="quay.bench")
        self.officer = officer(DEPARTMENT)

    def receive(self, http, timings, i, n):
        url = self.system.url
        timings.timed("procedure", http.get, url("intake", f"/api/procedures/{PROCEDURE}"), headers=self.counter)
        body = dossier_body(PROCEDURE, applicant=applicant(i, n))
        answer = timings.timed(
            "submit",
            http.post,
            url("intake", "/api/dossiers"),
            json=body,
            headers={**self.counter, "Idempotency-Key": str(uuid.uuid4())},
        )
        if answer.status_code != 201:
            return False
        timings.timed(
            "dossier", http.get, url("intake", f"/api/dossiers/{answer.json()['code']}"), headers=self.counter
        )
        return True

    def approve(self, http, timings, i):
        url = self.system.url
        timings.timed(
            "queue", http.get, url("processing", f"/api/departments/{DEPARTMENT}/queue"), headers=self.officer
        )
        claim = timings.timed(
            "claim", http.post, url("processing", f"/api/departments/{DEPARTMENT}/claim"), headers=self.officer
        )
        if claim.status_code != 200:
            return False
        task = claim.json()
        code = task["dossier_code"]
        timings.timed("dossier", http.get, url("intake", f"/api/dossiers/{code}"), headers=self.officer)
        timings.timed("tasks", http.get, url("processing", f"/api/dossiers/{code}/tasks"), headers=self.officer)
        decision = timings.timed(
            "decision",
            http.post,
            url("processing", f"/api/tasks/{task['task_id']}/decision"),
            json={"action": "approve", "note": ""},
            headers=self.officer,
        )
        return decision.status_code == 200


class WebWay:
    """The same through the pages, as signed-in people."""

    name = "through the web pages"

    def __init__(self, system, counters, officers):
        self.base = system.url("web", "")
        self.sessions = {}
        for kind, count in (("counter", counters), ("officer", officers)):
            for i in range(count):
                http = requests.Session()
                page = http.get(self.base + "/dang-nhap", timeout=30)
                form = {**inputs(page.text), "username": f"{kind}{i}.bench", "password": PASSWORD}
                signed = http.post(self.base + "/dang-nhap", data=form, timeout=30)
                assert signed.status_code == 200 and "/dang-nhap" not in signed.url, signed.text[:300]
                self.sessions[(kind, i)] = http

    def post(self, session, timings, label, path, form, then):
        """A form posted, then the page it redirects to, each timed on its own."""
        answer = timings.timed(label, session.post, self.base + path, data=form, allow_redirects=False)
        if answer.status_code != 303:
            return None
        return timings.timed(then, session.get, self.base + answer.headers["Location"])

    def receive(self, http, timings, i, n):
        session, path = self.sessions[("counter", i)], f"/quay/nop/{PROCEDURE}"
        form = inputs(timings.timed("reception form", session.get, self.base + path).text, path)
        form.update({f"applicant.{k}": v for k, v in applicant(i, n).items()})
        form.update({"return_method": "counter", "notify.sms": "on"})
        shown = self.post(session, timings, "reception form posted", path, form, "dossier page (counter)")
        return shown is not None and "/quay/ho-so/" in shown.url

    def approve(self, http, timings, i):
        session, claim = self.sessions[("officer", i)], f"/phong/{DEPARTMENT}/nhan-ho-so"
        queue = timings.timed("queue page", session.get, f"{self.base}/phong/{DEPARTMENT}")
        taken = self.post(
            session, timings, "take the next one", claim, inputs(queue.text, claim), "dossier page (officer)"
        )
        if taken is None or "/ho-so/" not in taken.url:
            return False
        decide = taken.url[len(self.base) :] + "/quyet-dinh"
        form = {**inputs(taken.text, decide), "action": "approve", "note": ""}
        decided = self.post(session, timings, "decision posted", decide, form, "queue page")
        return decided is not None and decided.url.endswith(f"/phong/{DEPARTMENT}")


def add_accounts(system, counters, officers):
    url = sa.engine.make_url(system.db_server).set(database=system.db_prefix + "web")
    sessions = db.Sessions(db.make_engine(url, pool_size=1))
    hasher = Argon2Hasher()
    with sessions.work(WebWork) as work:
        for kind, count in (("counter", counters), ("officer", officers)):
            for i in range(count):
                application.add_account(
                    work,
                    hasher,
                    username=f"{kind}{i}.bench",
                    full_name=f"Cán bộ thử {kind} {i}",
                    role=kind,
                    agency=AGENCY if kind == "counter" else None,
                    department=DEPARTMENT if kind == "officer" else None,
                    password=PASSWORD,
                    now=clock.now(),
                )
    sessions.engine.dispose()


def installation_cpu(system):
    """CPU seconds used so far: each service, RabbitMQ, PostgreSQL."""
    used = {name: cpu_seconds(psutil.Process(p.pid)) for name, p in system.processes.items()}
    used["RabbitMQ"] = cpu_seconds(*named("beam.smp"))
    used["PostgreSQL"] = database_cpu()
    return used


def run(way, system, counters, officers, seconds, think):
    """Counters and officers at work together for `seconds`, each pausing `think`
    seconds between two dossiers; what they did and what it cost."""
    timings, done = Timings(), defaultdict[str, int](int)
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(kind, i):
        http = requests.Session()
        n = 0
        while time.monotonic() < stop_at:
            ok = way.receive(http, timings, i, n) if kind == "counter" else way.approve(http, timings, i)
            with lock:
                done[kind if ok else kind + " idle or refused"] += 1
            time.sleep(think if ok or kind == "counter" else max(think, 0.05))  # nothing waiting yet
            n += 1

    cpu_before, started = installation_cpu(system), time.monotonic()
    threads = [threading.Thread(target=worker, args=("counter", i)) for i in range(counters)]
    threads += [threading.Thread(target=worker, args=("officer", i)) for i in range(officers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu_after = time.monotonic() - started, installation_cpu(system)
    by_part = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    cpu = sum(by_part.values())
    dossiers = (done["counter"] + done["officer"]) / 2  # a dossier: one reception and one approval
    every = timings.all()
    print(
        f"{way.name:<22} received {done['counter'] / elapsed:5.1f}/s, approved {done['officer'] / elapsed:5.1f}/s; "
        f"requests p50 {percentile(every, 50):6.1f} ms, p95 {percentile(every, 95):6.1f} ms; "
        f"installation CPU {cpu / max(dossiers, 1) * 1000:6.1f} ms per dossier"
    )
    print(
        "    CPU ms per dossier: "
        + ", ".join(f"{name} {used / max(dossiers, 1) * 1000:.1f}" for name, used in by_part.items() if used > 0.05)
    )
    for label, values in sorted(timings.ms.items()):
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"    {label:<26} n={len(values):5d}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    return cpu / max(dossiers, 1), percentile(every, 95)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="seconds of each way (default 20)")
    parser.add_argument("--counters", type=int, default=20, help="counter officers at work (default 20)")
    parser.add_argument("--officers", type=int, default=20, help="department officers at work (default 20)")
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="seconds each person pauses between two dossiers (default 2; 0: back to back, a stress test)",
    )
    args = parser.parse_args()
    amqp = os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI)
    server = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp, drop_vhost = scratch_vhost(amqp, "web")
    workdir = tempfile.mkdtemp(prefix="bench-web-")
    system = System(amqp, server, PREFIX, __import__("pathlib").Path(workdir))
    system.env["MOTCUA_LOG_LEVEL"] = os.environ.get("MOTCUA_LOG_LEVEL", "WARNING")
    system.env["MOTCUA_WEB_MAX_WORKERS"] = "80"
    try:
        names = ["carrier-sim", *SERVED]
        for name in names:
            system.start(name)
        system.wait_healthy(names, timeout=120)
        add_accounts(system, args.counters, args.officers)
        print(
            f"{args.counters} counter officers and {args.officers} officers of {DEPARTMENT}, {args.seconds:g} s each "
            f"way, {args.think:g} s between two dossiers, procedure {PROCEDURE}; logs in {workdir}"
        )
        api_cpu, api_p95 = run(ApiWay(system), system, args.counters, args.officers, args.seconds, args.think)
        web = WebWay(system, args.counters, args.officers)
        web_cpu, web_p95 = run(web, system, args.counters, args.officers, args.seconds, args.think)
        print(
            f"the web adds {web_cpu / api_cpu - 1:+.0%} CPU per dossier to the API calls alone (goal at most +30%); "
            f"page p95 {web_p95:.0f} ms (goal under 200 ms)"
        )
    finally:
        system.stop_all()
        for service in SERVED:
            drop_database(sa.engine.make_url(server).set(database=PREFIX + service))
        drop_vhost()


if __name__ == "__main__":
    main()
