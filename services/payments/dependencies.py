"""payments' nameko dependencies: the seam between the entrypoints and the gateway."""

from nameko.extensions import DependencyProvider

from services.payments.adapters.gateway import HttpGateway


class GatewayAdapter(DependencyProvider):
    """The gateway adapter, configured from PAYMENT_GATEWAY_URL, PAYMENT_MERCHANT and PAYMENT_SECRET."""

    def setup(self):
        self.client = HttpGateway.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.client
