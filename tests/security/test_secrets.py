"""Secure by default: outside development mode a service does not start with a missing,
short or published secret (exit 2, naming the variables); development mode is explicit
and announced; services listen on 127.0.0.1 unless told otherwise; a token signed
with the development secret is refused by an installation with a real secret."""

import os
import subprocess
import sys

import jwt
import psutil
import pytest
import requests

from shared import auth, secret_policy
from shared.config import DEV_JWT_SECRET, ROOT, load_config
from tests.helpers import wait_for
from tests.system import AGENCY, COUNTER, TEST_SECRET, free_port

pytestmark = pytest.mark.e2e

GOOD_SECRET = "a-real-installation-secret-of-40-bytes!!"
# What a shell may carry that would change the outcome: each test sets what it means.
CLEARED = (
    "MOTCUA_ENV",
    "MOTCUA_JWT_SECRET",
    "MOTCUA_BIND",
    "MOTCUA_CARRIER_SECRET",
    "MOTCUA_CARRIER_API_KEY",
    "MOTCUA_SMS_BACKEND",
    "MOTCUA_SMS_GATEWAY_SECRET",
)


@pytest.fixture(scope="module")
def vhost(new_vhost):
    uri = new_vhost("secrets")  # a service started here must not share queues with the running installation
    yield uri
    new_vhost.delete(uri)


@pytest.fixture
def env(vhost, database_server, tmp_path):
    server, prefix = database_server
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    base.update(
        {
            "MOTCUA_AMQP_URI": vhost,
            "MOTCUA_DATABASE_URL": server,
            "MOTCUA_DATABASE_PREFIX": prefix + "sec_",
            "MOTCUA_VAR_DIR": str(tmp_path),
            "MOTCUA_LOG_FORMAT": "text",
            **{f"MOTCUA_{s.upper()}_PORT": str(free_port()) for s in ("intake", "postal", "notify")},
        }
    )
    return base


def serve(service, env):
    """Run `motcua serve SERVICE` expecting it to stop by itself."""
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "serve", service],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_jwt_secret_outside_development_mode_exits_2_naming_it(env):
    done = serve("intake", env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "MOTCUA_JWT_SECRET is not set" in done.stderr
    assert "MOTCUA_ENV=development" in done.stderr  # says how to run a local trial instead
    assert "Traceback" not in done.stderr


def test_a_short_jwt_secret_exits_2(env):
    done = serve("intake", {**env, "MOTCUA_JWT_SECRET": "x" * 20})
    assert done.returncode == 2
    assert "MOTCUA_JWT_SECRET is shorter than 32 bytes" in done.stderr


def test_the_development_secret_is_refused_outside_development_mode(env):
    done = serve("intake", {**env, "MOTCUA_JWT_SECRET": DEV_JWT_SECRET})
    assert done.returncode == 2
    assert "MOTCUA_JWT_SECRET is the published development secret" in done.stderr


def test_postal_with_the_simulators_carrier_credentials_exits_2_naming_every_variable(env):
    done = serve("postal", env)  # no JWT secret either: all problems at once
    assert done.returncode == 2
    for variable in ("MOTCUA_JWT_SECRET", "MOTCUA_CARRIER_SECRET", "MOTCUA_CARRIER_API_KEY"):
        assert variable in done.stderr, done.stderr
    done = serve("postal", {**env, "MOTCUA_JWT_SECRET": GOOD_SECRET, "MOTCUA_CARRIER_API_KEY": "a-real-key"})
    assert done.returncode == 2
    assert "MOTCUA_CARRIER_SECRET is a published development value" in done.stderr
    assert "MOTCUA_JWT_SECRET" not in done.stderr.split("Set MOTCUA_JWT_SECRET")[0]


def test_notify_needs_the_sms_gateway_secret_only_when_it_uses_the_gateway(env):
    done = serve("notify", {**env, "MOTCUA_JWT_SECRET": GOOD_SECRET, "MOTCUA_SMS_BACKEND": "http"})
    assert done.returncode == 2
    assert "MOTCUA_SMS_GATEWAY_SECRET is not set" in done.stderr
    cfg = {"SMS_BACKEND": "local", "SMS_GATEWAY_SECRET": ""}
    assert secret_policy.problems("notify", cfg, {"MOTCUA_JWT_SECRET": GOOD_SECRET}) == []


def test_the_problems_of_each_service_come_from_its_own_configuration():
    environ = {"MOTCUA_JWT_SECRET": GOOD_SECRET}
    assert secret_policy.problems("intake", {}, environ) == []
    postal = {**load_config("postal"), "CARRIER_SECRET": "dev-carrier-secret", "CARRIER_API_KEY": ""}
    assert secret_policy.problems("postal", postal, environ) == [
        "MOTCUA_CARRIER_SECRET is a published development value ('dev-carrier-secret')",
        "MOTCUA_CARRIER_API_KEY is not set",
    ]
    assert secret_policy.problems("postal", {**postal, "CARRIER_SECRET": "s", "CARRIER_API_KEY": "k"}, environ) == []
    # a 32-byte secret of multi-byte characters counts bytes, not characters
    assert secret_policy.jwt_secret_problem("ộ" * 11) is None and secret_policy.jwt_secret_problem("ộ" * 10)


def listening_addresses(pid, port):
    return {
        c.laddr.ip
        for c in psutil.Process(pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }


def test_development_mode_starts_without_a_secret_announces_it_and_listens_on_loopback(env, tmp_path):
    port = int(env["MOTCUA_INTAKE_PORT"])
    log_path = tmp_path / "intake.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "serve", "intake"],
            env={**env, "MOTCUA_ENV": "development"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def healthy():
            assert proc.poll() is None, log_path.read_text()
            try:
                return requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, timeout=90, interval=0.3, message="intake in development mode healthy")
        assert listening_addresses(proc.pid, port) == {"127.0.0.1"}  # not 0.0.0.0 without MOTCUA_BIND
        text = log_path.read_text()
        assert "DEVELOPMENT mode (MOTCUA_ENV=development)" in text and "never expose" in text
        assert "using the DEVELOPMENT JWT secret" in text
        dev_counter = jwt.encode(
            {"sub": "dev", "role": "counter", "agency": AGENCY, "exp": 2_000_000_000},
            DEV_JWT_SECRET,
            algorithm=auth.ALGORITHM,
        )
        answer = requests.get(
            f"http://127.0.0.1:{port}/api/dossiers/{AGENCY}-261126-9999",
            headers={"Authorization": f"Bearer {dev_counter}"},
            timeout=10,
        )
        assert answer.status_code == 404, answer.text  # accepted in development mode: no such dossier
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_token_signed_with_the_development_secret_is_401_where_a_real_secret_is_set(system):
    url = system.url("intake", f"/api/dossiers/{AGENCY}-261126-9999")
    dev_counter = jwt.encode(
        {"sub": "canbo.motcua", "role": "counter", "agency": AGENCY, "exp": 2_000_000_000},
        DEV_JWT_SECRET,
        algorithm=auth.ALGORITHM,
    )
    answer = requests.get(url, headers={"Authorization": f"Bearer {dev_counter}"}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_token"
    assert requests.get(url, headers=COUNTER, timeout=10).status_code == 404  # the real secret's token passes
    assert listening_addresses(system.processes["intake"].pid, system.ports["intake"]) == {"127.0.0.1"}


def run_cli(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_token_issue_needs_a_secret_outside_development_mode():
    done = run_cli("token", "issue", "--role", "admin")
    assert done.returncode == 2 and done.stdout == ""
    assert "MOTCUA_JWT_SECRET is not set" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("token", "issue", "--role", "admin", MOTCUA_ENV="development")
    assert done.returncode == 0
    assert jwt.decode(done.stdout.strip(), DEV_JWT_SECRET, algorithms=[auth.ALGORITHM])["role"] == "admin"


def test_token_issue_for_a_department_system():
    done = run_cli(
        "token", "issue", "--role", "department_system", "--department", "TCKH", MOTCUA_JWT_SECRET=TEST_SECRET
    )
    assert done.returncode == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), TEST_SECRET, algorithms=[auth.ALGORITHM])
    assert (claims["role"], claims["department"], claims["sub"]) == ("department_system", "TCKH", "system.TCKH")
    missing = run_cli("token", "issue", "--role", "department_system", MOTCUA_JWT_SECRET=TEST_SECRET)
    assert missing.returncode != 0 and "needs --department" in missing.stderr
