"""The quick start: `motcua up` on the SQLite default runs the whole lifecycle, and
Ctrl-C stops everything."""

import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from shared import clock
from shared.config import ROOT, SERVED
from shared.runner import port_is_free
from tests.helpers import wait_for
from tests.system import BUSINESS_MORNING, dossier_body, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def up_vhost(new_vhost):
    uri = new_vhost("up")  # its own broker namespace: no queue shared with other installations
    yield uri
    new_vhost.delete(uri)


@pytest.fixture
def motcua_up(up_vhost, tmp_path):
    ports = {s: free_port() for s in SERVED}
    portal_sim = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MOTCUA_DATABASE_URL", "MOTCUA_JWT_SECRET", "MOTCUA_ENV", "MOTCUA_BIND")
    }
    env.update(
        {
            "MOTCUA_AMQP_URI": up_vhost,
            "MOTCUA_VAR_DIR": str(tmp_path / "var"),
            "MOTCUA_CARRIER_SIM_PORT": str(free_port()),
            "MOTCUA_PAYMENT_GATEWAY_SIM_PORT": str(free_port()),
            "MOTCUA_PORTAL_SIM_PORT": str(portal_sim),
            "MOTCUA_OUTBOX_POLL_SECONDS": "0.5",
            "MOTCUA_CLOCK_OFFSET_SECONDS": str(clock.offset_to(BUSINESS_MORNING)),
            **{f"MOTCUA_{s.upper()}_PORT": str(p) for s, p in ports.items()},
        }
    )
    out = open(tmp_path / "up.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "up", "--carrier-step-seconds", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def log():
        out.seek(0)
        return out.read()

    try:
        wait_for(
            lambda: "Press Ctrl-C" in log() or proc.poll() is not None,
            timeout=60,
            interval=0.3,
            message="motcua up to report healthy",
        )
        assert proc.poll() is None, log()
        yield proc, {**ports, "portal-sim": portal_sim}, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        out.close()


def test_motcua_up_runs_a_dossier_to_returned_on_sqlite(motcua_up, tmp_path):
    proc, ports, log = motcua_up
    text = log()
    assert "SQLite files in" in text and "DEVELOPMENT tokens" in text
    # no secret given: `motcua up` is a local trial, and says so
    assert "development mode: development secrets, demo data; never expose this" in text
    assert "tokens signed with the DEVELOPMENT secret" in text
    assert "broker amqp://guest:***@" in text and "guest:guest" not in text  # no broker password on screen
    tokens = dict(re.findall(r"^\s+(counter|officer|admin|portal)\s+(?:\S+\s+)?(eyJ\S+)$", text, re.M))
    counter = {"Authorization": f"Bearer {tokens['counter']}"}
    officer_line = re.search(r"^\s+officer\s+TUPHAP\s+(eyJ\S+)$", text, re.M)
    officer = {"Authorization": f"Bearer {officer_line.group(1)}"}
    intake, processing = f"http://127.0.0.1:{ports['intake']}", f"http://127.0.0.1:{ports['processing']}"

    # the screens: their URL and the demo accounts are printed; the demo counter officer signs in
    web = f"http://127.0.0.1:{ports['web']}"
    assert f"The office's screens: {web}/dang-nhap" in text
    password = re.search(r"DEMO accounts \(password (\S+)\):", text).group(1)
    assert re.search(r"^\s+canbo\.motcua\s+counter\s+000\.00\.06\.H56", text, re.M)
    browser = requests.Session()
    form = browser.get(f"{web}/dang-nhap", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed_in = browser.post(
        f"{web}/dang-nhap",
        data={"username": "canbo.motcua", "password": password, "csrf_token": csrf},
        timeout=30,
    )
    assert signed_in.status_code == 200 and signed_in.url == f"{web}/quay", signed_in.text[:500]
    assert "Nguyễn Thị Lan" in signed_in.text

    code = requests.post(f"{intake}/api/dossiers", json=dossier_body(), headers=counter, timeout=10).json()["code"]
    claim = wait_for(
        lambda: (lambda r: r if r.status_code == 200 else None)(
            requests.post(f"{processing}/api/departments/TUPHAP/claim", headers=officer, timeout=10)
        ),
        message="the dossier in TUPHAP's queue",
    )
    decision = requests.post(
        f"{processing}/api/tasks/{claim.json()['task_id']}/decision",
        json={"action": "approve"},
        headers=officer,
        timeout=10,
    )
    assert decision.status_code == 200
    wait_for(
        lambda: (
            requests.get(f"{intake}/api/dossiers/{code}", headers=counter, timeout=10).json()["status"]
            == "result_ready"
        ),
        message="result ready",
    )
    assert requests.post(f"{intake}/api/dossiers/{code}/return", headers=counter, timeout=10).status_code == 200
    notify = f"http://127.0.0.1:{ports['notify']}/api/notifications?dossier_code={code}"
    wait_for(
        lambda: (
            sorted(
                m["event_type"]
                for m in requests.get(notify, headers=counter, timeout=10).json()["notifications"]
                if m["status"] == "delivered"
            )
            == ["dossier_received", "dossier_returned", "result_ready"]
        ),
        message="three messages recorded",
    )
    assert sorted(p.name for p in (tmp_path / "var").glob("*.db")) == [f"{s}.db" for s in sorted(SERVED)]

    # the register's reads answer on SQLite too: the search, the book, the statistics, the catalogue report
    dossier = requests.get(f"{intake}/api/dossiers/{code}", headers=counter, timeout=10).json()
    today = dossier["received_at"][:10]  # the system's clock is pinned to a business morning
    admin = {"Authorization": f"Bearer {tokens['admin']}"}

    def read(path, headers=counter, **params):
        answer = requests.get(f"{intake}{path}", params=params, headers=headers, timeout=10)
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()

    assert dossier_body()["applicant"]["full_name"] == "Nguyễn Thị Hoa"
    assert code in [d["code"] for d in read("/api/dossiers", q="nguyen thi hoa")["dossiers"]]
    period = {"from": today, "to": today}
    assert code in [r["code"] for r in read("/api/register/book", format="json", **period)["rows"]]
    summary = read("/api/reports/summary", headers=admin, **period)
    assert summary["total"]["received_counter"] >= 1 and summary["total"]["resolved"] >= 1
    assert read("/api/procedures/report", headers=admin)["offered_after_expiry"] == []

    # the national portal simulator runs beside them: it hears the dossier's four statuses,
    # and its catalogue is the demo one, so the connector finds nothing stale
    sim = f"http://127.0.0.1:{ports['portal-sim']}"
    wait_for(
        lambda: (
            [
                s["status"]
                for s in requests.get(f"{sim}/control/statuses", params={"dossier_code": code}).json()["statuses"]
            ]
            == [2, 4, 9, 10]
        ),
        message="the four statuses at the portal simulator",
    )
    connector = f"http://127.0.0.1:{ports['portal']}"
    stale = requests.get(f"{connector}/api/portal/catalog/differences", headers=admin, timeout=30)
    assert stale.status_code == 200 and stale.json()["differences"] == [], stale.text

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert all(port_is_free(p) for p in ports.values())


def test_motcua_up_refuses_a_taken_port(motcua_up, up_vhost):
    _, ports, _ = motcua_up
    env = {**os.environ, "MOTCUA_AMQP_URI": up_vhost, **{f"MOTCUA_{s.upper()}_PORT": str(ports[s]) for s in SERVED}}
    second = subprocess.run(
        [sys.executable, "-m", "shared.cli", "up"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert second.returncode != 0
    assert "already in use" in second.stderr and "intake" in second.stderr
