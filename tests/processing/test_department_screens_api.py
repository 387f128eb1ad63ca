"""What the department's screens read from processing besides the queue: the steps
of one dossier (GET /api/dossiers/{code}/tasks) and the departments processing knows
(GET /api/departments), with their roles and scope."""

import json

import pytest
import requests

from services.processing.domain.model import Case
from services.processing.service import ProcessingService
from shared import auth, events
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.processing.conftest import received
from tests.system import free_port


def headers(role, **claims):
    return {"Authorization": "Bearer " + auth.issue(role, **claims)}


def officer(department, sub=None):
    return headers("officer", department=department, sub=sub or f"cv.{department.lower()}")


ADMIN = headers("admin", sub="quantri")
COUNTER = headers("counter", agency="000.00.06.H56", sub="quay")
OTHER_COUNTER = headers("counter", agency="000.00.07.H56", sub="quay.khac")


@pytest.fixture(scope="module")
def broker(new_vhost):
    uri = new_vhost("processing_screens")
    yield uri
    new_vhost.delete(uri)


@pytest.fixture
def service(container_factory, broker, processing_url, now):
    port = free_port()
    container = container_factory(
        ProcessingService,
        {
            "AMQP_URI": broker,
            "SERVICE": "processing",
            "DATABASE_URL": processing_url,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "RETRY_DELAYS_MS": [100, 200],
            "OUTBOX_POLL_SECONDS": 0.2,
            "CLAIM_IDLE_SECONDS": 1800,
            "max_workers": 10,
        },
    )
    container.start()
    return f"http://127.0.0.1:{port}"


def publish(broker, env):
    raw = events.envelope(env["event_type"], env["dossier_code"], env["data"], source="intake")
    publisher = ConfirmingPublisher(broker)
    try:
        publisher.publish_batch([(event_exchange("intake"), env["event_type"], json.dumps(raw).encode(), {})])
    finally:
        publisher.close()


def planned(uow, code):
    with uow.transaction() as session:
        return session.get(Case, code)


def test_the_steps_of_a_dossier_with_holder_decision_and_note(service, broker, uow):
    env = received(route=[{"department": "SCRA", "days": 2}, {"department": "SCRB", "days": 1}])
    code = env["dossier_code"]
    publish(broker, env)
    wait_for(lambda: planned(uow, code), message="dossier planned")
    url = f"{service}/api/dossiers/{code}/tasks"

    first = requests.get(url, headers=officer("SCRA"))
    assert first.status_code == 200, first.text
    [step] = first.json()["tasks"]
    assert (step["department"], step["step"], step["status"], step["claimed_by"]) == ("SCRA", 1, "waiting", None)
    assert step["due_at"] == "2026-11-30T08:00:00+07:00" and step["decided_at"] is None and step["note"] == ""
    assert step["overdue"] is False

    task = requests.post(f"{service}/api/departments/SCRA/claim", headers=officer("SCRA")).json()
    assert task["task_id"] == step["task_id"]
    done = requests.post(
        f"{service}/api/tasks/{task['task_id']}/decision",
        json={"action": "approve", "note": "đạt"},
        headers=officer("SCRA"),
    )
    assert done.status_code == 200, done.text

    steps = requests.get(url, headers=officer("SCRB")).json()["tasks"]
    assert [(s["department"], s["status"], s["decision"], s["note"]) for s in steps] == [
        ("SCRA", "done", "approve", "đạt"),
        ("SCRB", "waiting", None, ""),
    ]
    assert steps[0]["claimed_by"] == "cv.scra" and steps[0]["decided_at"] is not None
    assert requests.get(url, headers=COUNTER).status_code == 200
    assert requests.get(url, headers=ADMIN).status_code == 200

    # not theirs to read: the same 404 as a dossier that does not exist
    assert requests.get(url, headers=officer("SCRZ")).status_code == 404
    assert requests.get(url, headers=OTHER_COUNTER).status_code == 404
    assert requests.get(url).status_code == 401
    missing = requests.get(f"{service}/api/dossiers/000.00.06.H56-261126-khong/tasks", headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_departments_processing_knows(service, broker, uow):
    env = received(route=[{"department": "SCRC", "days": 1}])
    publish(broker, env)
    wait_for(lambda: planned(uow, env["dossier_code"]), message="dossier planned")
    marked = requests.put(f"{service}/api/departments/SCRAUTO/automation", json={"automated": True}, headers=ADMIN)
    assert marked.status_code == 200

    for who in (officer("QLDT"), COUNTER, ADMIN):
        answer = requests.get(f"{service}/api/departments", headers=who)
        assert answer.status_code == 200, answer.text
        known = answer.json()["departments"]
        assert {"SCRC", "SCRAUTO"} <= set(known) and known == sorted(set(known))
    assert requests.get(f"{service}/api/departments").status_code == 401
    assert requests.get(f"{service}/api/departments", headers=headers("portal", sub="cong")).status_code == 403
    requests.put(f"{service}/api/departments/SCRAUTO/automation", json={"automated": False}, headers=ADMIN)
