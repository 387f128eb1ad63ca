"""The sender's order: per dossier, a status goes only after the one before it was
taken; a waiting or parked one stops its dossier there; the portal's key makes a
record sent twice one record."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from services.portal.domain.model import (
    MAX_REFUSALS,
    Arrival,
    StatusRecord,
    backoff,
    chains,
    dossier_key,
    nightly_pull_due,
    submission,
)
from shared import clock

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)


def record(key: str, seq: int, number: int = 2, minutes: int = 0) -> StatusRecord:
    return StatusRecord(
        dossier_key=key,
        seq=seq,
        number=number,
        status="received",
        dossier_code=key,
        changed_at=NOW + timedelta(minutes=minutes),
        agency_code="000.00.06.H56",
        procedure_code="2.000635",
        recorded_at=NOW,
    )


def keys_and_seqs(found: list[list[StatusRecord]]) -> list[list[tuple[str, int]]]:
    return [[(r.dossier_key, r.seq) for r in chain] for chain in found]


def test_a_dossiers_statuses_go_in_seq_order_whatever_order_they_came_in() -> None:
    owed = [record("A", 3), record("A", 1), record("A", 2), record("B", 2, minutes=-5), record("B", 1, minutes=-5)]
    assert keys_and_seqs(chains(owed, {}, NOW)) == [[("B", 1), ("B", 2)], [("A", 1), ("A", 2), ("A", 3)]]


def test_a_gap_waits_for_the_missing_status() -> None:
    assert chains([record("A", 3)], {"A": 1}, NOW) == []  # seq 2 has not come yet
    assert keys_and_seqs(chains([record("A", 3), record("A", 2)], {"A": 1}, NOW)) == [[("A", 2), ("A", 3)]]
    assert chains([record("A", 2)], {}, NOW) == []  # nothing sent, 1 missing


def test_a_status_waiting_to_be_tried_again_or_parked_holds_its_dossier_back() -> None:
    first, second = record("A", 1), record("A", 2)
    first.refused("HTTP 422", NOW, longest=30)
    assert chains([first, second], {}, NOW) == []
    assert keys_and_seqs(chains([first, second], {}, NOW + timedelta(seconds=1))) == [[("A", 1), ("A", 2)]]
    for _ in range(MAX_REFUSALS):
        first.refused("HTTP 422", NOW, longest=30)
    assert first.parked_at == NOW and chains([first, second], {}, NOW + timedelta(days=1)) == []
    first.resend()
    assert keys_and_seqs(chains([first, second], {}, NOW)) == [[("A", 1), ("A", 2)]]


def test_a_conflict_parks_at_once_and_backoff_is_capped() -> None:
    conflicting = record("A", 1)
    conflicting.refused("HTTP 409", NOW, longest=30, final=True)
    assert conflicting.parked_at == NOW
    assert [backoff(n, 30).total_seconds() for n in (1, 2, 3, 6, 10)] == [1, 2, 4, 30, 30]


def test_the_portal_keys_a_record_by_dossier_and_seq() -> None:
    sent = record(dossier_key("000.00.06.H56-261126-0001", "TN-261126-ABC"), 2, number=2)
    assert sent.dossier_key == "TN-261126-ABC"  # an online dossier: its reference, before and after reception
    message = sent.message()
    assert message["status_id"] == "TN-261126-ABC/2" and message["status"] == 2
    assert message["status_name"] == "Được tiếp nhận"


def test_a_portal_dossier_becomes_an_online_submission_and_a_refusal_is_status_3() -> None:
    dossier = {
        "portal_reference": "DVCQG-261126-000001",
        "procedure_code": "1.000105",
        "agency_code": "000.00.06.H56",
        "applicant": {"kind": "citizen", "full_name": "Nguyễn Văn Cổng"},
        "documents": [{"name": "Giấy đề nghị", "copies": 1}],
        "files": [{"id": "f1"}, {"id": "f2"}],
    }
    body = submission(dossier)
    assert body["channel"] == "online" and body["portal_reference"] == "DVCQG-261126-000001"
    assert body["return_method"] == "counter" and "files" not in body
    arrival = Arrival("DVCQG-261126-000001", dossier, NOW, "push")
    arrival.file_taken("f1")
    assert [f["id"] for f in arrival.files_left()] == ["f2"]
    arrival.refused("procedure not online", NOW)
    refusal = arrival.refusal_status(NOW)
    assert (refusal.dossier_key, refusal.seq, refusal.number) == ("DVCQG-261126-000001", 1, 3)


def test_the_nightly_pull_is_due_once_a_day_and_tried_again_after_a_failure() -> None:
    one = time(1, 0)
    night = datetime(2026, 11, 26, 1, 30, tzinfo=clock.TZ)
    assert not nightly_pull_due(night.replace(hour=0), one, None, None)  # before 01:00
    assert nightly_pull_due(night, one, None, None)
    assert not nightly_pull_due(night, one, night - timedelta(minutes=20), night - timedelta(minutes=20))  # done
    assert nightly_pull_due(night, one, night - timedelta(days=1), night - timedelta(days=1))  # yesterday's
    failed = night - timedelta(minutes=5)  # tried, the portal out of reach
    assert not nightly_pull_due(night, one, None, failed)
    assert nightly_pull_due(night + timedelta(minutes=10), one, None, failed)
