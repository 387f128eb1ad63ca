"""Transit norms: distance class from the address, expected delivery in working days."""
from datetime import date, datetime

import pytest

from shared.calendar import WorkingCalendar
from shared.clock import TZ
from services.postal import transit
from services.postal.transit import PostalRules

HAI_PHONG = {"province": "Hải Phòng", "district": "Ngô Quyền"}


@pytest.mark.parametrize("address, expected", [
    ("15 Lạch Tray, Ngô Quyền, Hải Phòng", "same_district"),
    ("15 Lạch Tray, Quận Ngô Quyền, Thành phố Hải Phòng", "same_district"),
    ("15 lach tray, ngo quyen, hai phong", "same_district"),
    ("2 Trần Phú, Lê Chân, TP. Hải Phòng", "same_province"),
    ("Thôn Đông, xã An Hưng, huyện An Dương, Hải Phòng", "same_province"),
    ("1 Tràng Tiền, Hoàn Kiếm, Hà Nội", "other_province"),
    ("Hải Phòng", "other_province"),   # cannot tell: the longest promise
    ("", "other_province"),
])
def test_distance_class_compares_the_last_parts_of_the_address(address, expected):
    assert transit.distance_class(address, HAI_PHONG) == expected


def test_the_agency_is_the_prefix_of_the_dossier_code_and_origins_fall_back_to_the_default():
    rules = PostalRules(origins={"*": HAI_PHONG, "000.00.01.H26": {"province": "Hà Nội", "district": "Hoàn Kiếm"}})
    assert transit.agency_of("000.00.06.H56-261126-0001") == "000.00.06.H56"
    assert rules.origin("000.00.01.H26-261126-0001")["province"] == "Hà Nội"
    assert rules.origin("000.00.06.H56-261126-0001") == HAI_PHONG
    assert PostalRules().origin("000.00.06.H56-261126-0001") is None


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, 0, tzinfo=TZ)


@pytest.mark.parametrize("ordered, distance, expected", [
    (at(2026, 11, 26), "same_district", date(2026, 11, 27)),        # Thursday -> Friday
    (at(2026, 11, 27), "same_district", date(2026, 11, 30)),        # Friday -> over the weekend to Monday
    (at(2026, 11, 27, 18), "same_district", date(2026, 12, 1)),     # Friday evening: handed over Monday
    (at(2026, 11, 28), "same_province", date(2026, 12, 2)),         # Saturday: handed over Monday, J+2
    (at(2026, 4, 29), "same_district", date(2026, 5, 4)),           # 30/4 and 1/5 are holidays
    (at(2026, 4, 29), "same_province", date(2026, 5, 5)),
    (at(2026, 4, 29), "other_province", date(2026, 5, 7)),          # J+4
    (at(2026, 2, 13), "same_province", date(2026, 2, 24)),          # Tết: 16-20/2/2026 off
])
def test_expected_delivery_counts_working_days_after_hand_over(ordered, distance, expected):
    assert transit.expected_delivery(WorkingCalendar(), ordered, distance) == expected


def test_expected_delivery_follows_the_administrators_calendar_and_configured_norms():
    calendar = WorkingCalendar(days_off=[date(2026, 11, 30)], working_days=[date(2026, 11, 28)])
    # Saturday 28/11 is a make-up working day, Monday 30/11 an extra day off
    assert transit.expected_delivery(calendar, at(2026, 11, 27), "same_district") == date(2026, 11, 28)
    assert transit.expected_delivery(calendar, at(2026, 11, 27), "same_province") == date(2026, 12, 1)
    norms = {**transit.DEFAULT_TRANSIT_DAYS, "other_province": 3}
    assert transit.expected_delivery(WorkingCalendar(), at(2026, 11, 26), "other_province", norms) == date(2026, 12, 1)


def test_order_retries_back_off_doubling_up_to_the_maximum():
    from shared import clock
    clock.set_now(at(2026, 11, 26))
    try:
        rules = PostalRules(retry_base_seconds=5, retry_max_seconds=60)
        delays = [(rules.next_try(n) - clock.now()).total_seconds() for n in (1, 2, 3, 4, 5)]
    finally:
        clock.set_now(None)
    assert delays == [5, 10, 20, 40, 60]
