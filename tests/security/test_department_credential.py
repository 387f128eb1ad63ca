"""A department's system answers processing.decide_task with its own credential (a
token with role department_system and its department), never on the strength of the
task message: without it, with a person's token, with another department's, or for a
department that is not automated, the task stays as it was.

The processing service runs in this process (nameko container) on its own RabbitMQ
virtual host and PostgreSQL database; the call goes over AMQP as the worker's does."""

import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

from services.processing import application
from services.processing.adapters.repository import ProcessingWork
from services.processing.domain.model import Task
from services.processing.service import ProcessingService
from shared import auth, clock, events, migrations
from shared.config import DEV_JWT_SECRET, ROOT
from shared.db import Sessions, make_engine
from shared.http import ApiError
from tests.system import free_port

DEPARTMENT = "HTTD"
APPROVE = {"action": "approve", "note": "Hệ thống phòng ban tự động phê duyệt"}
MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)  # a working Thursday: the work is available


@pytest.fixture(scope="module")
def broker(new_vhost):
    uri = new_vhost("department_credential")
    yield uri
    new_vhost.delete(uri)


@pytest.fixture(scope="module")
def uow(database_server):
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=prefix + "security_processing")
    migrations.upgrade("processing", url)
    uow = Sessions(make_engine(url))
    yield uow
    uow.engine.dispose()


@pytest.fixture
def processing(container_factory, broker, uow):
    clock.set_now(MORNING)
    container = container_factory(
        ProcessingService,
        {
            "AMQP_URI": broker,
            "SERVICE": "processing",
            "DATABASE_URL": uow.engine.url,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
            "RETRY_DELAYS_MS": [100, 200],
            "OUTBOX_POLL_SECONDS": 0.2,
            "CLAIM_IDLE_SECONDS": 1800,
            "max_workers": 4,
        },
    )
    container.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": broker}, timeout=30) as rpc:
            yield rpc.processing
    finally:
        clock.set_now(None)


def waiting_task(uow, department=DEPARTMENT):
    """A dossier planned with one step in the department: its task id."""
    now = clock.now()
    code = f"000.00.06.H56-261126-{uuid.uuid4().hex[:8]}"
    data = {
        "procedure_code": "1.000105",
        "procedure_version": 1,
        "channel": "counter",
        "received_at": now,
        "due_at": now + timedelta(days=10),
        "route": [{"department": department, "days": 2}],
        "return_method": "counter",
        "contacts": {},
        "notify": {},
    }
    env = events.load(events.envelope("dossier_received", code, data, source="intake"))
    with uow.work(ProcessingWork) as work:
        return application.plan(work, code, env["data"], env["correlation_id"], now).id


def task_state(uow, task_id):
    with uow.transaction() as session:
        task = session.get(Task, task_id)
        return task.status, task.claimed_by, task.decided_at


def set_automated(uow, department, automated):
    with uow.work(ProcessingWork) as work:
        application.set_automated(work, department, automated, "quantri", clock.now())


def credential(department):
    return auth.issue("department_system", department=department)


def test_decide_task_needs_the_departments_own_credential(processing, uow):
    set_automated(uow, DEPARTMENT, False)
    task_id = waiting_task(uow)
    own = credential(DEPARTMENT)

    def refused(answer, status, code):
        assert answer["status"] == status and answer["error"]["code"] == code, answer
        assert set(answer["error"]) == {"code", "message", "fields"}
        assert task_state(uow, task_id) == ("waiting", None, None)  # nothing changed

    # not automated: even the department's own system may not decide
    refused(processing.decide_task(task_id, APPROVE, DEPARTMENT, token=own), 403, "not_automated")
    set_automated(uow, DEPARTMENT, True)
    try:
        refused(processing.decide_task(task_id, APPROVE, DEPARTMENT), 401, "unauthenticated")
        refused(processing.decide_task(task_id, APPROVE, DEPARTMENT, token="not-a-token"), 401, "invalid_token")
        dev_signed = jwt.encode(
            {
                "sub": f"system.{DEPARTMENT}",
                "role": "department_system",
                "department": DEPARTMENT,
                "exp": 2_000_000_000,
            },
            DEV_JWT_SECRET,
            algorithm=auth.ALGORITHM,
        )
        refused(processing.decide_task(task_id, APPROVE, DEPARTMENT, token=dev_signed), 401, "invalid_token")
        expired = auth.issue("department_system", department=DEPARTMENT, hours=-1)
        refused(processing.decide_task(task_id, APPROVE, DEPARTMENT, token=expired), 401, "token_expired")
        officer = auth.issue("officer", department=DEPARTMENT, sub="cv.httd")
        refused(processing.decide_task(task_id, APPROVE, DEPARTMENT, token=officer), 403, "forbidden")
        other = credential("QLDT")
        refused(processing.decide_task(task_id, APPROVE, "QLDT", token=other), 403, "other_department")
        refused(processing.decide_task(task_id, APPROVE, token=other), 403, "other_department")
        # the department named in the call is no authority: the credential's is
        refused(processing.decide_task(task_id, APPROVE, "QLDT", token=own), 403, "other_department")

        answer = processing.decide_task(task_id, APPROVE, DEPARTMENT, token=own)
        assert answer["status"] == 200, answer
        assert answer["task"]["status"] == "done" and answer["task"]["decision"] == "approve"
        status, holder, decided_at = task_state(uow, task_id)
        assert (status, holder) == ("done", f"system.{DEPARTMENT}") and decided_at is not None
        again = processing.decide_task(task_id, APPROVE, token=own)
        assert again["status"] == 409  # answered once only
    finally:
        set_automated(uow, DEPARTMENT, False)


def test_a_department_system_token_is_no_staff_token():
    """An endpoint that takes any signed-in person (Auth.require without roles) still
    refuses the machine credential: it is for decide_task only."""
    claims = auth.verify("Bearer " + credential(DEPARTMENT))
    assert claims["role"] == "department_system"
    with pytest.raises(ApiError) as refused:
        auth.Auth._allowed(claims, ())
    assert refused.value.status == 403
    assert auth.Auth._allowed(claims, ("department_system",)) is claims
    assert auth.Auth._allowed(auth.verify("Bearer " + auth.issue("portal")), ())["role"] == "portal"


def worker(broker, department, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("MOTCUA_ENV", "MOTCUA_DEPARTMENT_TOKEN")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "department-worker",
            "--department",
            department,
            "--approve-all",
            "--amqp-uri",
            broker,
            "--max-tasks",
            "1",
            *args,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_worker_needs_a_credential_outside_development_mode(broker):
    done = worker(broker, "HTTW")
    assert done.returncode == 2
    assert "--token" in done.stderr and "MOTCUA_DEPARTMENT_TOKEN" in done.stderr


def test_a_refused_worker_gives_the_task_back_and_stops(processing, uow, broker):
    set_automated(uow, "HTTW", True)
    try:
        task_id = waiting_task(uow, "HTTW")
        forged = jwt.encode(
            {"sub": "system.HTTW", "role": "department_system", "department": "HTTW", "exp": 2_000_000_000},
            "some-other-installation-secret-32-bytes+",
            algorithm=auth.ALGORITHM,
        )
        refused = worker(broker, "HTTW", "--token", forged)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "refused the department credential" in refused.stderr
        assert task_state(uow, task_id) == ("waiting", None, None)
        # the task went back to its queue: the department's real system answers it
        answered = worker(broker, "HTTW", "--token", credential("HTTW"))
        assert answered.returncode == 0, answered.stdout + answered.stderr
        assert f"task {task_id}: approve -> ok" in answered.stdout
        assert task_state(uow, task_id)[:2] == ("done", "system.HTTW")
    finally:
        set_automated(uow, "HTTW", False)
