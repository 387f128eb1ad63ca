"""What every Một Cửa service has: configuration, its own database, the outbox
relay, token checks, GET /health, GET /metrics and GET /openapi.json. A service
class inherits it and adds its entrypoints (nameko finds inherited dependencies
and entrypoints)."""

from typing import Any

from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from shared import health, metrics, openapi
from shared.auth import Auth
from shared.db import Database
from shared.http import describe, http, to_json
from shared.relay import OutboxRelay

HEALTH = openapi.obj(status={"enum": ["ok", "unavailable"]}, database=openapi.STRING, broker=openapi.STRING)
_documents: dict[Any, Any] = {}  # one document per service class and process: it only changes with the code


class ServiceBase:
    name: str  # each service class names itself (nameko)
    config = Config()
    db = Database()
    relay = OutboxRelay()
    auth = Auth()

    @http("GET", "/health")
    @describe(answers={200: HEALTH, 503: HEALTH}, summary="broker and database reachable")
    def health(self, request):
        return health.check(self.db, self.config["AMQP_URI"])

    @http("GET", "/metrics")
    @describe(
        answers={200: openapi.Media({"text/plain": None, "application/openmetrics-text": None})},
        summary="Prometheus metrics",
    )
    def metrics(self, request):
        # no token, like /health: a Prometheus server scrapes it
        return metrics.response(request, self.name, type(self), self.db, self.config)

    @http("GET", "/openapi.json")
    @describe(
        answers={200: {"type": "object", "required": ["openapi", "info", "paths"]}}, summary="this OpenAPI 3.1 document"
    )
    def openapi_document(self, request):
        # no token: the document describes the API, it holds no data
        cls = type(self)
        if cls not in _documents:
            _documents[cls] = to_json(openapi.document(cls))
        return Response(_documents[cls], status=200, mimetype="application/json")
