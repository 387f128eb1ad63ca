"""The statistics (Biểu 06) on a fixture of dossiers whose figures were counted by hand:
the events of each dossier are folded with `observe`, then classified over the months
of the second quarter of 2026 and the quarter itself."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.intake.domain.statistics import (
    FIGURES,
    Facts,
    add_up,
    classify,
    kept,
    observe,
    period_problems,
    summarise,
)
from shared.clock import TZ

AGENCY = "000.00.06.H56"
OTHER_AGENCY = "000.00.01.H56"
HT = {"procedure_code": "2.000635", "procedure_name": "Cấp bản sao trích lục hộ tịch", "field": "Hộ tịch"}
XD = {"procedure_code": "1.001776", "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "field": "Xây dựng"}
DEPARTMENT = {"Hộ tịch": "TUPHAP", "Xây dựng": "QLDT"}

Event = tuple[str, dict[str, Any], datetime]


def t(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def received(at: datetime, due: datetime, channel: str, procedure: dict[str, str], agency: str = AGENCY) -> list[Event]:
    data = {**procedure, "agency_code": agency, "channel": channel, "received_at": at, "due_at": due}
    return [("dossier_received", data, at)]


def started(at: datetime, department: str, new_due: datetime | None = None) -> Event:
    data: dict[str, Any] = {"department": department, "step": 1}
    if new_due:
        data["dossier_due_at"] = new_due
    return ("processing_started", data, at)


def finished(at: datetime) -> Event:
    # the envelope's moment comes a little after the result's own time
    return ("result_ready", {"finished_at": at, "summary": "xong", "return_method": "counter"}, at.replace(minute=5))


def asked(at: datetime) -> Event:
    return ("supplement_requested", {"requested_at": at, "items": [{"name": "Giấy ủy quyền", "reason": "thiếu"}]}, at)


def brought(at: datetime) -> Event:
    return ("dossier_supplemented", {"received_at": at, "documents": []}, at)


def extended(at: datetime, old_due: datetime, new_due: datetime) -> Event:
    return ("deadline_extended", {"reason": "chờ ý kiến", "old_due_at": old_due, "new_due_at": new_due}, at)


def closed(event_type: str, at: datetime) -> Event:
    return (event_type, {"reason": "lý do"}, at)


def refused(at: datetime, channel: str, procedure: dict[str, str]) -> list[Event]:
    return [("dossier_refused", {**procedure, "agency_code": AGENCY, "channel": channel, "reason": "sai"}, at)]


def overdue(at: datetime, due: datetime) -> Event:
    return ("dossier_overdue", {"due_at": due}, at)


def paper(at: datetime, due: datetime, channel: str, procedure: dict[str, str], *more: Event) -> list[Event]:
    """Reception, the field's department taking the dossier an hour later, then `more`."""
    return [*received(at, due, channel, procedure), started(at.replace(hour=10), DEPARTMENT[procedure["field"]]), *more]


# Each dossier's story; the comment says how it counts (A = April, M = May, J = June).
FIXTURE: dict[str, list[Event]] = {
    # received in March
    "D01": paper(t(3, 20), t(4, 3), "counter", XD, finished(t(4, 2))),  # carried A; ahead A
    "D02": paper(t(3, 25), t(4, 8), "online", HT, finished(t(4, 8, 16))),  # carried A; on time A
    "D03": paper(t(3, 10), t(3, 31), "counter", XD, overdue(t(4, 1), t(3, 31)), finished(t(4, 6))),  # late A
    "D04": paper(t(3, 2), t(3, 16), "counter", HT, finished(t(3, 31, 23, 30))),  # closed before the quarter
    "D05": paper(t(3, 30), t(4, 20), "postal", XD, closed("dossier_withdrawn", t(4, 10))),  # carried A; withdrawn A
    "D06": paper(t(3, 15), t(5, 15), "counter", XD, overdue(t(5, 16), t(5, 15))),  # open: within A, overdue M J
    "D07": paper(t(3, 28), t(4, 2), "counter", HT, closed("dossier_rejected", t(4, 1))),  # carried A; rejected A
    # received in April
    # 06:45 on 1 April in Vietnam is still 31 March in UTC: it counts in April
    "D08": paper(datetime(2026, 3, 31, 23, 45, tzinfo=UTC), t(4, 2), "counter", HT, finished(t(4, 1, 10))),  # ahead
    "D09": [*received(t(4, 2), t(4, 3), "online", HT), finished(t(4, 3))],  # on time A (never started here)
    "D10": paper(t(4, 6), t(4, 27), "counter", XD, overdue(t(4, 28), t(4, 27)), finished(t(5, 4))),  # overdue A; late M
    "D11": paper(
        t(4, 7), t(4, 28), "postal", XD, asked(t(4, 10)), brought(t(4, 20)), started(t(4, 20, 10), "QLDT", t(5, 12))
    )
    + [finished(t(5, 12))],  # supplemented: within A; on time M against its new appointment
    "D12": paper(t(4, 8), t(4, 9), "counter", HT, asked(t(4, 9))),  # waiting for papers: within A M J
    "D13": paper(t(4, 13), t(5, 4), "online", XD, extended(t(4, 28), t(5, 4), t(5, 11)), finished(t(5, 8))),  # late M
    "D14": paper(
        t(4, 14), t(5, 5), "counter", XD, extended(t(5, 4), t(5, 5), t(5, 20)), finished(t(5, 5, 15))
    ),  # on time
    "D15": [*received(t(4, 15), t(4, 16), "counter", HT), closed("dossier_withdrawn", t(4, 15, 14))],  # withdrawn A
    "D16": paper(t(4, 20), t(4, 21), "counter", HT, closed("dossier_rejected", t(4, 21))),  # rejected A
    "TN-260422-ABCDEFGH": refused(t(4, 22), "online", HT),  # refused A (never received)
    "TN-260506-HGFEDCBA": refused(t(5, 6), "postal", XD),  # refused M
    "D19": paper(
        t(4, 29),
        t(5, 20),
        "online",
        XD,
        ("dossier_transferred", {"from_department": "QLDT", "to_department": "LANHDAO"}, t(5, 5)),
        started(t(5, 5), "LANHDAO"),
        overdue(t(5, 21), t(5, 20)),
    ),  # open: within A, overdue M J
    # received in May
    "D20": paper(t(5, 4), t(5, 5), "counter", HT, finished(t(5, 5))),  # on time M
    "D21": [*received(t(5, 5), t(5, 6), "online", HT), finished(t(5, 5, 16))],  # ahead M
    "D22": paper(
        t(5, 11),
        t(6, 1),
        "postal",
        XD,
        finished(t(6, 3)),
        ("shipment_created", {"waybill": "EP1", "expected_delivery": "2026-06-05"}, t(6, 3, 10)),
        ("shipment_delivered", {"delivered_at": t(6, 5), "waybill": "EP1"}, t(6, 5)),
        ("dossier_returned", {"returned_at": t(6, 5), "where": "postal", "outcome": "result"}, t(6, 5)),
    ),  # within M; late J
    "D23": paper(
        t(5, 12), t(6, 2), "counter", XD, asked(t(5, 15)), brought(t(5, 25)), started(t(5, 25, 10), "QLDT", t(6, 12))
    )
    + [finished(t(6, 12))],  # within M; on time J
    "D24": paper(
        t(5, 18), t(5, 19), "counter", HT, asked(t(5, 19)), brought(t(6, 2)), started(t(6, 2, 10), "TUPHAP", t(6, 3))
    )
    + [finished(t(6, 5))],  # waiting at the end of May: within M; late J
    "D25": [*received(t(5, 20), t(5, 21), "online", HT), closed("dossier_withdrawn", t(5, 20, 15))],  # withdrawn M
    "D26": paper(t(5, 25), t(6, 15), "counter", XD, closed("dossier_rejected", t(6, 10))),  # within M; rejected J
    "D27": paper(t(5, 28), t(5, 29), "counter", HT, overdue(t(5, 30), t(5, 29))),  # overdue M J
    # received in June
    "D28": [*received(t(6, 1), t(6, 2), "counter", HT), finished(t(6, 1, 15))],  # ahead J
    "D29": [
        *received(t(6, 3), t(6, 4), "online", HT),
        extended(t(6, 3, 14), t(6, 4), t(6, 10)),
        finished(t(6, 9)),
    ],  # late J: the apology does not move the appointment
    "D30": paper(t(6, 8), t(6, 29), "postal", XD),  # overdue J
    "D31": paper(t(6, 15), t(7, 6), "counter", XD),  # within J
    "D32": [
        *received(t(6, 22), t(6, 23), "online", HT),
        asked(t(6, 23)),
        brought(t(6, 26)),
        started(t(6, 26, 10), "TUPHAP", t(6, 30)),
    ],  # within J: its appointment after the supplement is the period's last day
    "D33": [*received(t(6, 30, 16), t(7, 1), "counter", HT), finished(t(6, 30, 16, 30))],  # ahead J
    "TN-260612-ABABABAB": refused(t(6, 12), "postal", HT),  # refused J
    # 00:30 on 1 July in Vietnam is still 30 June in UTC: not in the quarter
    "D36": received(datetime(2026, 6, 30, 17, 30, tzinfo=UTC), t(7, 2), "counter", HT),
    # another agency's (the report of one agency leaves it out)
    "E01": [*received(t(5, 6), t(5, 7), "counter", HT, agency=OTHER_AGENCY), finished(t(5, 7))],
}

APRIL, MAY, JUNE = (
    (date(2026, 4, 1), date(2026, 4, 30)),
    (date(2026, 5, 1), date(2026, 5, 31)),
    (date(2026, 6, 1), date(2026, 6, 30)),
)
QUARTER = (date(2026, 4, 1), date(2026, 6, 30))


def figures(
    carried_over=0,
    received=(0, 0, 0),  # online, counter, postal
    resolved=(0, 0, 0),  # ahead, on time, late
    withdrawn=0,
    refused=0,
    rejected=0,
    in_progress=(0, 0),  # within, overdue
    supplements_requested=0,
    extensions=0,
    on_time_rate=None,
):
    return {
        "carried_over": carried_over,
        "received": sum(received),
        "received_online": received[0],
        "received_counter": received[1],
        "received_postal": received[2],
        "resolved": sum(resolved),
        "resolved_ahead": resolved[0],
        "resolved_on_time": resolved[1],
        "resolved_late": resolved[2],
        "withdrawn": withdrawn,
        "refused": refused,
        "rejected": rejected,
        "in_progress": sum(in_progress),
        "in_progress_within": in_progress[0],
        "in_progress_overdue": in_progress[1],
        "supplements_requested": supplements_requested,
        "extensions": extensions,
        "on_time_rate": on_time_rate,
    }


# Counted by hand from the comments above (agency 000.00.06.H56).
EXPECTED = {
    APRIL: figures(
        carried_over=6,  # D01 D02 D03 D05 D06 D07 (D04 closed on 31 March)
        received=(3, 6, 1),  # online D09 D13 D19; counter D08 D10 D12 D14 D15 D16; postal D11
        resolved=(2, 2, 1),  # ahead D01 D08; on time D02 D09; late D03
        withdrawn=2,  # D05 D15
        refused=1,
        rejected=2,  # D07 D16
        in_progress=(6, 1),  # within D06 D11 D12 D13 D14 D19; overdue D10
        supplements_requested=2,  # D11 D12
        extensions=1,  # D13
        on_time_rate=0.8,
    ),
    MAY: figures(
        carried_over=7,
        received=(2, 5, 1),  # online D21 D25; counter D20 D23 D24 D26 D27; postal D22
        resolved=(1, 3, 2),  # ahead D21; on time D11 D14 D20; late D10 D13
        withdrawn=1,  # D25
        refused=1,
        in_progress=(5, 3),  # within D12 D22 D23 D24 D26; overdue D06 D19 D27
        supplements_requested=2,  # D23 D24
        extensions=1,  # D14
        on_time_rate=0.6667,
    ),
    JUNE: figures(
        carried_over=8,
        received=(2, 3, 1),  # online D29 D32; counter D28 D31 D33; postal D30
        resolved=(2, 1, 3),  # ahead D28 D33; on time D23; late D22 D24 D29
        refused=1,
        rejected=1,  # D26
        in_progress=(3, 4),  # within D12 D31 D32; overdue D06 D19 D27 D30
        supplements_requested=1,  # D32
        extensions=1,  # D29
        on_time_rate=0.5,
    ),
    QUARTER: figures(
        carried_over=6,
        received=(7, 14, 3),
        resolved=(5, 6, 6),
        withdrawn=3,
        refused=3,
        rejected=3,
        in_progress=(3, 4),
        supplements_requested=5,
        extensions=3,
        on_time_rate=0.6471,
    ),
}
ADDITIVE = [
    name for name in FIGURES if name not in ("carried_over", "in_progress", "in_progress_within", "in_progress_overdue")
]


def fold(events: dict[str, list[Event]], times: int = 1) -> dict[str, Facts]:
    folded: dict[str, Facts] = {}
    for code, story in events.items():
        facts = Facts(code)
        for event_type, data, at in story:
            for _ in range(times):
                facts = observe(facts, event_type, data, at)
        folded[code] = facts
    return folded


def of_agency(facts: dict[str, Facts], agency: str = AGENCY) -> list[Facts]:
    return [f for f in facts.values() if f.agency_code == agency]


@pytest.fixture(scope="module")
def facts() -> list[Facts]:
    return of_agency(fold(FIXTURE))


@pytest.mark.parametrize("period", list(EXPECTED), ids=["april", "may", "june", "quarter"])
def test_the_figures_of_each_month_and_of_the_quarter_are_those_counted_by_hand(facts, period):
    assert add_up(classify(f, *period) for f in facts) == EXPECTED[period]


def test_every_kind_of_outcome_is_in_the_fixture():
    assert len(FIXTURE) >= 30
    quarter = EXPECTED[QUARTER]
    for name in FIGURES:
        assert quarter[name] or EXPECTED[APRIL][name], name  # each figure counts something


def test_the_quarter_is_the_sum_of_its_months(facts):
    months = [summarise(facts, *month, "field")["total"] for month in (APRIL, MAY, JUNE)]
    quarter = summarise(facts, *QUARTER, "field")["total"]
    for name in ADDITIVE:
        assert quarter[name] == sum(month[name] for month in months), name
    assert quarter["carried_over"] == months[0]["carried_over"]
    for name in ("in_progress", "in_progress_within", "in_progress_overdue"):
        assert quarter[name] == months[-1][name], name
    # and a month carries over what the month before left in progress
    assert [m["carried_over"] for m in months[1:]] == [m["in_progress"] for m in months[:-1]]


def test_month_groups_are_each_month_clipped_to_the_period(facts):
    report = summarise(facts, *QUARTER, "month")
    assert [(g["key"], g["label"]) for g in report["groups"]] == [
        ("2026-04", "Tháng 04/2026"),
        ("2026-05", "Tháng 05/2026"),
        ("2026-06", "Tháng 06/2026"),
    ]
    for group, month in zip(report["groups"], (APRIL, MAY, JUNE), strict=True):
        assert {k: v for k, v in group.items() if k not in ("key", "label")} == EXPECTED[month]
    assert report["total"] == EXPECTED[QUARTER]

    clipped = summarise(facts, date(2026, 4, 15), date(2026, 5, 10), "month")["groups"]
    # from 15 April: carried over D06 D10 D11 D12 D13 D14; received D15 D16 D19
    assert (clipped[0]["carried_over"], clipped[0]["received"]) == (6, 3)
    # to 10 May: carried over as on 1 May; received D20 D21
    assert (clipped[1]["carried_over"], clipped[1]["received"]) == (7, 2)


def test_groups_by_field_channel_and_department(facts):
    by_field = {g["key"]: g for g in summarise(facts, *QUARTER, "field")["groups"]}
    assert {k: (g["received"], g["refused"]) for k, g in by_field.items()} == {"Hộ tịch": (14, 2), "Xây dựng": (10, 1)}
    assert by_field["Hộ tịch"]["label"] == "Hộ tịch"

    by_channel = summarise(facts, *QUARTER, "channel")["groups"]
    assert [(g["key"], g["label"], g["received"]) for g in by_channel] == [
        ("postal", "Bưu chính", 3),
        ("counter", "Trực tiếp", 14),
        ("online", "Trực tuyến", 7),
    ]

    # where the dossiers still open at the end of June are: the department holding them
    by_department = {g["key"]: g for g in summarise(facts, *QUARTER, "department")["groups"]}
    assert {k: (g["in_progress_within"], g["in_progress_overdue"]) for k, g in by_department.items()} == {
        "QLDT": (1, 2),  # D31; D06 D30
        "LANHDAO": (0, 1),  # D19 (transferred)
        "TUPHAP": (2, 1),  # D12 D32; D27
        "": (0, 0),  # never taken up by a department here: D09 D21 D28 D29 D33, and the refusals
    }
    assert by_department[""]["label"] == "Chưa xác định"

    by_procedure = summarise(facts, *QUARTER, "procedure")["groups"]
    assert [(g["key"], g["label"]) for g in by_procedure] == [
        ("2.000635", "Cấp bản sao trích lục hộ tịch"),
        ("1.001776", "Cấp giấy phép xây dựng nhà ở riêng lẻ"),
    ]


def test_agencies_are_kept_apart_and_named():
    everything = list(fold(FIXTURE).values())
    by_agency = summarise(everything, *MAY, "agency", {AGENCY: "UBND quận Lê Chân"})["groups"]
    assert [(g["key"], g["label"], g["received"], g["resolved_on_time"]) for g in by_agency] == [
        (OTHER_AGENCY, OTHER_AGENCY, 1, 1),  # unnamed: its code
        (AGENCY, "UBND quận Lê Chân", 8, 3),
    ]


def test_a_redelivered_event_counts_once():
    assert fold(FIXTURE, times=2) == fold(FIXTURE)


def test_what_a_dossier_knows_after_its_story():
    d11 = fold({"D11": FIXTURE["D11"]})["D11"]
    assert d11.appointments == ((t(4, 7), t(4, 28)), (t(4, 20, 10), t(5, 12)))
    assert d11.pauses == ((t(4, 10), t(4, 20)),)
    assert (d11.department, d11.finished_at, d11.closed) == ("QLDT", t(5, 12), None)
    d13 = fold({"D13": FIXTURE["D13"]})["D13"]
    assert d13.extensions == ((t(4, 28), t(5, 11)),) and d13.appointment() == t(5, 4)
    d22 = fold({"D22": FIXTURE["D22"]})["D22"]
    assert d22.returned_at == t(6, 5)
    refusal = fold({"R": refused(t(4, 22), "online", HT)})["R"]
    assert (refusal.received_at, refusal.closed, refusal.closed_at, refusal.channel) == (
        None,
        "refused",
        t(4, 22),
        "online",
    )
    assert classify(refusal, *APRIL)["received"] == 0  # a submission never received is not received


def test_the_log_keeps_no_personal_data():
    data = {
        "received_at": t(4, 1),
        "due_at": t(4, 2),
        "channel": "counter",
        "contacts": {"phone": "0987654321", "email": "a@b.vn", "full_name": "Trần Văn Bình"},
        "applicant_name": "Trần Văn Bình",
    }
    assert kept(data) == {"received_at": t(4, 1), "due_at": t(4, 2), "channel": "counter"}


def test_a_report_period_runs_forwards_for_at_most_three_years():
    assert period_problems(date(2026, 4, 1), date(2026, 4, 1)) == {}
    assert period_problems(date(2024, 1, 1), date(2026, 12, 31)) == {}
    assert "to" in period_problems(date(2026, 4, 2), date(2026, 4, 1))
    assert "to" in period_problems(date(2024, 1, 1), date(2027, 1, 1))
    assert "to" in period_problems(date(2024, 2, 29), date(2027, 3, 1))
    assert period_problems(date(2024, 2, 29), date(2027, 2, 28)) == {}


def test_events_consumed_out_of_order_give_the_same_facts():
    # one queue per event type: the result may be consumed before the step that set the
    # new appointment after the supplement
    for code in ("D11", "D23", "D24"):
        story = FIXTURE[code]
        *before, new_appointment, result = story
        assert new_appointment[0] == "processing_started" and result[0] == "result_ready"
        assert fold({code: [*before, result, new_appointment]}) == fold({code: story})
