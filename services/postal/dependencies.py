from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from services.postal.carrier import HttpCarrier
from services.postal.transit import PostalRules


class CarrierAdapter(DependencyProvider):
    """The carrier adapter, configured from CARRIER_URL, CARRIER_API_KEY and the timeouts."""

    def setup(self):
        self.client = HttpCarrier.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.client


class Rules(DependencyProvider):
    """The postal rules' settings (origins, transit norms, retry backoff) from config.yaml."""

    def setup(self):
        self.rules = PostalRules.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.rules


class ConfigTimer(Timer):
    """nameko's timer with its interval read from the service configuration."""

    def __init__(self, key, default, **kwargs):
        self.key, self.default = key, default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.key, self.default))


every = ConfigTimer.decorator
