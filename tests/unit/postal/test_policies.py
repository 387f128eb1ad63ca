"""Transit norms [Circular 17/2017/TT-BTTTT]: distance class from the address, expected
delivery in working days; the attempts rule and the carrier retry backoff."""

from datetime import date, datetime, timedelta

import pytest

from services.postal.domain import policies
from services.postal.domain.policies import PostalRules
from shared.calendar import WorkingCalendar
from shared.clock import TZ

HAI_PHONG = {"province": "Hải Phòng", "district": "Ngô Quyền"}


@pytest.mark.parametrize(
    "address, expected",
    [
        ("15 Lạch Tray, Ngô Quyền, Hải Phòng", "same_district"),
        ("15 Lạch Tray, Quận Ngô Quyền, Thành phố Hải Phòng", "same_district"),
        ("15 lach tray, ngo quyen, hai phong", "same_district"),
        ("2 Trần Phú, Lê Chân, TP. Hải Phòng", "same_province"),
        ("Thôn Đông, xã An Hưng, huyện An Dương, Hải Phòng", "same_province"),
        ("1 Tràng Tiền, Hoàn Kiếm, Hà Nội", "other_province"),
        ("Hải Phòng", "other_province"),  # cannot tell: the longest promise
        ("", "other_province"),
    ],
)
def test_distance_class_compares_the_last_parts_of_the_address(address, expected):
    assert policies.distance_class(address, HAI_PHONG) == expected


def test_an_agency_without_origin_promises_the_longest_norm():
    assert policies.distance_class("15 Lạch Tray, Ngô Quyền, Hải Phòng", None) == "other_province"


def test_the_agency_is_the_prefix_of_the_dossier_code_and_origins_fall_back_to_the_default():
    rules = PostalRules(origins={"*": HAI_PHONG, "000.00.01.H26": {"province": "Hà Nội", "district": "Hoàn Kiếm"}})
    assert policies.agency_of("000.00.06.H56-261126-0001") == "000.00.06.H56"
    assert rules.origin("000.00.01.H26-261126-0001")["province"] == "Hà Nội"
    assert rules.origin("000.00.06.H56-261126-0001") == HAI_PHONG
    assert PostalRules().origin("000.00.06.H56-261126-0001") is None


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    "ordered, distance, expected",
    [
        (at(2026, 11, 26), "same_district", date(2026, 11, 27)),  # Thursday -> Friday
        (at(2026, 11, 27), "same_district", date(2026, 11, 30)),  # Friday -> over the weekend to Monday
        (at(2026, 11, 27, 18), "same_district", date(2026, 12, 1)),  # Friday evening: handed over Monday
        (at(2026, 11, 28), "same_province", date(2026, 12, 2)),  # Saturday: handed over Monday, J+2
        (at(2026, 4, 29), "same_district", date(2026, 5, 4)),  # 30/4 and 1/5 are holidays
        (at(2026, 4, 29), "same_province", date(2026, 5, 5)),
        (at(2026, 4, 29), "other_province", date(2026, 5, 7)),  # J+4
        (at(2026, 2, 13), "same_province", date(2026, 2, 24)),  # Tết: 16-20/2/2026 off
    ],
)
def test_expected_delivery_counts_working_days_after_hand_over(ordered, distance, expected):
    assert policies.expected_delivery(WorkingCalendar(), ordered, distance) == expected


def test_expected_delivery_follows_the_administrators_calendar_and_configured_norms():
    calendar = WorkingCalendar(days_off=[date(2026, 11, 30)], working_days=[date(2026, 11, 28)])
    # Saturday 28/11 is a make-up working day, Monday 30/11 an extra day off
    assert policies.expected_delivery(calendar, at(2026, 11, 27), "same_district") == date(2026, 11, 28)
    assert policies.expected_delivery(calendar, at(2026, 11, 27), "same_province") == date(2026, 12, 1)
    norms = {**policies.TRANSIT_WORKING_DAYS, "other_province": 3}
    assert policies.expected_delivery(WorkingCalendar(), at(2026, 11, 26), "other_province", norms) == date(2026, 12, 1)


def test_the_transit_norms_are_the_circulars_upper_bounds():
    assert policies.TRANSIT_WORKING_DAYS == {"same_district": 1, "same_province": 2, "other_province": 4}


def test_configuration_sets_origins_norms_and_backoff_and_keeps_the_legal_defaults():
    rules = PostalRules.from_config(
        {
            "POSTAL_ORIGINS": {"*": HAI_PHONG},
            "TRANSIT_DAYS": {"other_province": 3},
            "CARRIER_RETRY_BASE_SECONDS": "0.2",
            "CARRIER_RETRY_MAX_SECONDS": 1,
        }
    )
    assert rules.origins == {"*": HAI_PHONG}
    assert rules.transit_days == {"same_district": 1, "same_province": 2, "other_province": 3}
    assert (rules.retry_base_seconds, rules.retry_max_seconds) == (0.2, 1.0)
    assert (rules.max_attempts, rules.attempt_gap_days) == (policies.MAX_DELIVERY_ATTEMPTS, 2)
    assert PostalRules.from_config({}).transit_days == policies.TRANSIT_WORKING_DAYS


def test_order_retries_back_off_doubling_up_to_the_maximum():
    rules = PostalRules(retry_base_seconds=5, retry_max_seconds=60)
    now = at(2026, 11, 26)
    assert [(rules.next_try(n, now) - now).total_seconds() for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]
    assert PostalRules().next_try(1, now) == now + timedelta(seconds=policies.RETRY_BASE_SECONDS)


def test_the_next_delivery_attempt_is_two_working_days_later_and_the_second_is_the_last():
    rules = PostalRules()
    assert rules.next_attempt_on(WorkingCalendar(), date(2026, 11, 27)) == date(2026, 12, 1)  # Fri -> Tue
    assert (rules.is_last_attempt(1), rules.is_last_attempt(2), rules.is_last_attempt(3)) == (False, True, True)
    assert policies.MAX_DELIVERY_ATTEMPTS == 2 and policies.ATTEMPT_GAP_WORKING_DAYS == 2
