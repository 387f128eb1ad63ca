from datetime import datetime

import pytest
from marshmallow import ValidationError

from shared import events
from shared.clock import TZ


def test_a_malformed_event_cannot_be_built():
    with pytest.raises(ValidationError) as err:
        events.envelope("dossier_refused", "X-261126-0001", {})
    assert "reason" in err.value.messages["data"]


def test_an_event_of_another_service_cannot_be_published():
    with pytest.raises(ValueError, match="owned by intake"):
        events.envelope("dossier_refused", "X-261126-0001", {"reason": "thiếu giấy tờ"}, source="postal")


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError):
        events.envelope("dossier_teleported", "X", {})


def test_envelope_round_trip_keeps_unknown_fields():
    env = events.envelope("dossier_overdue", "X-261126-0001", {"due_at": datetime(2026, 11, 27, 17, tzinfo=TZ)})
    env["future_field"] = {"anything": 1}
    env["data"]["extra"] = "kept"
    loaded = events.load(env)
    assert loaded["future_field"] == {"anything": 1}
    assert loaded["data"]["extra"] == "kept"
    assert loaded["data"]["due_at"] == datetime(2026, 11, 27, 17, tzinfo=TZ)
    assert loaded["occurred_at"].tzinfo is not None


def test_every_contract_event_has_a_schema():
    contract = {
        "dossier_received",
        "dossier_refused",
        "dossier_supplemented",
        "dossier_withdrawn",
        "dossier_returned",
        "processing_started",
        "dossier_transferred",
        "supplement_requested",
        "dossier_rejected",
        "deadline_extended",
        "dossier_overdue",
        "result_ready",
        "shipment_created",
        "shipment_delivered",
        "shipment_failed",
        "shipment_returned",
        "pickup_completed",
        "notification_sent",
        "notification_failed",
    }
    assert contract <= set(events.EVENTS)
    ours = {
        "calendar_changed",
        "dossier_files_added",
        "dossier_status_changed",
        "payment_requested",
        "payment_confirmed",
        "payment_refunded",
    }
    assert set(events.EVENTS) - contract == ours  # beside the contract's


def test_a_received_envelope_without_event_id_is_malformed():
    env = events.envelope("dossier_refused", "X", {"reason": "r"})
    del env["event_id"]
    with pytest.raises(ValidationError):
        events.load(env)
