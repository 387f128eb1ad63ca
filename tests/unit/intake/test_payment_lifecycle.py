"""The financial obligation in the dossier's lifecycle, on fake repositories: fees due
before processing hold the dossier in awaiting_payment (payment_requested, no
appointment) until payments confirms them; the appointment counts from the payment;
fees due before return hold the result; an unpaid dossier expires."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.intake import application
from services.intake.domain.errors import PaymentDue
from services.intake.domain.events import DossierReceived, DossierReturned, DossierWithdrawn, PaymentRequested
from services.intake.domain.fees import UnknownExemption
from services.intake.domain.model import UNPAID_REASON, Actor, DossierStatus, may_move
from services.intake.domain.statistics import Facts, classify, observe
from services.intake.schemas import DEMO_CATALOGUE, catalogue_entries
from shared import clock
from shared.errors import http_error
from shared.events import EventType
from tests.unit.intake.fakes import FakeDossiers, FakeIntakeWork

AGENCY = "000.00.06.H56"
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
PORTAL = Actor(sub="dichvucong", role="portal")
THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
PAID = "2.000635"  # given fees before processing and before return below
FREE = "1.000105"  # given no fee below


class Dossiers(FakeDossiers):
    def awaiting_payment(self) -> list[str]:
        return [d.code for d in self.items.values() if d.status == DossierStatus.AWAITING_PAYMENT]


def catalogue() -> list[dict[str, Any]]:
    document = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
    for entry in document["procedures"]:
        if entry["code"] == PAID:
            entry["fees"] = [
                {"name": "Lệ phí", "amount": 8000, "kind": "le_phi", "when": "at_submission"},
                {"name": "Lệ phí cấp bản sao", "amount": 50000, "kind": "le_phi", "when": "before_processing"},
                {"name": "Phí thẩm định", "amount": 25000, "kind": "phi", "when": "before_processing"},
                {"name": "Phí sao lục", "amount": 20000, "kind": "phi", "when": "before_return"},
            ]
            entry["fee_exemptions"] = [{"code": "ho_ngheo", "name": "Hộ nghèo"}]
        if entry["code"] == FREE:
            entry["fees"] = []
    return catalogue_entries(document)


@pytest.fixture
def work() -> FakeIntakeWork:
    work = FakeIntakeWork()
    work.dossiers = Dossiers(work)
    application.import_catalogue(work, catalogue(), THURSDAY_MORNING.date())
    work.commit()
    work.published.clear()
    return work


def body(procedure: str = PAID, channel: str = "counter", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "procedure_code": procedure,
        "channel": channel,
        "applicant": {"full_name": "Trần Văn Bình", "id_number": "031090004321", "phone": "0987654321"},
        "documents": [{"name": "Tờ khai", "copies": 1}],
        "return_method": "counter",
        "delivery_address": None,
        "notify": {"sms": True, "email": False},
    }
    data.update(overrides)
    return data


def received(work: FakeIntakeWork, at: datetime = THURSDAY_MORNING, **overrides: Any):
    dossier, _ = application.submit(work, body(**overrides), COUNTER, at)
    return dossier, work.commit()


def confirmed(work: FakeIntakeWork, code: str, stage: str, paid_at: datetime, now: datetime | None = None):
    data = {"stage": stage, "amount": 1, "method": "cash", "order_id": "ORD-1", "paid_at": paid_at}
    dossier = application.confirm_payment(work, code, data, now or paid_at)
    return dossier, work.commit()


def test_fees_due_before_processing_hold_a_received_dossier_and_request_the_payment_instead(work):
    dossier, events = received(work)
    assert dossier.status == DossierStatus.AWAITING_PAYMENT
    assert dossier.received_at == THURSDAY_MORNING and dossier.due_at is None  # no appointment yet
    [requested] = events
    assert isinstance(requested, PaymentRequested)
    # what is due at submission is collected with the dossier; before processing: 50.000 + 25.000
    assert requested.stage == "before_processing" and requested.amount == 75000
    assert [i.name for i in requested.items] == ["Lệ phí cấp bản sao", "Phí thẩm định"]
    assert requested.pay_by == THURSDAY_MORNING.date() + timedelta(days=15)
    assert requested.online is True and requested.contacts.phone == "0987654321" and requested.notify.sms
    assert requested.received_at == THURSDAY_MORNING.isoformat()
    assert dossier.payment_due() == {
        "stage": "before_processing",
        "amount": 75000,
        "pay_by": "2026-12-11",
        "paid_at": None,
        "order_id": None,
        "method": None,
    }


def test_a_dossier_owing_nothing_before_processing_is_received_as_before(work):
    dossier, events = received(work, procedure=FREE)
    assert dossier.status == DossierStatus.RECEIVED and dossier.due_at is not None
    assert [type(e) for e in events] == [DossierReceived] and dossier.payments is None


def test_an_exemption_waives_the_le_phi_and_an_unknown_one_is_422(work):
    dossier, [requested] = received(work, fee_exemption={"code": "ho_ngheo", "reason": "Sổ hộ nghèo 2026"})
    assert requested.amount == 25000 and [i.amount for i in requested.items] == [0, 25000]
    assert dossier.fee_exemption == {"code": "ho_ngheo", "reason": "Sổ hộ nghèo 2026"}
    with pytest.raises(UnknownExemption) as refused:
        application.submit(work, body(fee_exemption={"code": "khong_co", "reason": "x"}), COUNTER, THURSDAY_MORNING)
    status, code, _, _ = http_error(refused.value)
    assert (status, code) == (422, "unknown_exemption")


def test_an_exemption_leaving_nothing_before_processing_receives_the_dossier_at_once(work):
    catalogue_ = [e for e in catalogue() if e["code"] == PAID]
    catalogue_[0]["fees"] = [{"name": "Lệ phí", "amount": 50000, "kind": "le_phi", "when": "before_processing"}]
    catalogue_[0]["effective_from"] = THURSDAY_MORNING.date()
    application.import_catalogue(work, catalogue_, THURSDAY_MORNING.date(), full=False)
    work.commit()
    dossier, events = received(work, fee_exemption={"code": "ho_ngheo", "reason": "Sổ hộ nghèo"})
    assert dossier.status == DossierStatus.RECEIVED and [type(e) for e in events] == [DossierReceived]


def test_an_online_dossier_waits_for_payment_from_the_counters_acceptance(work):
    dossier, _ = application.submit(
        work, body(channel="online", notify={"sms": True, "email": False}), PORTAL, THURSDAY_MORNING
    )
    work.commit()
    accepted_at = THURSDAY_MORNING + timedelta(days=1)
    application.accept(work, dossier.reference, [], "", COUNTER, accepted_at, pay_days=10)
    [requested] = work.commit()
    assert dossier.status == DossierStatus.AWAITING_PAYMENT and dossier.legal_code is not None
    assert requested.dossier_code == dossier.code and requested.pay_by == accepted_at.date() + timedelta(days=10)


def test_the_payment_starts_the_processing_time_and_announces_the_reception_once(work):
    dossier, _ = received(work)
    paid_at = THURSDAY_MORNING + timedelta(days=4, hours=2)  # Monday 10:00
    _, events = confirmed(work, dossier.code, "before_processing", paid_at)
    [announced] = events
    assert isinstance(announced, DossierReceived)
    procedure = work.procedures.version(dossier.procedure_id)
    # received_at stays the legal reception; the appointment counts from the payment
    assert announced.received_at == THURSDAY_MORNING
    assert announced.due_at == procedure.appointment(work.calendar.working(), paid_at) == dossier.due_at
    assert announced.due_at > procedure.appointment(work.calendar.working(), THURSDAY_MORNING)
    assert announced.contacts.phone == "0987654321" and announced.route == procedure.route
    assert dossier.status == DossierStatus.RECEIVED and dossier.payment("before_processing")["paid_at"]
    assert dossier.payment_due() is None
    # a second confirmation changes nothing
    _, again = confirmed(work, dossier.code, "before_processing", paid_at + timedelta(hours=1))
    assert again == [] and dossier.due_at == announced.due_at


def test_awaiting_payment_moves_only_forward(work):
    dossier, _ = received(work)
    t = THURSDAY_MORNING
    assert may_move(DossierStatus.AWAITING_PAYMENT, t, DossierStatus.RECEIVED, t + timedelta(hours=1))
    assert may_move(DossierStatus.AWAITING_PAYMENT, t, DossierStatus.WITHDRAWN, t)
    assert not may_move(DossierStatus.IN_PROGRESS, t, DossierStatus.AWAITING_PAYMENT, t + timedelta(hours=1))
    # the citizen may withdraw while it waits: processing is told (it knows nothing of it and cancels nothing)
    application.withdraw(work, dossier.code, "Không nộp nữa", COUNTER, t + timedelta(hours=1))
    [withdrawn] = work.commit()
    assert isinstance(withdrawn, DossierWithdrawn) and dossier.status == DossierStatus.WITHDRAWN
    # a payment arriving after that is recorded (to be refunded) but receives nothing
    _, events = confirmed(work, dossier.code, "before_processing", t + timedelta(hours=2))
    assert events == [] and dossier.status == DossierStatus.WITHDRAWN
    assert dossier.payment("before_processing")["paid_at"] is not None


def test_the_result_waits_for_the_fees_due_before_return(work):
    dossier, _ = received(work)
    t = THURSDAY_MORNING + timedelta(hours=1)
    confirmed(work, dossier.code, "before_processing", t)
    application.follow(work, EventType.PROCESSING_STARTED, dossier.code, {"department": "TUPHAP"}, t)
    application.follow(work, EventType.RESULT_READY, dossier.code, {"department": "TUPHAP"}, t + timedelta(days=1))
    [requested] = work.commit()
    assert isinstance(requested, PaymentRequested) and requested.stage == "before_return"
    assert requested.amount == 20000
    # a repeated result_ready asks nothing more
    application.follow(work, EventType.RESULT_READY, dossier.code, {"department": "TUPHAP"}, t + timedelta(days=1))
    assert work.commit() == []
    with pytest.raises(PaymentDue) as refused:
        application.hand_back(work, dossier.code, COUNTER, t + timedelta(days=2))
    status, code, message, _ = http_error(refused.value)
    assert (status, code) == (409, "payment_due") and "20.000 đồng" in message
    assert dossier.status == DossierStatus.RESULT_READY
    confirmed(work, dossier.code, "before_return", t + timedelta(days=2))
    application.hand_back(work, dossier.code, COUNTER, t + timedelta(days=2, hours=1))
    [returned] = work.commit()
    assert isinstance(returned, DossierReturned) and dossier.status == DossierStatus.RETURNED


def test_a_result_owing_nothing_before_return_is_handed_back_at_once(work):
    dossier, _ = received(work, procedure=FREE)
    t = THURSDAY_MORNING + timedelta(hours=1)
    application.follow(work, EventType.RESULT_READY, dossier.code, {"department": "X"}, t)
    assert work.commit() == []
    application.hand_back(work, dossier.code, COUNTER, t + timedelta(hours=1))
    assert dossier.status == DossierStatus.RETURNED


def test_an_unpaid_dossier_is_withdrawn_once_its_pay_by_day_is_over(work):
    dossier, _ = received(work)
    other, _ = received(work, at=THURSDAY_MORNING + timedelta(days=3))
    last_day = datetime(2026, 12, 11, 23, 59, tzinfo=clock.TZ)  # the pay-by day, in Vietnam's time
    assert application.expire_unpaid(work, last_day) == [] and work.commit() == []
    assert application.expire_unpaid(work, last_day + timedelta(minutes=1)) == [dossier.code]
    [withdrawn] = work.commit()
    assert isinstance(withdrawn, DossierWithdrawn) and withdrawn.reason == UNPAID_REASON
    assert dossier.status == DossierStatus.WITHDRAWN and dossier.closing_reason == UNPAID_REASON
    assert other.status == DossierStatus.AWAITING_PAYMENT  # its day is not over
    assert application.expire_unpaid(work, last_day + timedelta(minutes=2)) == []  # once


def test_the_statistics_count_a_dossier_waiting_to_pay_as_received_then_on_its_later_appointment(work):
    dossier, [requested] = received(work)
    facts = observe(Facts(dossier.code), requested.event_type, requested.data(), THURSDAY_MORNING)
    assert facts.received_at == THURSDAY_MORNING and facts.appointments == ()
    figures = classify(facts, THURSDAY_MORNING.date(), THURSDAY_MORNING.date())
    assert figures["received"] == 1 and figures["in_progress_within"] == 1
    paid_at = THURSDAY_MORNING + timedelta(days=4)
    _, [announced] = confirmed(work, dossier.code, "before_processing", paid_at)
    facts = observe(facts, announced.event_type, announced.data(), paid_at)
    assert facts.received_at == THURSDAY_MORNING and facts.appointment() == dossier.due_at
    assert observe(facts, announced.event_type, announced.data(), paid_at) == facts  # repeated: nothing
