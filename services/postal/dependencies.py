from nameko.extensions import DependencyProvider

from services.postal.carrier import CarrierClient


class Carrier(DependencyProvider):
    """The carrier adapter, configured from CARRIER_URL, CARRIER_API_KEY, CARRIER_TIMEOUT_SECONDS."""

    def setup(self):
        cfg = self.container.config
        self.client = CarrierClient(cfg["CARRIER_URL"], cfg["CARRIER_API_KEY"], float(cfg["CARRIER_TIMEOUT_SECONDS"]))

    def get_dependency(self, worker_ctx):
        return self.client
