"""The processing service in this process (nameko container) on PostgreSQL and its
own RabbitMQ virtual host: HTTP answers, roles and department isolation, the
printable forms, and an automated department answering over AMQP."""

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from services.processing.domain.model import Case
from services.processing.service import ProcessingService
from shared import auth, events
from shared.config import ROOT
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.processing.conftest import MORNING, TZ, outbox, received, supplemented
from tests.system import free_port


def headers(role, **claims):
    return {"Authorization": "Bearer " + auth.issue(role, **claims)}


def officer(department, sub=None):
    return headers("officer", department=department, sub=sub or f"cv.{department.lower()}")


ADMIN = headers("admin", sub="quantri")


@pytest.fixture(scope="module")
def broker(new_vhost):
    uri = new_vhost("processing_service")
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
    """Send an event as intake would (only the data's JSON form crosses the wire)."""
    raw = events.envelope(env["event_type"], env["dossier_code"], env["data"], source="intake")
    publisher = ConfirmingPublisher(broker)
    try:
        publisher.publish_batch([(event_exchange("intake"), env["event_type"], json.dumps(raw).encode(), {})])
    finally:
        publisher.close()


def planned(uow, code):
    with uow.transaction() as session:
        return session.get(Case, code)


def test_officers_see_and_act_only_in_their_department(service, broker, uow):
    env = received(route=[{"department": "HTTPA", "days": 2}])
    code = env["dossier_code"]
    publish(broker, env)
    wait_for(lambda: planned(uow, code), message="dossier planned from dossier_received")

    assert requests.get(f"{service}/api/departments/HTTPA/queue").status_code == 401
    other = requests.get(f"{service}/api/departments/HTTPA/queue", headers=officer("QLDT"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "other_department"
    assert requests.post(f"{service}/api/departments/HTTPA/claim", headers=officer("QLDT")).status_code == 403

    listing = requests.get(f"{service}/api/departments/HTTPA/queue", headers=officer("HTTPA")).json()
    assert [i["dossier_code"] for i in listing["items"]] == [code]
    assert listing["items"][0]["due_at"] == "2026-11-30T08:00:00+07:00"
    assert listing["counts"] == {"open": 1, "claimed": 0, "overdue": 0, "due_soon": 0}

    task = requests.post(f"{service}/api/departments/HTTPA/claim", headers=officer("HTTPA")).json()
    assert (task["dossier_code"], task["claimed_by"]) == (code, "cv.httpa")
    empty = requests.post(f"{service}/api/departments/HTTPA/claim", headers=officer("HTTPA"))
    assert empty.status_code == 404 and empty.json()["error"]["code"] == "queue_empty"

    decision = f"{service}/api/tasks/{task['task_id']}/decision"
    assert requests.post(decision, json={"action": "approve"}, headers=officer("QLDT")).status_code == 403
    bad = requests.post(decision, json={"action": "request_supplement"}, headers=officer("HTTPA"))
    assert bad.status_code == 400 and "items" in bad.json()["error"]["fields"]
    unknown = requests.post(decision, json={"action": "approve", "colour": 1}, headers=officer("HTTPA"))
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"]["colour"] == ["Trường này không có trong mẫu; hãy bỏ đi"]
    missing = requests.post(decision, json={"note": "thiếu hành động"}, headers=officer("HTTPA"))
    assert missing.status_code == 400 and missing.json()["error"]["fields"]["action"] == ["Bắt buộc nhập"]
    ok = requests.post(decision, json={"action": "approve", "note": "đạt"}, headers=officer("HTTPA"))
    assert ok.status_code == 200 and ok.json()["decision"] == "approve"
    again = requests.post(decision, json={"action": "approve"}, headers=officer("HTTPA"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "task_not_held"
    assert [k for k, _ in outbox(uow, code)] == ["processing_started", "result_ready"]


AGENCY = {
    "code": "000.00.06.H56",
    "name": "Ủy ban nhân dân quận Ngô Quyền",
    "head_title": "Chủ tịch",
    "place": "Hải Phòng",
}


def test_apology_and_control_slip_print_as_html(service, broker, uow):
    """Form 04 (Circular 01/2018) is the agency's letter to the applicant: addressed to
    the applicant by name, with the reason and the new date, signed by the agency
    (its name, its head's title), not by the officer's user id."""
    env = received(route=[{"department": "HTTPB", "days": 4}], applicant_name="Nguyễn Văn An", agency=AGENCY)
    code = env["dossier_code"]
    publish(broker, env)
    wait_for(lambda: planned(uow, code), message="dossier planned")
    url = f"{service}/api/dossiers/{code}/extension"
    body = {"reason": "Chờ kết quả đo đạc địa chính", "new_due_at": "2026-12-04T17:00:00+07:00"}
    assert requests.get(url, headers=ADMIN).status_code == 404
    bad = requests.post(url, json={"reason": "x", "new_due_at": "mai"}, headers=officer("HTTPB"))
    assert bad.status_code == 400 and "new_due_at" in bad.json()["error"]["fields"]
    made = requests.post(url, json=body, headers=officer("HTTPB"))
    assert made.status_code == 200, made.text
    assert made.json()["old_due_at"] == "2026-12-02T08:00:00+07:00"
    assert (made.json()["applicant_name"], made.json()["agency"]) == ("Nguyễn Văn An", AGENCY)
    twice = requests.post(url, json={**body, "new_due_at": "2026-12-08T17:00:00+07:00"}, headers=officer("HTTPB"))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_extended"

    page = requests.get(url + "?format=html", headers=ADMIN)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in page.text
    assert "Chờ kết quả đo đạc địa chính" in page.text and "17 giờ 00 phút, ngày 04/12/2026" in page.text
    assert "Kính gửi: <strong>Nguyễn Văn An</strong>" in page.text
    assert "ỦY BAN NHÂN DÂN QUẬN NGÔ QUYỀN" in page.text and "CHỦ TỊCH" in page.text
    assert "Hải Phòng, ngày 26 tháng 11 năm 2026" in page.text
    assert "cv.httpb" not in page.text  # signed by the agency, not by the officer's user id

    slip = requests.get(f"{service}/api/dossiers/{code}/control-slip", headers=ADMIN)
    assert slip.json()["hand_offs"][0]["to"] == "HTTPB" and slip.json()["extension"]["reason"] == body["reason"]
    printed = requests.get(f"{service}/api/dossiers/{code}/control-slip", headers={**ADMIN, "Accept": "text/html"})
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in printed.text
    assert "Bộ phận Một cửa" in printed.text and "Đúng hạn" in printed.text
    assert requests.get(f"{service}/api/dossiers/nope/control-slip", headers=ADMIN).status_code == 404


def test_an_automated_department_answers_over_amqp(service, broker, uow):
    route = [{"department": "AUTOA", "days": 1}, {"department": "AUTOB", "days": 1}]
    url = f"{service}/api/departments/AUTOA/automation"
    assert requests.put(url, json={"automated": True}, headers=officer("AUTOA")).status_code == 403
    for department in ("AUTOA", "AUTOB"):
        answer = requests.put(
            f"{service}/api/departments/{department}/automation", json={"automated": True}, headers=ADMIN
        )
        assert answer.json() == {"department": department, "automated": True}
    assert requests.get(f"{service}/api/departments/automated", headers=ADMIN).json()["departments"] == [
        "AUTOA",
        "AUTOB",
    ]

    codes = []
    for _ in range(3):
        env = received(route=route)
        codes.append(env["dossier_code"])
        publish(broker, env)
    # AUTOA's system stops after 4 answers: its 3 tasks and a repeated one
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "department-worker",
                "--department",
                d,
                "--approve-all",
                "--amqp-uri",
                broker,
                "--token",
                auth.issue("department_system", department=d),
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for d, extra in (("AUTOA", ["--max-tasks", "4"]), ("AUTOB", []))
    ]
    try:
        wait_for(
            lambda: all(getattr(planned(uow, c), "status", None) == "finished" for c in codes),
            timeout=60,
            interval=0.3,
            message="every dossier approved by both department systems",
        )
        with uow.transaction() as session:
            task_id = session.execute(
                sa.text("SELECT id FROM tasks WHERE dossier_code = :c AND step = 1"), {"c": codes[0]}
            ).scalar()
        repeat = json.dumps({"task_id": task_id, "dossier_code": codes[0], "step": 1}).encode()
        publisher = ConfirmingPublisher(broker)
        publisher.publish_batch([(None, "processing.tasks.AUTOA", repeat, {})])
        publisher.close()
        outputs = [workers[0].communicate(timeout=30)[0]]
    finally:
        for worker in workers:
            worker.terminate()
        outputs += [worker.communicate(timeout=20)[0] for worker in workers[1:]]
    for code in codes:
        assert [k for k, _ in outbox(uow, code)] == ["processing_started", "processing_started", "result_ready"]
        for output in outputs:
            assert f"{code} step" in output and "approve -> ok" in output
    assert f"task {task_id}: approve -> 409 task_not_held" in outputs[0]  # answered once, acknowledged
    with uow.transaction() as session:
        holders = (
            session.execute(sa.text("SELECT DISTINCT claimed_by FROM tasks WHERE dossier_code = ANY(:c)"), {"c": codes})
            .scalars()
            .all()
        )
    assert sorted(holders) == ["system.AUTOA", "system.AUTOB"]


def test_a_supplement_request_waits_for_dossier_supplemented_over_the_broker(service, broker, uow, now):
    env = received(route=[{"department": "HTTPC", "days": 2}], supplement_clock="pause")
    code = env["dossier_code"]
    publish(broker, env)
    wait_for(lambda: planned(uow, code), message="dossier planned")
    task = requests.post(f"{service}/api/departments/HTTPC/claim", headers=officer("HTTPC")).json()
    asked = requests.post(
        f"{service}/api/tasks/{task['task_id']}/decision",
        headers=officer("HTTPC"),
        json={"action": "request_supplement", "items": [{"name": "Sổ hộ khẩu", "reason": "bản sao chưa chứng thực"}]},
    )
    assert asked.status_code == 200, asked.text
    assert planned(uow, code).status == "supplement_requested"
    now.set(MORNING + timedelta(hours=2))  # the completed dossier arrives two working hours later
    publish(broker, supplemented(code, MORNING + timedelta(hours=2)))
    wait_for(lambda: planned(uow, code).status == "in_progress", message="resumed after the supplement")
    back = requests.post(f"{service}/api/departments/HTTPC/claim", headers=officer("HTTPC")).json()
    assert back["dossier_code"] == code and back["step"] == 1
    # two working hours paused: the step and the dossier are due two working hours later
    assert back["due_at"] == "2026-11-30T10:00:00+07:00"
    assert planned(uow, code).due_at.isoformat() == "2026-12-02T10:00:00+07:00"


def test_an_extension_less_than_one_working_day_before_the_deadline_is_422(service, broker, uow, now):
    """Decree 61/2018 Art. 19 (as issue 13 cites it), over HTTP: due Wed 2 Dec 08:00,
    asked Tue 1 Dec 09:00 (under one working day before) is 422 extension_too_late;
    a dossier announced without its agency prints the agency code in Form 04."""
    env = received(route=[{"department": "HTTPD", "days": 4}])
    code = env["dossier_code"]
    publish(broker, env)
    wait_for(lambda: planned(uow, code), message="dossier planned")
    url = f"{service}/api/dossiers/{code}/extension"
    body = {"reason": "Chờ ý kiến Sở Tài nguyên và Môi trường", "new_due_at": "2026-12-04T17:00:00+07:00"}
    now.set(datetime(2026, 12, 1, 9, 0, tzinfo=TZ))
    late = requests.post(url, json=body, headers=officer("HTTPD"))
    assert late.status_code == 422, late.text
    assert late.json()["error"]["code"] == "extension_too_late"
    assert "một ngày làm việc" in late.json()["error"]["message"]
    now.set(datetime(2026, 12, 1, 8, 0, tzinfo=TZ))  # exactly one working day before: in time
    made = requests.post(url, json=body, headers=officer("HTTPD"))
    assert made.status_code == 200, made.text
    assert made.json()["agency"] == {
        "code": "000.00.06.H56",
        "name": "000.00.06.H56",
        "head_title": None,
        "place": None,
    }
    page = requests.get(url + "?format=html", headers=ADMIN).text
    assert "Kính gửi" in page and "000.00.06.H56" in page


def test_an_online_dossier_received_at_16h_is_claimable_at_once(service, broker, uow, now):
    """Decree 61/2018 Art. 18 (as issue 13 cites it), over the broker and HTTP: an
    online dossier accepted at 16:00 is in the department's queue at once."""
    now.set(MORNING.replace(hour=16))
    env = received(route=[{"department": "HTTPE", "days": 2}], channel="online", received_at=MORNING.replace(hour=16))
    code = env["dossier_code"]
    publish(broker, env)
    wait_for(lambda: planned(uow, code), message="dossier planned")
    listing = requests.get(f"{service}/api/departments/HTTPE/queue", headers=officer("HTTPE")).json()
    assert [i["dossier_code"] for i in listing["items"]] == [code]
    task = requests.post(f"{service}/api/departments/HTTPE/claim", headers=officer("HTTPE"))
    assert task.status_code == 200 and task.json()["dossier_code"] == code
    assert task.json()["available_at"] == "2026-11-26T16:00:00+07:00"
