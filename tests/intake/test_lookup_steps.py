"""The citizen lookup's timeline (issue: the web's /tra-cuu shows the steps with their
dates): each status and when, never who or why, and the receiving agency's public
name and office address for where to collect."""

import pytest
import requests

from tests.system import COUNTER, dossier_body, token

pytestmark = pytest.mark.e2e

PORTAL = token("portal", sub="dichvucong")
ID_NUMBER = dossier_body()["applicant"]["id_number"]


def call(system, method, path, headers=None, **kwargs):
    return requests.request(method, system.url("intake", path), headers=headers or {}, timeout=10, **kwargs)


def test_the_lookup_answers_each_step_with_its_time_and_nothing_of_who_or_why(system):
    body = dossier_body(channel="online", return_method="postal")
    submitted = call(system, "POST", "/api/dossiers", PORTAL, json=body)
    assert submitted.status_code == 201, submitted.text
    reference = submitted.json()["reference"]

    early = call(system, "POST", "/api/lookup", json={"code": reference, "id_number": ID_NUMBER})
    assert early.status_code == 200, early.text
    assert [s["status"] for s in early.json()["steps"]] == ["submitted"]

    accepted = call(system, "POST", f"/api/dossiers/{reference}/accept", COUNTER)
    assert accepted.status_code == 200, accepted.text
    code = accepted.json()["code"]
    found = call(system, "POST", "/api/lookup", json={"code": code, "id_number": ID_NUMBER})
    assert found.status_code == 200, found.text
    view = found.json()
    assert [s["status"] for s in view["steps"]] in (["submitted", "received"], ["submitted", "received", "in_progress"])
    assert all(set(step) == {"status", "at"} for step in view["steps"])
    assert view["steps"][1]["at"] == view["received_at"]
    assert view["agency"]["code"] == "000.00.06.H56" and "Lê Chân" in view["agency"]["name"]
    # the counter officer (actor), the channel note and the applicant's own data stay out
    for private in ("canbo.motcua", "dichvucong", "kênh", ID_NUMBER, "0912345678", "Lạch Tray", "hoa@example.vn"):
        assert private not in found.text, private
