"""The shared spine without a server: domain errors and their one table, answered
over HTTP and RPC; the unit of work collecting recorded events; the event types;
`@handles` wiring; the configured timer."""

import json
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared import events, reliability
from shared.clock import TZ
from shared.db import Sessions, make_engine
from shared.domain import (
    Aggregate,
    Conflict,
    DomainError,
    DomainEvent,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleBroken,
    Unavailable,
)
from shared.errors import STATUS, http_error, rpc_error
from shared.events import EventType
from shared.http import ApiError, api
from shared.messaging import IN_UNIT_OF_WORK, consumer_queue_name, handles, service_consumer_queues
from shared.timer import ConfiguredTimer, every, interval_from
from shared.uow import UnitOfWork
from tests.unit.fakes import FakeRepository, FakeWork


class SupplementTooLate(RuleBroken):
    code = "supplement_too_late"


class StaleDecision(Conflict):
    code = "stale_decision"


# --- the table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "category, status",
    [(InvalidInput, 400), (Forbidden, 403), (NotFound, 404), (Conflict, 409), (RuleBroken, 422), (Unavailable, 503)],
)
def test_each_category_has_its_status(category, status):
    assert STATUS[category] == status
    assert http_error(category("không được"))[0] == status


def test_a_service_exception_takes_its_category_status_and_its_own_code():
    exc = SupplementTooLate("Quá 3 ngày làm việc", {"items": ["muộn"]})
    assert http_error(exc) == (422, "supplement_too_late", "Quá 3 ngày làm việc", {"items": ["muộn"]})
    assert http_error(StaleDecision("đã xử lý"))[:2] == (409, "stale_decision")


def test_a_code_may_be_given_per_instance():
    assert http_error(Conflict("đã huỷ", code="already_cancelled"))[:2] == (409, "already_cancelled")
    assert Conflict.code == "conflict"  # the class keeps its own


def test_a_domain_error_outside_every_category_is_a_500():
    assert http_error(DomainError("?"))[0] == 500


def test_rpc_answers_the_same_status_and_code():
    assert rpc_error(SupplementTooLate("muộn", {"x": ["y"]})) == {
        "status": 422,
        "error": {"code": "supplement_too_late", "message": "muộn", "fields": {"x": ["y"]}},
    }
    assert rpc_error(NotFound("không có"))["error"]["fields"] == {}


class _Endpoint:
    @api
    def refuses(self, request):
        raise SupplementTooLate("Quá hạn yêu cầu bổ sung", {"items": ["quá 3 ngày"]})

    @api
    def api_error(self, request):
        raise ApiError(400, "missing_header", "Thiếu Idempotency-Key")


def _answer(method):
    request = Request(EnvironBuilder(method="POST", path="/x").get_environ())
    response = method(request)
    return response.status_code, json.loads(response.get_data())


def test_http_answers_a_domain_error_through_the_table():
    status, body = _answer(_Endpoint().refuses)
    assert status == 422
    assert body == {
        "error": {
            "code": "supplement_too_late",
            "message": "Quá hạn yêu cầu bổ sung",
            "fields": {"items": ["quá 3 ngày"]},
        }
    }


def test_http_still_answers_an_api_error():
    assert _answer(_Endpoint().api_error) == (
        400,
        {"error": {"code": "missing_header", "message": "Thiếu Idempotency-Key", "fields": {}}},
    )


# --- event types --------------------------------------------------------------------


def test_every_event_schema_has_an_event_type():
    assert set(events.EVENTS) == set(EventType)
    assert all(isinstance(t, EventType) for t in events.EVENTS)
    assert EventType.RESULT_READY == "result_ready"
    assert events.source_of("result_ready") == "processing"  # bare strings keep working


def test_an_envelope_of_an_event_type_member_carries_the_string():
    env = events.envelope(EventType.DOSSIER_REFUSED, "X", {"reason": "r"}, source="intake")
    assert type(env["event_type"]) is str
    assert json.loads(json.dumps(env))["event_type"] == "dossier_refused"


# --- aggregates and the unit of work -----------------------------------------------


@dataclass(frozen=True)
class Overdue(DomainEvent):
    event_type = EventType.DOSSIER_OVERDUE
    due_at: datetime


@dataclass(frozen=True)
class Refused(DomainEvent):
    event_type = EventType.DOSSIER_REFUSED
    reason: str


class Dossier(Aggregate):
    def __init__(self, code):  # no super().__init__(): the recorded list must still work
        self.code = code
        self.status = "received"

    def refuse(self, reason):
        self.status = "refused"
        self.record(Refused(self.code, "corr-1", reason))

    def mark_overdue(self, due_at):
        self.record(Overdue(self.code, None, due_at))


class Work(FakeWork):
    source = "intake"

    def __init__(self, *dossiers):
        super().__init__()
        self.dossiers = FakeRepository(self, {d.code: d for d in dossiers})


DUE = datetime(2026, 11, 27, 17, tzinfo=TZ)


def test_event_data_is_every_field_but_the_envelope():
    assert Refused("X", "c", "thiếu tờ khai").data() == {"reason": "thiếu tờ khai"}
    assert Overdue("X", None, DUE).data() == {"due_at": DUE}


def test_the_unit_of_work_collects_the_events_of_every_aggregate_it_tracks():
    work = Work(Dossier("A"), Dossier("B"))
    work.dossiers.get("A").refuse("thiếu tờ khai")
    b = work.dossiers.get("B")
    b.mark_overdue(DUE)
    b.refuse("quá hạn")
    work.dossiers.get("A")  # loaded twice, tracked once
    published = work.commit()
    assert [(e.dossier_code, e.event_type) for e in published] == [
        ("A", "dossier_refused"),
        ("B", "dossier_overdue"),
        ("B", "dossier_refused"),
    ]
    assert work.published == published
    assert work.dossiers.items["A"].events == [] and b.events == []
    assert work.commit() == []  # published once


def test_loose_events_are_published_with_the_others():
    work = Work(Dossier("A"))
    work.record(Refused("-", None, "lịch"))
    work.dossiers.get("A").refuse("r")
    assert [e.dossier_code for e in work.commit()] == ["A", "-"]


class IntakeWork(UnitOfWork):
    source = "intake"


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'spine.db'}")
    reliability.metadata.create_all(engine)
    yield Sessions(engine)
    engine.dispose()


def outbox_rows(sessions):
    with sessions.transaction() as session:
        return session.execute(
            sa.select(reliability.outbox.c.event_type, reliability.outbox.c.payload).order_by(reliability.outbox.c.id)
        ).all()


def test_database_work_writes_recorded_events_to_the_outbox_with_the_commit(sessions):
    woken = []
    sessions.on_commit.append(lambda: woken.append(True))
    dossier = Dossier("000.00.06.H56-261126-0001")
    with sessions.work(IntakeWork) as work:
        work.track(dossier)
        dossier.refuse("thiếu tờ khai")
    [(event_type, payload)] = outbox_rows(sessions)
    env = json.loads(payload)
    assert (event_type, env["dossier_code"], env["correlation_id"], env["data"]) == (
        "dossier_refused",
        dossier.code,
        "corr-1",
        {"reason": "thiếu tờ khai"},
    )
    assert woken == [True]  # the relay is woken as for any outbox write


def test_database_work_rolls_the_events_back_with_the_change(sessions):
    dossier = Dossier("X")
    with pytest.raises(SupplementTooLate), sessions.work(IntakeWork) as work:
        work.track(dossier)
        dossier.refuse("r")
        raise SupplementTooLate("muộn")
    assert outbox_rows(sessions) == []


def test_an_event_another_service_owns_is_refused_before_the_commit(sessions):
    class PostalWork(UnitOfWork):
        source = "postal"

    with pytest.raises(ValueError, match="owned by intake"), sessions.work(PostalWork) as work:
        work.track(Dossier("X")).refuse("r")
    assert outbox_rows(sessions) == []


# --- @handles and @every wiring -----------------------------------------------------


class Wired:
    name = "wired"
    work = IntakeWork

    @handles("processing", EventType.PROCESSING_STARTED, EventType.DOSSIER_REJECTED)
    @handles("postal", "shipment_created")
    def on_progress(self, env, work):
        pass

    @handles("intake", "calendar_changed")
    def on_calendar(self, env):
        pass

    @every("SWEEP_SECONDS", 5)
    def sweep(self):
        pass


def test_handles_puts_one_queue_per_event_type_on_one_method():
    names = sorted(q.name for q in service_consumer_queues(Wired, "wired"))
    assert names == sorted(
        [
            consumer_queue_name("processing", "processing_started", "wired", "on_progress"),
            consumer_queue_name("processing", "dossier_rejected", "wired", "on_progress"),
            consumer_queue_name("postal", "shipment_created", "wired", "on_progress"),
            consumer_queue_name("intake", "calendar_changed", "wired", "on_calendar"),
        ]
    )
    assert names[0].startswith("evt-intake-calendar_changed--wired.on_calendar")


def test_only_methods_taking_work_are_wrapped_once():
    assert getattr(Wired.on_progress, IN_UNIT_OF_WORK) is True
    assert not hasattr(Wired.on_calendar, IN_UNIT_OF_WORK)
    assert len(Wired.on_progress.nameko_entrypoints) == 3


def test_handles_needs_an_event_type():
    with pytest.raises(TypeError):
        handles("intake")


def test_every_reads_its_interval_from_configuration():
    [timer] = Wired.sweep.nameko_entrypoints
    assert isinstance(timer, ConfiguredTimer) and (timer.key, timer.default) == ("SWEEP_SECONDS", 5)
    assert interval_from({"SWEEP_SECONDS": "0.2"}, "SWEEP_SECONDS", 5) == 0.2
    assert interval_from({}, "SWEEP_SECONDS", 5) == 5.0
    assert interval_from({"SWEEP_SECONDS": ""}, "SWEEP_SECONDS", 5) == 5.0
    for wrong in ("soon", 0, -1):
        with pytest.raises(ValueError, match="SWEEP_SECONDS"):
            interval_from({"SWEEP_SECONDS": wrong}, "SWEEP_SECONDS", 5)
