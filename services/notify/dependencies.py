"""notify's nameko dependencies: the dispatch (templates, channels, rate limits,
settings) and a timer whose period comes from configuration."""
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from services.notify import channels, rules
from services.notify.messages import Templates


@dataclass
class Settings:
    """Delivery settings from config.yaml (per channel where it says {CHANNEL}_...)."""
    quiet_hours: dict = field(default_factory=dict)   # channel -> (start, end)
    idempotent: dict = field(default_factory=dict)    # channel -> the provider drops duplicates
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    sms_without_diacritics: bool = True
    sending_timeout_seconds: float = 60.0
    created_grace_seconds: float = 5.0

    @classmethod
    def from_config(cls, config, configured):
        return cls(
            quiet_hours={name: rules.parse_quiet_hours(config.get(f"{name.upper()}_QUIET_HOURS"))
                         for name in configured},
            idempotent={name: channel.idempotent for name, channel in configured.items()},
            max_attempts=int(config.get("MAX_ATTEMPTS", 5)),
            retry_base_seconds=float(config.get("RETRY_BASE_SECONDS", 30)),
            sms_without_diacritics=channels.truthy(config.get("SMS_WITHOUT_DIACRITICS", True)),
            sending_timeout_seconds=float(config.get("SENDING_TIMEOUT_SECONDS", 60)),
            created_grace_seconds=float(config.get("SWEEP_SECONDS", 5)))


class Dispatch:
    """Templates, the configured channels, their rate limits and the settings."""

    def __init__(self, config):
        self.templates = Templates(config.get("TEMPLATES_DIR") or None)
        self.channels = channels.build(config)
        self.settings = Settings.from_config(config, self.channels)
        self.limits = {name: rules.RateLimit(float(config.get(f"{name.upper()}_RATE_PER_SECOND") or 0))
                       for name in self.channels}

    def rate_limit(self, channel):
        self.limits[channel].acquire()


class DispatchProvider(DependencyProvider):
    def setup(self):
        self.dispatch = Dispatch(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.dispatch


class ConfiguredTimer(Timer):
    """A nameko timer whose interval comes from configuration (`key`)."""

    def __init__(self, key, default, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.key, self.default = key, default

    def setup(self):
        self.interval = float(self.container.config.get(self.key) or self.default)
        super().setup()


configured_timer = ConfiguredTimer.decorator
