"""A service stops when told to (SIGTERM, as `docker stop`, systemd and `motcua up`
send it), also when it has nothing to do: an idle web service used to sleep through
the signal until the supervisor's SIGKILL."""

import signal
import subprocess

import pytest

from tests.system import System

pytestmark = pytest.mark.e2e


def test_an_idle_service_stops_cleanly_on_sigterm(new_vhost, database_server, tmp_path):
    server, prefix = database_server
    vhost = new_vhost("stop")
    installation = System(vhost, server, prefix + "stop_", tmp_path)
    try:
        installation.start("web")
        installation.wait_healthy(["web"])
        web = installation.processes["web"]
        web.send_signal(signal.SIGTERM)
        try:
            code = web.wait(timeout=8)  # far below the 10 s `docker stop` grants before its SIGKILL
        except subprocess.TimeoutExpired:
            pytest.fail("web was still running 8 s after SIGTERM")
        assert code == 0, (installation.logdir / "web.log").read_text()
    finally:
        installation.stop_all()
        new_vhost.delete(vhost)
