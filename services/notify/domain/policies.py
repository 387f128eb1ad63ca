"""What notify's rules decide, as named constants and pure functions: which events
deserve a message, quiet hours, retry backoff, what a listing may show, and the
delivery settings configuration may change.

Sources: the events that warrant a message, the channels a citizen chooses and
"short, in Vietnamese, with the dossier code" are the Notifications section of
shared/DOMAIN.md (the lifecycle steps of Decree 61/2018/NĐ-CP Art. 15-20); masking
addresses follows the personal-data rule of DOMAIN.md (Decree 13/2023/NĐ-CP). Quiet
hours, retries and the one-message-per-step choice are operating practice, not law:
they are configurable or documented as such.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from shared import clock
from shared.events import EventType

# The citizen-facing events of the contract, by the service that publishes them
# (DOMAIN.md "Notifications": received, refused, supplement requested, rejected,
# apology with a new date, result ready, shipped, delivered, returned).
CITIZEN_EVENTS: tuple[tuple[str, EventType], ...] = (
    ("intake", EventType.DOSSIER_RECEIVED),
    ("intake", EventType.DOSSIER_REFUSED),
    ("processing", EventType.SUPPLEMENT_REQUESTED),
    ("processing", EventType.DOSSIER_REJECTED),
    ("processing", EventType.DEADLINE_EXTENDED),
    ("processing", EventType.RESULT_READY),
    ("postal", EventType.SHIPMENT_CREATED),
    ("postal", EventType.SHIPMENT_DELIVERED),
    ("postal", EventType.SHIPMENT_RETURNED),
    ("intake", EventType.DOSSIER_RETURNED),
    ("intake", EventType.PAYMENT_REQUESTED),  # it carries the contacts, like a refusal
)

# Defaults of the delivery settings (config.yaml may change each one).
MAX_ATTEMPTS = 5  # sends in all for a temporary failure (MAX_ATTEMPTS)
RETRY_BASE_SECONDS = 30.0  # first retry delay, doubled at each attempt (RETRY_BASE_SECONDS)
BACKOFF_CAP_SECONDS = 3600.0  # no retry waits longer than an hour
SENDING_TIMEOUT_SECONDS = 60.0  # `sending` this long without an answer: cut off by a restart
CREATED_GRACE_SECONDS = 5.0  # a message still `created` this long after its event was left by a crash
SWEEP_BATCH = 200  # messages the sweeper takes at a time


@dataclass
class Settings:
    """Delivery settings from config.yaml (per channel where it says {CHANNEL}_...)."""

    quiet_hours: dict[str, tuple[time, time] | None] = field(default_factory=dict)  # channel -> (start, end)
    idempotent: dict[str, bool] = field(default_factory=dict)  # channel -> the provider drops duplicates
    max_attempts: int = MAX_ATTEMPTS
    retry_base_seconds: float = RETRY_BASE_SECONDS
    sms_without_diacritics: bool = True
    sending_timeout_seconds: float = SENDING_TIMEOUT_SECONDS
    created_grace_seconds: float = CREATED_GRACE_SECONDS


def worth_telling(event_type: str, data: Mapping[str, Any]) -> bool:
    """One message per step: a result delivered by post was already announced by
    shipment_delivered, so the dossier_returned that follows it says nothing new."""
    return not (event_type == EventType.DOSSIER_RETURNED and data.get("where") == "postal")


def parse_quiet_hours(text: object) -> tuple[time, time] | None:
    """'21:00-07:00' -> (21:00, 07:00); empty -> None (no quiet hours)."""
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in str(text).split("-"))
    return start, end


def quiet_until(moment: datetime, quiet_hours: tuple[time, time] | None) -> datetime | None:
    """When `moment` falls in the quiet hours, the moment they end (the morning);
    else None. The period may wrap past midnight."""
    if not quiet_hours:
        return None
    start, end = quiet_hours
    local = clock.local(moment)
    t = local.time()
    if start <= end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    return datetime.combine(end_day, end, clock.TZ) if inside else None


def backoff(attempts: int, base_seconds: float, cap_seconds: float = BACKOFF_CAP_SECONDS) -> float:
    """Delay before the next try after `attempts` tries: base, 2x base, 4x base..."""
    return min(base_seconds * float(2 ** max(attempts - 1, 0)), cap_seconds)


def mask_address(address: str | None) -> str | None:
    """'0912345678' -> '091*****78', 'hoa@example.vn' -> 'h**@example.vn': staff see
    whom a message went to without reading the contact (Decree 13/2023/NĐ-CP)."""
    if not address:
        return address
    if "@" in address:
        user, domain = address.split("@", 1)
        return user[:1] + "*" * max(len(user) - 1, 1) + "@" + domain
    return address[:3] + "*" * max(len(address) - 5, 1) + address[-2:]


def moment_text(value: object) -> object:
    """Moments as a Vietnamese reader writes them: '16:00 27/11/2026', '30/11/2026'."""
    if isinstance(value, datetime):
        return clock.local(value).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def money_text(amount: object) -> str:
    """An amount in đồng as Vietnamese writes it: 75000 -> '75.000 đồng'."""
    return f"{int(amount):,} đồng".replace(",", ".")  # type: ignore[call-overload]


# Where a citizen hands in a supplement, by the dossier's channel: an online dossier is
# supplemented online, on the public service portal, a counter or postal one at the
# one-stop counter [Decree 61/2018/NĐ-CP Art. 17 (online), Art. 15-20; issue 13].
ONLINE_CHANNEL = "online"


def supplements_online(dossier_channel: str | None) -> bool:
    """Whether the citizen supplements on the portal (an online dossier) rather than
    at the counter (counter and postal dossiers, and those whose channel is unknown)."""
    return dossier_channel == ONLINE_CHANNEL


# What a template may rely on even when an older event lacks it (issue 13 added them).
EVENT_DEFAULTS: dict[str, Any] = {
    "return_method": "counter",  # dossier_rejected before issue 13: collected at the counter
    "purpose": "result",  # shipment_* before issue 13: all results
    "outcome": "result",  # dossier_returned before issue 13: all results
    "electronic": False,  # an older result_ready, or a result on paper: not downloadable
}


def template_context(
    dossier_code: str,
    full_name: str | None,
    procedure_name: str | None,
    data: Mapping[str, Any],
    dossier_channel: str | None = None,
) -> dict[str, Any]:
    """What a template may say: the dossier code (or, before reception, the
    submission reference), the applicant's name, the procedure, the dossier's channel
    and whether it is supplemented online, and the event's data (never the contacts
    or the chosen notification channels)."""
    return {
        **EVENT_DEFAULTS,
        "code": dossier_code,
        "full_name": full_name or "",
        "procedure_name": procedure_name or "",
        "dossier_channel": dossier_channel or "",
        "supplement_online": supplements_online(dossier_channel),
        **{key: moment_text(value) for key, value in data.items() if key not in ("contacts", "notify")},
    }
