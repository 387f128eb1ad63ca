"""notify's SMS benchmark, at a size that proves it still works: notify runs inside
the benchmark's process, so it must bring what the service needs to start (its
token secret among them), print its three figures, and keep the events it loads
away from an installation on the same broker (here, the e2e tests' system)."""

import os
import re
import subprocess
import sys

import kombu
import pytest

from shared import messaging
from shared.config import ROOT

pytestmark = pytest.mark.e2e


def test_a_small_notify_run_prints_both_baselines_and_the_sms_rate(amqp_uri, database_server):
    server, _ = database_server
    env = {**os.environ, "MOTCUA_AMQP_URI": amqp_uri, "MOTCUA_DATABASE_URL": server}
    env.pop("MOTCUA_JWT_SECRET", None)  # as on a developer's machine
    overheard = kombu.Queue(
        "notify_benchmark_overheard", messaging.event_exchange("intake"), routing_key="dossier_received"
    )
    with kombu.Connection(amqp_uri) as conn:
        overheard(conn.default_channel).declare()
    done = subprocess.run(
        [sys.executable, "-m", "bench.notify_sms", "--messages", "200"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rates = re.findall(r"^(baseline|notify) .*?(\d+) (?:events|messages)/s", done.stdout, re.MULTILINE)
    assert [kind for kind, _ in rates] == ["baseline", "baseline", "notify"], done.stdout
    assert all(int(rate) > 0 for _, rate in rates), done.stdout
    with kombu.Connection(amqp_uri) as conn:
        bound = overheard(conn.default_channel)
        _, heard, _ = bound.queue_declare(passive=True)
        bound.delete()
    assert heard == 0, f"{heard} of the benchmark's events reached the installation's broker"
