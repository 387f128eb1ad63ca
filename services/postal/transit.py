"""Transit norms [Circular 17/2017/TT-BTTTT]: the expected delivery date of a result.

In working days after hand-over to the carrier: same district J+1, same province
J+2, other province J+3 to J+4 (we promise the upper bound, J+4; configurable).

The distance class compares the delivery address with the origin of the agency
that issued the result. Vietnamese addresses are written from the house up, so the
last comma-separated part is the province and the one before it the district
("15 Lạch Tray, Ngô Quyền, Hải Phòng"). Parts are compared without diacritics,
case, or the words "tỉnh", "thành phố", "quận", "huyện"...; an address we cannot
read counts as another province (the longest promise, never a broken one).
Origins come from configuration: POSTAL_ORIGINS maps an agency code (the prefix
of the dossier code) to {province, district}; "*" is the default.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from shared import clock

DEFAULT_TRANSIT_DAYS = {"same_district": 1, "same_province": 2, "other_province": 4}
_PREFIXES = re.compile(r"^(?:tinh|thanh pho|tp\.?|quan|huyen|thi xa|thi tran|q\.|h\.|tx\.?)\s+")


def normalise(part):
    text = unicodedata.normalize("NFD", part.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\s+", " ", text).strip(" .")
    return _PREFIXES.sub("", text).strip()


def province_and_district(address):
    parts = [normalise(p) for p in (address or "").split(",") if p.strip()]
    if len(parts) < 2:
        return None, None
    return parts[-1], parts[-2]


def distance_class(address, origin):
    province, district = province_and_district(address)
    if not province or not origin or normalise(origin.get("province", "")) != province:
        return "other_province"
    if district and normalise(origin.get("district", "")) == district:
        return "same_district"
    return "same_province"


def agency_of(dossier_code):
    """`000.00.06.H56-261126-0001` -> `000.00.06.H56` [Circular 01/2018/TT-VPCP Art. 19]."""
    return (dossier_code or "").rsplit("-", 2)[0]


def hand_over_date(calendar, ordered_at):
    """The carrier collects the result at the counter during working time: an order
    placed in the evening or at the weekend is handed over the next working day."""
    return calendar.next_working_moment(ordered_at).date()


def expected_delivery(calendar, ordered_at, distance, transit_days=DEFAULT_TRANSIT_DAYS):
    return calendar.add_working_days_to_date(hand_over_date(calendar, ordered_at), transit_days[distance])


@dataclass
class PostalRules:
    """The configurable parts of the postal rules."""
    origins: dict = field(default_factory=dict)
    transit_days: dict = field(default_factory=lambda: dict(DEFAULT_TRANSIT_DAYS))
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 600.0
    max_attempts: int = 2          # delivery attempts before the result goes back to the agency
    attempt_gap_days: int = 2      # working days between them

    @classmethod
    def from_config(cls, cfg):
        return cls(origins=dict(cfg.get("POSTAL_ORIGINS") or {}),
                   transit_days={**DEFAULT_TRANSIT_DAYS, **(cfg.get("TRANSIT_DAYS") or {})},
                   retry_base_seconds=float(cfg.get("CARRIER_RETRY_BASE_SECONDS", 5)),
                   retry_max_seconds=float(cfg.get("CARRIER_RETRY_MAX_SECONDS", 600)))

    def origin(self, dossier_code):
        return self.origins.get(agency_of(dossier_code)) or self.origins.get("*")

    def next_try(self, tries):
        """When to call the carrier again after `tries` failed calls (doubling, capped)."""
        delay = min(self.retry_base_seconds * 2 ** max(tries - 1, 0), self.retry_max_seconds)
        return clock.now() + timedelta(seconds=delay)
