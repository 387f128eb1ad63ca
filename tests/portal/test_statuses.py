"""Statuses out: each dossier's status changes reach the national portal once and in
order, also when the portal was down in the middle of the flow."""

import json
import subprocess
import sys

import pytest
import requests

from devtools.portal_sim import start as start_portal_sim
from shared.config import ROOT
from tests.helpers import wait_for
from tests.portal.conftest import statuses
from tests.system import COUNTER, PORTAL_SECRET, call, dossier, dossier_body, submit, work_through

pytestmark = pytest.mark.e2e


def through_to_the_result(system, *codes):
    """TUPHAP decides, the counter hands the results back."""

    def ready():
        work_through(system, "TUPHAP")
        return all(dossier(system, code)["status"] == "result_ready" for code in codes)

    wait_for(ready, message="results ready at the counter")
    for code in codes:
        handed = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
        assert handed.status_code == 200, handed.text


def test_a_dossiers_statuses_reach_the_portal_once_in_order(system, portal):
    code = submit(system, dossier_body())
    through_to_the_result(system, code)
    wait_for(lambda: statuses(portal, code) == [2, 4, 9, 10], message="2, 4, 9, 10 at the portal")
    held = requests.get(f"{portal}/control/statuses", params={"dossier_code": code}, timeout=5).json()
    assert held["repeats"] == 0
    assert [s["seq"] for s in held["statuses"]] == [1, 2, 3, 4]
    # what the connector says it sent, for the counter's screen
    sent = call("GET", system.url("portal", "/api/portal/statuses"), params={"dossier_code": code}, headers=COUNTER)
    assert [s["number"] for s in sent.json()["statuses"]] == [2, 4, 9, 10]
    assert all(s["sent_at"] for s in sent.json()["statuses"])


def test_statuses_wait_while_the_portal_is_down_and_arrive_in_order_after(system, portal):
    requests.post(f"{portal}/control/down", timeout=5).raise_for_status()
    code = submit(system, dossier_body())
    through_to_the_result(system, code)
    wait_for(
        lambda: (
            [
                s["number"]
                for s in call(
                    "GET", system.url("portal", "/api/portal/statuses"), params={"dossier_code": code}, headers=COUNTER
                )
                .json()
                .get("statuses", [])
            ]
            == [2, 4, 9, 10]
        ),
        message="the connector holds the four statuses",
    )
    assert statuses(portal, code) == []
    requests.post(f"{portal}/control/up", timeout=5).raise_for_status()
    wait_for(lambda: statuses(portal, code) == [2, 4, 9, 10], timeout=30, message="2, 4, 9, 10 after the outage")


def test_a_portal_answering_errors_now_and_then_gets_everything_once(system, portal):
    requests.post(f"{portal}/control/errors", json={"rate": 0.3}, timeout=5).raise_for_status()
    codes = [submit(system, dossier_body()) for _ in range(3)]
    through_to_the_result(system, *codes)
    for code in codes:
        wait_for(lambda c=code: statuses(portal, c) == [2, 4, 9, 10], timeout=40, message=f"{code} complete")


def test_reconcile_sends_again_what_the_portal_lacks(system, portal):
    code = submit(system, dossier_body())
    through_to_the_result(system, code)
    wait_for(lambda: statuses(portal, code) == [2, 4, 9, 10], message="2, 4, 9, 10 at the portal")
    empty = start_portal_sim(PORTAL_SECRET)  # a portal that lost everything
    try:
        compared = subprocess.run(
            [sys.executable, "-m", "shared.cli", "portal", "reconcile", "--json"],
            env={**system.env, "MOTCUA_NATIONAL_PORTAL_URL": empty.url},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        empty.stop()
    assert compared.returncode == 1, compared.stdout + compared.stderr  # differences found
    assert {f"{code}/{seq}" for seq in (1, 2, 3, 4)} <= set(json.loads(compared.stdout)["resent"])
    # the running connector sends them again; the portal that has them takes nothing twice
    held = lambda: requests.get(f"{portal}/control/statuses", params={"dossier_code": code}, timeout=5).json()  # noqa: E731
    wait_for(lambda: held()["repeats"] == 4, message="the four statuses sent again")
    assert statuses(portal, code) == [2, 4, 9, 10]
