"""POST /api/dossiers on PostgreSQL at 1, 8 and 32 concurrent clients, beside a bare
nameko @http endpoint that parses the same JSON, measured in the same run; then
p50/p99 latency of submissions arriving at a steady 100/s.

  python -m bench.intake_submit [--seconds 8] [--steady-rate 100] [--steady-seconds 10]
                                [--processes 1]

Uses MOTCUA_AMQP_URI and MOTCUA_DATABASE_URL (default: the local servers), a scratch
RabbitMQ virtual host and a scratch database, both removed at the end. Each client
is one counter terminal (its own agency code, so every code stays 4 digits), and
sends an Idempotency-Key as a counter would.
"""

import argparse
import json
import tempfile
import uuid

import sqlalchemy as sa

from bench.common import drop_database, scratch_vhost
from bench.intake_common import SECRET, Usage, closed_loop, line, open_loop, servers, start_bare, start_intake, stop
from shared import auth
from tests.system import dossier_body

PREFIX = "motcua_bench_submit_"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8, help="seconds per concurrency level (default 8)")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels (default 1,8,32)")
    parser.add_argument("--steady-rate", type=float, default=100, help="submissions/s of the latency run")
    parser.add_argument("--steady-seconds", type=float, default=10)
    parser.add_argument(
        "--processes", type=int, default=1, help="intake's processes (`motcua serve --processes`, default 1)"
    )
    args = parser.parse_args()
    amqp, db = servers()
    amqp, drop_vhost = scratch_vhost(amqp, "submit")
    drop_database(sa.engine.make_url(db).set(database=PREFIX + "intake"))
    tokens = [
        {
            "Authorization": "Bearer "
            + auth.issue("counter", agency=f"000.{i // 100:02d}.{i % 100:02d}.H56", sub=f"quay-{i}", key=SECRET)
        }
        for i in range(64)
    ]
    payload = dossier_body(return_method="postal")
    raw = json.dumps(payload).encode()
    logs = tempfile.NamedTemporaryFile(prefix="bench-intake-", suffix=".log", delete=False)
    intake, intake_url = start_intake(amqp, db, PREFIX, logs, processes=args.processes)
    bare, bare_url = start_bare(amqp, logs)
    try:

        def submit(session, i, n):
            r = session.post(
                f"{intake_url}/api/dossiers",
                data=raw,
                timeout=30,
                headers={**tokens[i], "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
            )
            return r.status_code == 201

        def baseline(session, i, n):
            return (
                session.post(
                    f"{bare_url}/bare", data=raw, timeout=30, headers={"Content-Type": "application/json"}
                ).status_code
                == 201
            )

        print(
            f"POST /api/dossiers on PostgreSQL ({args.seconds:g} s per level, intake in {args.processes} "
            f"process(es)), log {logs.name}"
        )
        closed_loop(submit, 2, 1.5)  # warm up: connections, caches
        closed_loop(baseline, 2, 1.5)
        for clients in (int(c) for c in args.clients.split(",")):
            usage = Usage(bare.pid)
            base_rate, base_lat, base_err = closed_loop(baseline, clients, args.seconds)
            print(
                line(f"bare nameko @http, {clients:>2} clients", base_rate, base_lat, base_err)
                + usage.report(len(base_lat))
            )
            usage = Usage(intake.pid)
            rate, lat, err = closed_loop(submit, clients, args.seconds)
            print(
                line(f"POST /api/dossiers, {clients:>2} clients", rate, lat, err)
                + f" = {rate / base_rate:4.0%} of bare"
                + usage.report(len(lat))
            )
        lat, err = open_loop(submit, args.steady_rate, args.steady_seconds)
        base_lat, base_err = open_loop(baseline, args.steady_rate, args.steady_seconds)
        print(line(f"bare nameko @http at a steady {args.steady_rate:g}/s", args.steady_rate, base_lat, base_err))
        print(line(f"POST /api/dossiers at a steady {args.steady_rate:g}/s", args.steady_rate, lat, err))
    finally:
        stop(intake)
        stop(bare)
        drop_database(sa.engine.make_url(db).set(database=PREFIX + "intake"))
        drop_vhost()


if __name__ == "__main__":
    main()
