"""The lifecycle benchmark, at a size that proves it still works: it brings up a
whole installation (SMS through the HTTP gateway simulator, returns at the counter
and by post, the automated department), takes every dossier to `returned`, prints
its figures and leaves nothing behind."""

import os
import re
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from shared.config import ROOT

pytestmark = pytest.mark.e2e


def test_a_small_lifecycle_run_returns_every_dossier_and_cleans_up(amqp_uri, database_server):
    server, _ = database_server
    env = {**os.environ, "MOTCUA_AMQP_URI": amqp_uri, "MOTCUA_DATABASE_URL": server}
    name = f"test_{uuid.uuid4().hex[:8]}"  # its own scratch vhosts and databases
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.lifecycle",
            "--rates",
            "5",
            "--seconds",
            "2",
            "--flat-out",
            "10",
            "--clients",
            "2",
            "--name",
            name,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    rates = re.findall(r"([\d.]+) dossiers/s through the lifecycle \(", out)
    assert len(rates) == 3 and all(float(r) > 0 for r in rates), out  # warm-up, 5/s, flat out
    # every dossier's "received" SMS reached the gateway: warm-up 20, 5/s for 2 s, flat out 10
    assert re.findall(r"submission -> received SMS .*\((\d+) SMS\)", out) == ["20", "10", "10"]
    assert "CPU per dossier: intake" in out and "RSS now/peak: intake" in out
    assert re.search(r"events per handler transaction: intake [\d.]+, processing [\d.]+", out), out
    assert re.search(r"baseline: kombu alone, the run's \d+ messages", out), out
    assert "targets:" in out
    admin = sa.create_engine(sa.engine.make_url(server).set(database="postgres"))
    with admin.connect() as conn:
        left = conn.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"motcua_bench_{name}_%"}
        ).all()
    admin.dispose()
    assert left == []
