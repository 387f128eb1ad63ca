"""Citizen lookup and GET /api/dossiers/{code} with a large register (1,000,000
dossiers by default), beside a bare nameko @http GET in the same run.

  python -m bench.intake_lookup [--dossiers 1000000] [--seconds 8] [--clients 1,8]

Fills a scratch database (MOTCUA_DATABASE_URL, default the local PostgreSQL) with
one INSERT .. SELECT generate_series per table, starts intake on it, and measures
latency of random existing codes. The database and virtual host are removed at the
end unless --keep is given.
"""

import argparse
import json
import random
import tempfile
import time
from datetime import date, timedelta

import sqlalchemy as sa

from bench.common import drop_database, scratch_vhost
from bench.intake_common import SECRET, closed_loop, line, servers, start_bare, start_intake, stop
from services.intake import application
from services.intake.adapters.repository import IntakeWork
from services.intake.schemas import DEMO_CATALOGUE, catalogue_entries
from shared import auth, clock, migrations
from shared.db import Sessions, make_engine

PREFIX = "motcua_bench_lookup_"
AGENCY = "000.00.06.H56"
PER_DAY = 2000  # dossiers per agency per day in the generated register

FILL = """
INSERT INTO dossiers (code, agency_code, procedure_id, procedure_code, procedure_version, channel, status,
    status_at, applicant_name, id_number, phone, email, address, documents, return_method, delivery_address,
    notify_sms, notify_email, submitted_at, received_at, due_at, overdue, rescheduled, received_by,
    correlation_id)
SELECT :agency || '-' || to_char(day, 'YYMMDD') || '-' || lpad((i % :per_day + 1)::text, 4, '0'),
    :agency, :procedure_id, '2.000635', 1, 'counter',
    (ARRAY['received','in_progress','result_ready','returned'])[i % 4 + 1],
    day, 'Công dân ' || i, '031' || lpad(i::text, 9, '0'), '0912345678', NULL, 'Hải Phòng',
    '[{"name": "Tờ khai", "copies": 1}]', 'counter', NULL, true, false, day, day, day + interval '1 day',
    false, false, 'canbo', md5(i::text)::uuid::text
FROM (SELECT i, timestamptz '2020-01-01 08:00+07' + (i / :per_day) * interval '1 day' AS day
      FROM generate_series(0, :n - 1) AS i) AS g
"""
HISTORY = """
INSERT INTO dossier_history (dossier_code, status, at, actor, note)
SELECT code, 'received', received_at, 'canbo', 'kênh counter' FROM dossiers
UNION ALL
SELECT code, status, received_at + interval '2 hours', 'processing', '' FROM dossiers WHERE status <> 'received'
"""


def code_of(i):
    """(code, id number) of generated dossier i, as FILL made them."""
    day = date(2020, 1, 1) + timedelta(days=i // PER_DAY)
    return f"{AGENCY}-{day:%y%m%d}-{i % PER_DAY + 1:04d}", f"031{i:09d}"


def fill(db_server, n):
    url = sa.engine.make_url(db_server).set(database=PREFIX + "intake")
    migrations.upgrade("intake", url)
    uow = Sessions(make_engine(url))
    with uow.work(IntakeWork) as work:
        application.import_catalogue(
            work, catalogue_entries(json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))), clock.now().date()
        )
        procedure_id = work.procedures.get("2.000635").in_effect(clock.now().date()).id
    started = time.perf_counter()
    with uow.engine.begin() as conn:
        conn.execute(sa.text(FILL), {"agency": AGENCY, "procedure_id": procedure_id, "n": n, "per_day": PER_DAY})
        conn.execute(sa.text(HISTORY))
    with uow.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE dossiers"))
        conn.execute(sa.text("VACUUM ANALYZE dossier_history"))
        counted = conn.scalar(sa.text("SELECT count(*) FROM dossiers"))
    uow.engine.dispose()
    return counted, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8, help="seconds per measurement (default 8)")
    parser.add_argument("--clients", default="1,8", help="concurrency levels (default 1,8)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    amqp, db = servers()
    amqp, drop_vhost = scratch_vhost(amqp, "lookup")
    drop_database(sa.engine.make_url(db).set(database=PREFIX + "intake"))
    counted, took = fill(db, args.dossiers)
    print(f"register filled: {counted} dossiers (+ history) in {took:.1f} s")
    staff = {"Authorization": "Bearer " + auth.issue("counter", agency=AGENCY, sub="bench", key=SECRET)}
    logs = tempfile.NamedTemporaryFile(prefix="bench-lookup-", suffix=".log", delete=False)
    intake, intake_url = start_intake(
        amqp, db, PREFIX, logs, MOTCUA_LOOKUP_RATE_PER_MINUTE="100000000", MOTCUA_SEED_DEMO_CATALOG="false"
    )
    bare, bare_url = start_bare(amqp, logs)
    rng = random.Random(7)
    try:

        def pick():
            return code_of(rng.randrange(counted))

        def lookup(session, i, n):
            code, id_number = pick()
            r = session.post(f"{intake_url}/api/lookup", json={"code": code, "id_number": id_number}, timeout=30)
            return r.status_code == 200

        def dossier(session, i, n):
            return session.get(f"{intake_url}/api/dossiers/{pick()[0]}", headers=staff, timeout=30).status_code == 200

        def baseline(session, i, n):
            return session.get(f"{bare_url}/bare", params={"code": pick()[0]}, timeout=30).status_code == 200

        for fn in (lookup, dossier, baseline):
            closed_loop(fn, 2, 1.0)  # warm up
        print(f"latency with {counted} dossiers in the register ({args.seconds:g} s per line), log {logs.name}")
        for clients in (int(c) for c in args.clients.split(",")):
            for label, fn in (
                (f"bare nameko @http GET, {clients} clients", baseline),
                (f"POST /api/lookup, {clients} clients", lookup),
                (f"GET /api/dossiers/{{code}}, {clients} clients", dossier),
            ):
                print(line(label, *closed_loop(fn, clients, args.seconds)))
    finally:
        stop(intake)
        stop(bare)
        if not args.keep:
            drop_database(sa.engine.make_url(db).set(database=PREFIX + "intake"))
        drop_vhost()


if __name__ == "__main__":
    main()
