"""postal's nameko dependencies: the seams between the entrypoints and the outside."""

from nameko.extensions import DependencyProvider

from services.postal.adapters.carrier import HttpCarrier
from services.postal.domain.policies import PostalRules


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
