"""Dossiers in: what the portal pushes (or what the poll finds) becomes one submitted
online dossier in intake, with the portal's number and its files."""

import hashlib

import pytest
import requests

from shared import national_portal
from tests.helpers import wait_for
from tests.system import ADMIN, PORTAL_SECRET, call

pytestmark = pytest.mark.e2e


def take(portal, **body):
    answer = requests.post(f"{portal}/control/dossiers", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def in_intake(system, portal_reference):
    """The dossiers of the register the portal number finds (search by it)."""
    listed = call("GET", system.url("intake", "/api/dossiers"), params={"q": portal_reference}, headers=ADMIN)
    assert listed.status_code == 200, listed.text
    return listed.json()["dossiers"]


def arrival(system, portal_reference):
    overview = call("GET", system.url("portal", "/api/portal/overview"), headers=ADMIN).json()
    return next((a for a in overview["arrivals_latest"] if a["portal_reference"] == portal_reference), None)


def test_a_dossier_pushed_twice_is_one_submitted_online_dossier_with_its_files(system, portal):
    taken = take(portal, procedure_code="1.001776", times=2)
    ref = taken["portal_reference"]
    assert taken["pushed"] == [200, 200]
    done = wait_for(
        lambda: (lambda a: a if a and a["state"] == "done" else None)(arrival(system, ref)),
        message="the portal dossier handed to intake with its files",
    )
    assert done["files"] == done["files_done"] == 3
    [found] = in_intake(system, ref)
    view = call("GET", system.url("intake", f"/api/dossiers/{found['reference']}"), headers=ADMIN).json()
    assert view["status"] == "submitted" and view["channel"] == "online"
    assert view["portal_reference"] == ref
    files = {f["document"]: f for f in view["files"]}
    for sent in taken["dossier"]["files"]:
        assert files[sent["document"]]["sha256"] == sent["sha256"]
    # pushed a third time, later: still one dossier
    again = requests.post(f"{portal}/control/push", json={"portal_reference": ref}, timeout=10).json()
    assert again["pushed"] == [200]
    assert len(in_intake(system, ref)) == 1
    # the portal hears "new" (1) for it under its own number
    wait_for(
        lambda: (
            [
                s["status"]
                for s in requests.get(f"{portal}/control/statuses", params={"dossier_code": ref}).json()["statuses"]
            ]
            == [1]
        ),
        message="status 1 at the portal",
    )


def test_the_poll_brings_what_no_push_brought(system, portal):
    ref = take(portal, push=False)["portal_reference"]
    wait_for(lambda: len(in_intake(system, ref)) == 1, timeout=30, message="the poll found it")


def test_a_push_without_the_portals_signature_is_refused(system, portal):
    body = b'{"portal_reference": "DVCQG-FORGED-1", "procedure_code": "1.000105", "applicant": {}}'
    forged = requests.post(system.url("portal", national_portal.PUSH_PATH), data=body, timeout=5)
    assert forged.status_code == 401
    signed = national_portal.signed_headers("not-the-secret", body)
    assert (
        requests.post(system.url("portal", national_portal.PUSH_PATH), data=body, headers=signed, timeout=5).status_code
        == 401
    )
    bad = b'{"procedure_code": "1.000105"}'
    refused = requests.post(
        system.url("portal", national_portal.PUSH_PATH),
        data=bad,
        headers=national_portal.signed_headers(PORTAL_SECRET, bad),
        timeout=5,
    )
    assert refused.status_code == 400 and "portal_reference" in refused.json()["error"]["fields"]
    assert hashlib  # the module is used above for the files' hashes
