"""The national portal under faults: 200 dossiers through their lifecycle while the
portal is down for 60 seconds, and the connector SIGKILLed once while it sends the
backlog after. At the end the portal holds, for every dossier, its statuses exactly
once and in order."""

import time

import eventlet
import pytest
import requests

from tests.faults.test_faults import DOSSIERS, Flow, automated_installation
from tests.helpers import wait_for
from tests.system import ADMIN

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OUTAGE_SECONDS = 60
# received, in progress, resolved, returned: at the counter or delivered by post
EXPECTED = [2, 4, 9, 10]


def held(portal):
    """How many statuses the portal took so far."""
    return requests.get(f"{portal}/control/statuses", timeout=5).json()["accepted"]


@pytest.fixture
def installation(new_vhost, database_server, tmp_path):
    simulators = ("carrier-sim", "portal-sim")
    with automated_installation(new_vhost, database_server, tmp_path, "portal", simulators) as system:
        yield system


def test_every_status_reaches_the_portal_once_in_order_across_an_outage_and_a_kill(installation):
    system = installation
    portal = f"http://127.0.0.1:{system.portal_sim_port}"
    flow = Flow(system)
    flow.start_worker()
    started = time.monotonic()
    helpers = [eventlet.spawn(flow.submit_all), eventlet.spawn(flow.hand_back), eventlet.spawn(flow.supervise_worker)]
    try:
        wait_for(
            lambda: len(flow.codes["counter"]) + len(flow.codes["postal"]) >= DOSSIERS // 4,
            timeout=120,
            message="a quarter of the dossiers submitted",
        )
        requests.post(f"{portal}/control/down", timeout=5).raise_for_status()
        eventlet.sleep(OUTAGE_SECONDS)
        # back, a little slow: the connector sends what it owes, and is SIGKILLed in the
        # middle of it (a status the portal took may not be marked sent)
        requests.post(f"{portal}/control/slow", json={"seconds": 0.02}, timeout=5).raise_for_status()
        requests.post(f"{portal}/control/up", timeout=5).raise_for_status()
        wait_for(lambda: held(portal) >= 100, timeout=30, interval=0.05, message="the connector sending again")
        system.kill("portal")
        killed_at = held(portal)
        system.restart("portal")
        codes = flow.all_returned(helpers[0])
    finally:
        flow.stop()
        for helper in helpers[1:]:
            helper.kill()

    last = {}

    def complete():
        summary = requests.get(f"{portal}/control/statuses", timeout=10).json()
        by_code = {}
        for code in codes:
            answer = requests.get(f"{portal}/control/statuses", params={"dossier_code": code}, timeout=10).json()
            by_code[code] = answer["statuses"]
        last["wrong"] = {
            c: [s["status"] for s in s_] for c, s_ in by_code.items() if [s["status"] for s in s_] != EXPECTED
        }
        last["summary"] = {k: summary[k] for k in ("accepted", "repeats")}
        return by_code if not last["wrong"] else None

    try:
        by_code = wait_for(complete, timeout=120, interval=2, message="every dossier's statuses at the portal")
    except AssertionError as exc:
        wrong = dict(list(last.get("wrong", {}).items())[:10])
        raise AssertionError(
            f"{exc}: {len(last.get('wrong', {}))} dossiers differ, e.g. {wrong}; {last.get('summary')}"
        ) from None
    for code, records in by_code.items():
        assert [r["seq"] for r in records] == [1, 2, 3, 4], (code, records)
        assert len({r["status_id"] for r in records}) == len(records)
    overview = requests.get(system.url("portal", "/api/portal/overview"), headers=ADMIN, timeout=10).json()
    assert overview["statuses"]["owed"] == 0 and overview["statuses"]["parked"] == 0
    print(
        f"\n[portal] {DOSSIERS} dossiers, {DOSSIERS * len(EXPECTED)} statuses at the portal in order, each once, "
        f"after a {OUTAGE_SECONDS} s outage and a SIGKILL of the connector while sending ({killed_at} taken then); "
        f"repeats the portal's key absorbed: "
        f"{last['summary']['repeats']}; {time.monotonic() - started:.0f} s in all"
    )
