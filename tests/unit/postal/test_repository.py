"""The adapters on SQLite in a file (no server): the mapping of shipments and their
tracking, the repository's queries and its race-free result shipment, and the unit
of work that writes what the shipments recorded to the outbox in the same commit."""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from services.postal import application
from services.postal.adapters import queries
from services.postal.adapters.orm import metadata, shipments, tracking_events
from services.postal.adapters.repository import PostalWork
from services.postal.domain.errors import PickupNotFound, StatusNotApplicable
from services.postal.domain.model import (
    Pickup,
    RejectionShipment,
    Requester,
    ResultShipment,
    ShipmentStatus,
    TrackingReport,
)
from shared import calendar_store, reliability
from shared.db import Sessions, make_engine
from tests.unit.postal.fakes import ADDRESS, CODE, CORRELATION, FRIDAY, RULES


@pytest.fixture
def db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'postal.db'}")
    metadata.create_all(engine)
    reliability.metadata.create_all(engine)
    yield Sessions(engine)
    engine.dispose()


def outbox(db):
    with db.transaction() as session:
        rows = session.execute(sa.select(reliability.outbox.c.payload).order_by(reliability.outbox.c.id)).scalars()
        return [json.loads(p) for p in rows]


def work(db):
    return db.work(PostalWork)


def test_one_result_shipment_per_dossier_whatever_is_repeated(db):
    with work(db) as w:
        first = application.ship_result(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
    with work(db) as w:
        again = application.ship_result(w, CODE, "elsewhere", "another", FRIDAY, RULES)
    assert first == again
    with db.transaction() as session:
        rows = session.execute(sa.select(shipments)).all()
    assert len(rows) == 1 and rows[0].address == ADDRESS and rows[0].status == "pending"
    assert rows[0].submission is None and rows[0].purpose == "result"


def test_a_rejection_is_stored_and_loaded_as_one_shipment_per_dossier_beside_a_result(db):
    """Decree 61/2018/NĐ-CP Art. 19-20: the rejection's shipment is one per dossier,
    told apart by its purpose (the unique key is dossier and purpose)."""
    with work(db) as w:
        first = application.ship_rejection(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
    with work(db) as w:
        again = application.ship_rejection(w, CODE, "elsewhere", "another", FRIDAY, RULES)
        result = application.ship_result(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
    assert first == again and result != first
    with db.transaction() as session:
        rows = session.execute(sa.select(shipments).order_by(shipments.c.purpose)).all()
    assert [(r.purpose, r.address) for r in rows] == [("rejection", ADDRESS), ("result", ADDRESS)]
    with work(db) as w:
        application.record_order(w, first, "EB9VN", 25000, FRIDAY, RULES)
    with work(db) as w:
        loaded = w.shipments.by_reference(f"{CODE}:rejection")
        assert isinstance(loaded, RejectionShipment) and loaded.id == first and loaded.waybill == "EB9VN"
        assert isinstance(w.shipments.by_waybill("EB9VN"), RejectionShipment)
        assert w.shipments.by_reference(f"{CODE}:result").id == result
    [created] = outbox(db)
    assert created["event_type"] == "shipment_created" and created["data"]["purpose"] == "rejection"
    with db.transaction() as session:
        views = queries.shipments_view(session, CODE)
    assert sorted((v["purpose"], v["reference"]) for v in views) == [
        ("rejection", f"{CODE}:rejection"),
        ("result", f"{CODE}:result"),
    ]


def test_a_locked_read_sees_the_row_as_committed_even_when_read_before(db):
    """A callback reads a pending shipment by its reference, then locks it to record
    the order: the locked read must see an order recorded meanwhile, or the
    shipment would be ordered (and announced) twice."""
    with work(db) as w:
        shipment_id = application.ship_result(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
    with work(db) as callback:
        assert callback.shipments.by_reference(f"{CODE}:result").status == "pending"
        # our own record of the order, committed meanwhile (as another transaction would)
        callback.session.execute(
            sa.update(shipments).where(shipments.c.id == shipment_id).values(status="created", waybill="EB1VN")
        )
        assert callback.shipments.get(shipment_id, for_update=True).status == "created"
        assert application.record_order(callback, shipment_id, "EB1VN", 25000, FRIDAY, RULES).waybill == "EB1VN"
    assert outbox(db) == []  # the order was recorded elsewhere: nothing announced twice here


def test_the_order_and_the_tracking_are_stored_with_the_events_they_owe(db):
    with work(db) as w:
        shipment_id = application.ship_result(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
    with work(db) as w:
        application.record_order(w, shipment_id, "EB1VN", 25000, FRIDAY, RULES)
    for status, attempt in (("accepted", 0), ("failed", 1), ("failed", 1), ("in_transit", 0), ("delivered", 2)):
        with work(db) as w:
            application.track(
                w,
                TrackingReport(
                    "EB1VN",
                    status,
                    FRIDAY + timedelta(hours=attempt),
                    attempt,
                    reason="Vắng nhà" if status == "failed" else None,
                ),
                FRIDAY,
                RULES,
            )
    owed = outbox(db)
    assert [e["event_type"] for e in owed] == ["shipment_created", "shipment_failed", "shipment_delivered"]
    assert all(e["dossier_code"] == CODE and e["correlation_id"] == CORRELATION for e in owed)
    assert owed[0]["data"] == {
        "waybill": "EB1VN",
        "expected_delivery": "2026-11-30",
        "distance_class": "same_district",
        "postage": 25000,
        "purpose": "result",
    }
    assert owed[1]["data"] == {
        "attempt": 1,
        "reason": "Vắng nhà",
        "waybill": "EB1VN",
        "next_attempt_on": "2026-12-01",
        "purpose": "result",
    }
    with work(db) as w:
        stored = w.shipments.by_waybill("EB1VN")
        assert isinstance(stored, ResultShipment) and stored.status is ShipmentStatus.DELIVERED
        assert [(t.status, t.attempt) for t in stored.tracking] == [
            ("accepted", 0),
            ("in_transit", 0),
            ("failed", 1),
            ("delivered", 2),
        ]
        assert w.shipments.by_reference(f"{CODE}:result") is stored
    with db.transaction() as session:
        [view] = queries.shipments_view(session, CODE)
    assert (view["status"], view["attempts"], view["waybill"], view["reference"]) == (
        "delivered",
        1,
        "EB1VN",
        f"{CODE}:result",
    )
    assert [t["status"] for t in view["tracking"]] == ["accepted", "in_transit", "failed", "delivered"]
    assert view["handed_over_at"] == FRIDAY and view["expected_delivery"] == date(2026, 11, 30)


def test_a_refused_report_leaves_neither_history_nor_events(db):
    with work(db) as w:
        shipment_id = application.ship_result(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
        application.record_order(w, shipment_id, "EB1VN", 25000, FRIDAY, RULES)
    with pytest.raises(StatusNotApplicable), work(db) as w:
        application.track(w, TrackingReport("EB1VN", "handed_over", FRIDAY), FRIDAY, RULES)
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(tracking_events)) == 0
    assert [e["event_type"] for e in outbox(db)] == ["shipment_created"]


def test_the_calendar_intake_announces_is_the_one_the_rules_use(db):
    with work(db) as w:
        assert w.keep_calendar({"version": 3, "days_off": [date(2026, 11, 30)], "working_days": []})
        assert not w.keep_calendar({"version": 2, "days_off": [], "working_days": []})  # older: ignored
    with work(db) as w:
        shipment_id = application.ship_result(w, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
        shipment = application.record_order(w, shipment_id, "EB1VN", 25000, FRIDAY, RULES)
    assert shipment.expected_delivery == date(2026, 12, 1)  # Monday 30/11 off
    with db.transaction() as session:
        assert calendar_store.load(session).is_working_day(date(2026, 11, 30)) is False


def test_pickups_are_found_by_request_key_and_loaded_as_pickups(db):
    submission = {"procedure_code": "2.000635", "applicant": {"full_name": "Trần Văn Bình"}}
    counter = Requester.of("counter", "u1", "000.00.06.H56")
    with work(db) as w:
        pickup, created = application.request_pickup(
            w,
            "3 Cầu Đất, Ngô Quyền, Hải Phòng",
            8000,
            submission,
            counter,
            "h1",
            FRIDAY,
            RULES,
            request_key="counter/x:k1",
        )
    with work(db) as w:
        again, created_again = application.request_pickup(
            w,
            "3 Cầu Đất, Ngô Quyền, Hải Phòng",
            8000,
            submission,
            counter,
            "h1",
            FRIDAY,
            RULES,
            request_key="counter/x:k1",
        )
        assert created and not created_again and again.id == pickup.id
        assert isinstance(again, Pickup) and again.requester == counter and again.submission == submission
        assert w.shipments.get_pickup(pickup.id, for_update=True) is again
        assert w.shipments.by_reference(f"pickup:{pickup.id}") is again
        assert w.shipments.due_for_order(FRIDAY + timedelta(seconds=5)) == [pickup.id]
    with db.transaction() as session:
        assert queries.pickup_view(session, pickup.id)["purpose"] == "pickup"
        with pytest.raises(PickupNotFound):
            queries.pickup_view(session, pickup.id, lambda requester: requester.agency == "elsewhere")
        assert queries.counts_by_purpose_and_status(session) == {("pickup", "pending"): 1}
