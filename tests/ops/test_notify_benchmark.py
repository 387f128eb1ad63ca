"""notify's SMS benchmark, at a size that proves it still works: notify runs inside
the benchmark's process, so it must bring what the service needs to start (its
token secret among them), and print its three figures."""

import os
import re
import subprocess
import sys

import pytest

from shared.config import ROOT

pytestmark = pytest.mark.e2e


def test_a_small_notify_run_prints_both_baselines_and_the_sms_rate(amqp_uri, database_server):
    server, _ = database_server
    env = {**os.environ, "MOTCUA_AMQP_URI": amqp_uri, "MOTCUA_DATABASE_URL": server}
    env.pop("MOTCUA_JWT_SECRET", None)  # as on a developer's machine
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
