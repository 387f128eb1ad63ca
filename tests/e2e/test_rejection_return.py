"""A rejection is returned like a result [Decree 61/2018/NĐ-CP Art. 19-20]: the
refusal notice and the original papers go back through the return step, at the
counter or by post, and the register ends the dossier `returned` with outcome
`rejected` (issue 13, item 5), through the whole running system."""

import pytest

from tests.helpers import wait_for
from tests.processing.test_e2e import decide, take
from tests.system import COUNTER, call, dossier, dossier_body, submit

pytestmark = pytest.mark.e2e

REASON = "Không đủ điều kiện cấp bản sao trích lục"


def reject(system, return_method):
    code = submit(system, dossier_body(procedure="2.000635", return_method=return_method, sms=True))
    task = take(system, "TUPHAP", code)
    answer = decide(system, "TUPHAP", task["task_id"], action="reject", reason=REASON)
    assert answer.status_code == 200, answer.text
    return code


def test_art19_20_a_rejected_dossier_is_handed_back_at_the_counter_and_ends_returned(system):
    code = reject(system, "counter")
    wait_for(lambda: dossier(system, code)["status"] == "rejected", message="rejected in the register")
    handed = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
    assert handed.status_code == 200, handed.text
    view = dossier(system, code)
    assert (view["status"], view["outcome"]) == ("returned", "rejected")
    assert [h["status"] for h in view["history"]][-2:] == ["rejected", "returned"]
    again = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_ready_for_counter_return"


def test_art19_20_a_rejection_returned_by_post_ends_returned_when_delivered(system):
    code = reject(system, "postal")
    view = wait_for(
        lambda: (lambda d: d if d["status"] == "returned" else None)(dossier(system, code)),
        timeout=40,
        message="the refusal notice delivered by post",
    )
    assert view["outcome"] == "rejected" and view["flags"]["postal_status"] == "delivered"
    assert "rejected" in [h["status"] for h in view["history"]]
