"""What every Một Cửa service has: configuration, its own database, the outbox
relay, token checks, GET /health and GET /metrics. A service class inherits it and
adds its entrypoints (nameko finds inherited dependencies and entrypoints)."""
from nameko.dependency_providers import Config

from shared import health, metrics
from shared.auth import Auth
from shared.db import Database
from shared.http import http
from shared.relay import OutboxRelay


class ServiceBase:
    config = Config()
    db = Database()
    relay = OutboxRelay()
    auth = Auth()

    @http("GET", "/health")
    def health(self, request):
        return health.check(self.db, self.config["AMQP_URI"])

    @http("GET", "/metrics")
    def metrics(self, request):
        # no token, like /health: a Prometheus server scrapes it
        return metrics.response(request, self.name, type(self), self.db, self.config)
