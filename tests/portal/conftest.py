"""The portal e2e tests: the running system (tests/conftest.py's `system`) with the
national portal simulator as a process of it, at the address the connector uses."""

import pytest
import requests


@pytest.fixture(scope="session")
def portal_sim(system):
    """The simulator (started once), its base URL; each test starts from it up and fast."""
    if "portal-sim" not in system.processes:
        system.start("portal-sim")
        system.wait_healthy(["portal-sim"])
    return f"http://127.0.0.1:{system.portal_sim_port}"


@pytest.fixture
def portal(portal_sim):
    for path, body in (
        ("/control/up", None),
        ("/control/slow", {"seconds": 0}),
        ("/control/errors", {"count": 0, "rate": 0}),
    ):
        requests.post(portal_sim + path, json=body, timeout=5).raise_for_status()
    return portal_sim


def statuses(portal, code):
    """The status numbers the portal holds for a dossier, in the order they arrived."""
    answer = requests.get(f"{portal}/control/statuses", params={"dossier_code": code}, timeout=5)
    answer.raise_for_status()
    return [s["status"] for s in answer.json()["statuses"]]
