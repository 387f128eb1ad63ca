"""The plain rules of notify: SMS text, quiet hours, backoff, rate limit, templates, configuration."""

from datetime import datetime, time

import pytest

from services.notify.adapters.rate_limit import RateLimit
from services.notify.adapters.templates import Templates
from services.notify.domain import policies as rules
from services.notify.domain import sms_text
from shared import clock, events
from tests.notify.samples import SAMPLES

TZ = clock.TZ


def test_diacritics_are_stripped_to_plain_latin():
    assert sms_text.without_diacritics("Hồ sơ đã được tiếp nhận. ĐƯỢC Ủy ban") == "Ho so da duoc tiep nhan. DUOC Uy ban"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a" * 160, ("gsm7", 1)),
        ("a" * 161, ("gsm7", 2)),
        ("a" * 306, ("gsm7", 2)),
        ("a" * 307, ("gsm7", 3)),
        ("[" * 80, ("gsm7", 1)),
        ("[" * 81, ("gsm7", 2)),  # extension characters count twice
        ("ồ" * 70, ("ucs2", 1)),
        ("ồ" * 71, ("ucs2", 2)),
        ("ồ" * 134, ("ucs2", 2)),
        ("ồ" * 135, ("ucs2", 3)),
    ],
)
def test_segments_gsm7_and_unicode(text, expected):
    assert sms_text.segments(text) == expected


def test_vietnamese_costs_fewer_parts_without_diacritics():
    text = "000.00.06.H56-261126-0001: Hồ sơ đã được tiếp nhận. Hẹn trả kết quả 16:00 10/12/2026."
    assert sms_text.segments(text) == ("ucs2", 2)
    assert sms_text.segments(sms_text.without_diacritics(text)) == ("gsm7", 1)


QUIET = rules.parse_quiet_hours("21:00-07:00")


@pytest.mark.parametrize(
    "moment, until",
    [
        (datetime(2026, 11, 26, 22, 15, tzinfo=TZ), datetime(2026, 11, 27, 7, 0, tzinfo=TZ)),
        (datetime(2026, 11, 27, 5, 0, tzinfo=TZ), datetime(2026, 11, 27, 7, 0, tzinfo=TZ)),
        (datetime(2026, 11, 26, 21, 0, tzinfo=TZ), datetime(2026, 11, 27, 7, 0, tzinfo=TZ)),
        (datetime(2026, 11, 26, 7, 0, tzinfo=TZ), None),
        (datetime(2026, 11, 26, 20, 59, tzinfo=TZ), None),
    ],
)
def test_quiet_hours_hold_until_the_morning(moment, until):
    assert rules.quiet_until(moment, QUIET) == until


def test_quiet_hours_within_one_day_and_none():
    lunch = rules.parse_quiet_hours("11:30-13:30")
    assert rules.quiet_until(datetime(2026, 11, 26, 12, 0, tzinfo=TZ), lunch) == datetime(
        2026, 11, 26, 13, 30, tzinfo=TZ
    )
    assert rules.quiet_until(datetime(2026, 11, 26, 14, 0, tzinfo=TZ), lunch) is None
    assert rules.parse_quiet_hours("") is None
    assert rules.quiet_until(datetime(2026, 11, 26, 23, 0, tzinfo=TZ), None) is None


def test_backoff_doubles_up_to_a_cap():
    assert [rules.backoff(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert rules.backoff(20, 30, cap_seconds=3600) == 3600


def test_rate_limit_spaces_sends_after_the_burst():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(2, burst=2, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(6):
        limit.acquire()
    assert slept and now[0] == pytest.approx(2.0)  # 2 at once, then one every 0.5 s


def test_addresses_are_masked():
    assert rules.mask_address("0912345678") == "091*****78"
    assert rules.mask_address("hoa@example.vn") == "h**@example.vn"


def test_a_postal_return_is_not_told_twice():
    assert not rules.worth_telling("dossier_returned", {"where": "postal"})
    assert rules.worth_telling("dossier_returned", {"where": "counter"})


def test_samples_cover_every_citizen_event_and_are_valid():
    assert set(SAMPLES) == {event for _, event in rules.CITIZEN_EVENTS}
    for event_type, data in SAMPLES.items():
        events.envelope(event_type, "000.00.06.H56-261126-0001", data)  # raises when malformed


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_event_has_a_vietnamese_template_per_channel(event_type, channel):
    code = "000.00.06.H56-261126-0001"
    context = rules.template_context(code, "Nguyễn Thị Hoa", "Chứng thực bản sao", SAMPLES[event_type])
    name, version, text = Templates().render(event_type, channel, context)
    assert name == f"{event_type}.{channel}.j2" and len(version) == 12
    assert code in text and "{{" not in text
    if channel == "sms":
        assert text.startswith(code)
        assert sms_text.segments(sms_text.without_diacritics(text))[1] <= 2
    else:
        subject, _, body = text.partition("\n")
        assert code in subject and "Kính gửi Ông/Bà Nguyễn Thị Hoa" in body


def test_a_template_edit_changes_text_and_version(tmp_path):
    (tmp_path / "dossier_refused.sms.j2").write_text("{{ code }}: không tiếp nhận ({{ reason }})", encoding="utf-8")
    templates = Templates(tmp_path)
    _, first, text = templates.render("dossier_refused", "sms", {"code": "X", "reason": "r"})
    assert text == "X: không tiếp nhận (r)"
    (tmp_path / "dossier_refused.sms.j2").write_text("{{ code }}: bị từ chối vì {{ reason }}", encoding="utf-8")
    _, second, text = templates.render("dossier_refused", "sms", {"code": "X", "reason": "r"})
    assert text == "X: bị từ chối vì r" and second != first


def test_the_packaged_configuration_runs_locally_by_default():
    from services.notify.adapters.channels import LocalEmail, LocalSms
    from services.notify.adapters.dispatch import Dispatch
    from shared.config import load_config

    dispatch = Dispatch(load_config("notify"))
    assert isinstance(dispatch.channels["sms"], LocalSms) and isinstance(dispatch.channels["email"], LocalEmail)
    assert dispatch.settings.quiet_hours == {"sms": (time(21, 0), time(7, 0)), "email": None}
    assert dispatch.settings.sms_without_diacritics and dispatch.settings.max_attempts == 5


def test_an_unknown_backend_is_refused_at_start_up():
    from services.notify.adapters.dispatch import Dispatch

    with pytest.raises(ValueError, match="SMS_BACKEND='carrier-pigeon': one of http, local"):
        Dispatch({"SMS_BACKEND": "carrier-pigeon"})
