"""Everything delivery needs besides the database, built once from configuration:
the templates, the configured channels, their rate limits and the settings."""

from services.notify.adapters import channels
from services.notify.adapters.rate_limit import RateLimit
from services.notify.adapters.templates import Templates
from services.notify.domain import policies
from services.notify.domain.policies import Settings


def settings_from_config(config, configured):
    """Delivery settings from config.yaml; `configured`: {channel: instance}."""
    return Settings(
        quiet_hours={
            name: policies.parse_quiet_hours(config.get(f"{name.upper()}_QUIET_HOURS")) for name in configured
        },
        idempotent={name: channel.idempotent for name, channel in configured.items()},
        max_attempts=int(config.get("MAX_ATTEMPTS", policies.MAX_ATTEMPTS)),
        retry_base_seconds=float(config.get("RETRY_BASE_SECONDS", policies.RETRY_BASE_SECONDS)),
        sms_without_diacritics=channels.truthy(config.get("SMS_WITHOUT_DIACRITICS", True)),
        sending_timeout_seconds=float(config.get("SENDING_TIMEOUT_SECONDS", policies.SENDING_TIMEOUT_SECONDS)),
        # a message still `created` after one sweep period was left behind by a crash
        created_grace_seconds=float(config.get("SWEEP_SECONDS", policies.CREATED_GRACE_SECONDS)),
    )


class Dispatch:
    """Templates, the configured channels, their rate limits and the settings."""

    def __init__(self, config):
        self.templates = Templates(config.get("TEMPLATES_DIR") or None, config.get("LOOKUP_URL") or "")
        self.channels = channels.build(config)
        self.contacts = channels.contacts_of_channels()  # channel -> contact it sends to
        self.settings = settings_from_config(config, self.channels)
        self.limits = {
            name: RateLimit(float(config.get(f"{name.upper()}_RATE_PER_SECOND") or 0)) for name in self.channels
        }

    def rate_limit(self, channel):
        self.limits[channel].acquire()
