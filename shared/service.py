"""What every Một Cửa service has: configuration, its own database, the outbox
relay, token checks and GET /health. A service class inherits it and adds its
entrypoints (nameko finds inherited dependencies and entrypoints)."""
from nameko.dependency_providers import Config

from shared import health
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
