"""payments' rules without servers: whole-đồng amounts, an order's states, the
decision on a gateway report, the signature check and reconciliation."""

from datetime import date, datetime

import pytest

from services.payments.adapters.gateway import HttpGateway, report_of
from services.payments.domain import reconciliation
from services.payments.domain.errors import AmountMismatch, NotRefundable
from services.payments.domain.model import (
    GatewayReport,
    Method,
    Obligation,
    Order,
    OrderStatus,
    Outcome,
    Stage,
    require_amount,
    same_amount,
)
from shared import clock, payment_gateway

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=clock.TZ)
SECRET = "unit-payment-secret"


def order(amount=150_000):
    obligation = Obligation(
        "000.00.06.H56-261126-0001",
        Stage.BEFORE_PROCESSING,
        amount,
        [],
        date(2026, 12, 11),
        True,
        "000.00.06.H56",
        "2.000635",
        None,
        NOW,
        "corr",
    )
    return Order("MC1", obligation, Method.ONLINE, NOW, "portal/dichvucong")


def report(amount=150_000, paid=True):
    return GatewayReport("MC1", amount, paid, "14000001", NOW)


def test_amounts_are_whole_dong_and_equal():
    assert same_amount(150_000, 150_000)
    assert not same_amount(150_000, 150_000.0) and not same_amount(150_000, "150000") and not same_amount(150_000, True)
    assert not same_amount(150_000, 149_000)
    with pytest.raises(AmountMismatch):
        require_amount(150_000, 149_000)


def test_the_first_paid_report_confirms_once_and_a_repeat_records_nothing():
    o = order()
    assert o.judge(report()) == Outcome.CONFIRMED
    o.settle(report(), first=True)
    assert o.status == OrderStatus.PAID and [e.event_type for e in o.events] == ["payment_confirmed"]
    assert o.events[0].data()["amount"] == 150_000 and o.events[0].data()["receipt_number"] == "14000001"
    o.events.clear()
    assert o.judge(report()) == Outcome.ALREADY_CONFIRMED  # the IPN again, or the query after it


def test_a_wrong_amount_is_refused_before_anything_else():
    o = order()
    assert o.judge(report(amount=149_000)) == Outcome.WRONG_AMOUNT
    assert o.judge(report(amount=None)) == Outcome.WRONG_AMOUNT  # not a number at all
    assert o.status == OrderStatus.CREATED and o.events == []


def test_not_paid_fails_the_order_and_a_later_payment_still_counts():
    o = order()
    o.settle(report(paid=False), first=False)
    assert o.status == OrderStatus.FAILED and o.events == []
    assert o.judge(report(paid=False)) == Outcome.ALREADY_CONFIRMED
    assert o.judge(report()) == Outcome.CONFIRMED


def test_a_second_paid_order_of_a_paid_obligation_is_an_overpayment_not_a_confirmation():
    o = order()
    o.settle(report(), first=False)
    assert o.status == OrderStatus.PAID and o.overpayment and o.events == []


def test_a_paid_order_is_refunded_once():
    o = order()
    with pytest.raises(NotRefundable):
        o.start_refund(NOW)  # not paid
    o.settle(report(), first=True)
    o.start_refund(NOW)
    with pytest.raises(NotRefundable):
        o.start_refund(NOW)  # under way
    o.refunded(NOW, "Hồ sơ bị từ chối")
    assert o.status == OrderStatus.REFUNDED and o.events[-1].event_type == "payment_refunded"
    with pytest.raises(NotRefundable):
        o.start_refund(NOW)  # done


def test_a_notice_is_trusted_only_with_the_merchant_signature():
    gateway = HttpGateway("http://gateway", "MOTCUA", SECRET)
    params = payment_gateway.signed(
        {"merchant": "MOTCUA", "order_id": "MC1", "amount": 150000, "response_code": "00", "paid_at": "20261126090000"},
        SECRET,
    )
    assert gateway.verify(params)
    assert not gateway.verify({**params, "amount": "1000"})  # tampered
    assert not gateway.verify(payment_gateway.signed({**params, "merchant": "OTHER"}, SECRET))  # another merchant
    assert not gateway.verify(payment_gateway.signed(params, "another-secret"))
    parsed = report_of(params, paid=True)
    assert parsed.amount == 150_000 and parsed.paid_at == NOW


def test_reconciliation_names_every_difference():
    ours = [
        {"id": "A", "amount": 100, "status": "paid", "dossier_code": "X"},
        {"id": "B", "amount": 200, "status": "paid", "dossier_code": "Y"},
        {"id": "C", "amount": 300, "status": "refunded", "dossier_code": "Z"},
        {"id": "D", "amount": 400, "status": "paid", "dossier_code": "W"},
    ]
    theirs = [
        {"order_id": "A", "amount": 100, "status": "success"},
        {"order_id": "B", "amount": 250, "status": "success"},
        {"order_id": "C", "amount": 300, "status": "success"},
        {"order_id": "E", "amount": 500, "status": "success"},
        {"order_id": "F", "amount": 600, "status": "pending"},
    ]
    found = [(d.kind, d.reference) for d in reconciliation.payment_differences(ours, theirs)]
    assert found == [("amount", "B"), ("missing_here", "E"), ("missing_at_gateway", "D")]
    assert reconciliation.payment_differences(ours[:1], theirs[:1]) == []
    fees = reconciliation.postal_fee_differences(
        [
            {"id": "P1", "fees_to_collect": 50_000, "fees_collected": 50_000},
            {"id": "P2", "fees_to_collect": 50_000, "fees_collected": 0},
        ]
    )
    assert [d.reference for d in fees] == ["P2"]


def test_the_gateway_secret_is_required_outside_development_mode():
    from shared.config import load_config
    from shared.secret_policy import problems

    environ = {"MOTCUA_JWT_SECRET": "x" * 40}
    config = load_config("payments")
    assert problems("payments", {**config, "PAYMENT_SECRET": "dev-payment-secret"}, environ) == [
        "MOTCUA_PAYMENT_SECRET is a published development value ('dev-payment-secret')"
    ]
    assert problems("payments", {**config, "PAYMENT_SECRET": ""}, environ) == ["MOTCUA_PAYMENT_SECRET is not set"]
    assert problems("payments", {**config, "PAYMENT_SECRET": "a-real-merchant-secret"}, environ) == []
