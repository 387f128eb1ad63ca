"""The postal rules' constants and pure functions [Decision 45/2016/QĐ-TTg,
Circular 17/2017/TT-BTTTT].

Transit norms: in working days after hand-over to the carrier, same district J+1,
same province J+2, other province J+3 to J+4 (we promise the upper bound, J+4;
configurable).

The distance class compares the delivery address with the origin of the agency
that issued the result. Vietnamese addresses are written from the house up, so the
last comma-separated part is the province and the one before it the district
("15 Lạch Tray, Ngô Quyền, Hải Phòng"). Parts are compared without diacritics,
case, or the words "tỉnh", "thành phố", "quận", "huyện"...; an address we cannot
read counts as another province (the longest promise, never a broken one).
Origins come from configuration: POSTAL_ORIGINS maps an agency code (the prefix
of the dossier code) to {province, district}; "*" is the default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from shared.events import agency_of_code


class DistanceClass(StrEnum):
    SAME_DISTRICT = "same_district"
    SAME_PROVINCE = "same_province"
    OTHER_PROVINCE = "other_province"


# Transit norms in working days after hand-over [Circular 17/2017/TT-BTTTT]:
# J+1, J+2, J+3..J+4 (the upper bound: a promise never broken).
TRANSIT_WORKING_DAYS: dict[str, int] = {
    DistanceClass.SAME_DISTRICT: 1,
    DistanceClass.SAME_PROVINCE: 2,
    DistanceClass.OTHER_PROVINCE: 4,
}
# After two failed attempts 2 working days apart the result goes back to the agency
# [Decision 45/2016/QĐ-TTg; DOMAIN.md, Postal service].
MAX_DELIVERY_ATTEMPTS = 2
ATTEMPT_GAP_WORKING_DAYS = 2
# Not law: how patiently a carrier that is down or slow is asked again (doubling, capped).
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 600.0

_PREFIXES = re.compile(r"^(?:tinh|thanh pho|tp\.?|quan|huyen|thi xa|thi tran|q\.|h\.|tx\.?)\s+")


class WorkingDays(Protocol):
    """What the rules need of the working-day calendar (shared.calendar.WorkingCalendar)."""

    def next_working_moment(self, moment: datetime) -> datetime: ...

    def add_working_days_to_date(self, day: date, count: int) -> date: ...


def normalise(part: str) -> str:
    text = unicodedata.normalize("NFD", part.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\s+", " ", text).strip(" .")
    return _PREFIXES.sub("", text).strip()


def province_and_district(address: str | None) -> tuple[str | None, str | None]:
    parts = [normalise(p) for p in (address or "").split(",") if p.strip()]
    if len(parts) < 2:
        return None, None
    return parts[-1], parts[-2]


def distance_class(address: str | None, origin: Mapping[str, str] | None) -> DistanceClass:
    """How far the result travels from the agency's origin to the address."""
    province, district = province_and_district(address)
    if not province or not origin or normalise(origin.get("province", "")) != province:
        return DistanceClass.OTHER_PROVINCE
    if district and normalise(origin.get("district", "")) == district:
        return DistanceClass.SAME_DISTRICT
    return DistanceClass.SAME_PROVINCE


def agency_of(dossier_code: str | None) -> str:
    """`000.00.06.H56-261126-0001` -> `000.00.06.H56` [Circular 01/2018/TT-VPCP Art. 19]."""
    return agency_of_code(dossier_code) or ""


def hand_over_date(calendar: WorkingDays, ordered_at: datetime) -> date:
    """The carrier collects the result at the counter during working time: an order
    placed in the evening or at the weekend is handed over the next working day."""
    return calendar.next_working_moment(ordered_at).date()


def expected_delivery(
    calendar: WorkingDays, ordered_at: datetime, distance: str, transit_days: Mapping[str, int] = TRANSIT_WORKING_DAYS
) -> date:
    """J+n working days after hand-over, n by the transit norm of the distance
    [Circular 17/2017/TT-BTTTT]."""
    return calendar.add_working_days_to_date(hand_over_date(calendar, ordered_at), transit_days[distance])


def _origin(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value).items()}


@dataclass
class PostalRules:
    """The configurable parts of the postal rules (config.yaml: POSTAL_ORIGINS,
    TRANSIT_DAYS, CARRIER_RETRY_BASE_SECONDS, CARRIER_RETRY_MAX_SECONDS)."""

    origins: dict[str, dict[str, str]] = field(default_factory=dict)
    transit_days: dict[str, int] = field(default_factory=lambda: dict(TRANSIT_WORKING_DAYS))
    retry_base_seconds: float = RETRY_BASE_SECONDS
    retry_max_seconds: float = RETRY_MAX_SECONDS
    max_attempts: int = MAX_DELIVERY_ATTEMPTS  # delivery attempts before the result goes back to the agency
    attempt_gap_days: int = ATTEMPT_GAP_WORKING_DAYS  # working days between them

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> PostalRules:
        return cls(
            origins={str(k): _origin(v) for k, v in dict(cfg.get("POSTAL_ORIGINS") or {}).items()},
            transit_days={**TRANSIT_WORKING_DAYS, **(cfg.get("TRANSIT_DAYS") or {})},
            retry_base_seconds=float(cfg.get("CARRIER_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)),
            retry_max_seconds=float(cfg.get("CARRIER_RETRY_MAX_SECONDS", RETRY_MAX_SECONDS)),
        )

    def origin(self, dossier_code: str | None) -> dict[str, str] | None:
        """Where the agency of the dossier sends its results from ("*": any other)."""
        return self.origins.get(agency_of(dossier_code)) or self.origins.get("*")

    def next_try(self, tries: int, now: datetime) -> datetime:
        """When to call the carrier again after `tries` failed calls (doubling, capped)."""
        delay = min(self.retry_base_seconds * 2 ** max(tries - 1, 0), self.retry_max_seconds)
        return now + timedelta(seconds=delay)

    def next_attempt_on(self, calendar: WorkingDays, failed_on: date) -> date:
        """The day of the next delivery attempt, 2 working days after a failed one
        [Decision 45/2016/QĐ-TTg; DOMAIN.md, Postal service]."""
        return calendar.add_working_days_to_date(failed_on, self.attempt_gap_days)

    def is_last_attempt(self, attempt: int) -> bool:
        """After the last failed attempt the result goes back to the agency."""
        return attempt >= self.max_attempts
