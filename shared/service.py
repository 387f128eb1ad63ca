"""What every Một Cửa service has: configuration, its own database, the outbox
relay, token checks, GET /health, GET /metrics and GET /openapi.json. A service
class inherits it and adds its entrypoints (nameko finds inherited dependencies
and entrypoints)."""

import logging
from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from shared import dlq, health, metrics, openapi
from shared.auth import Auth
from shared.db import Database
from shared.http import ApiError, api, describe, http, json_response, to_json
from shared.relay import OutboxRelay

log = logging.getLogger(__name__)

HEALTH = openapi.obj(status={"enum": ["ok", "unavailable"]}, database=openapi.STRING, broker=openapi.STRING)
_TEXT = openapi.nullable(openapi.STRING)
# one parked message (shared.dlq): what an operator reads before sending it back
PARKED = openapi.obj(
    service=openapi.STRING,
    queue=_TEXT,
    event_id=_TEXT,
    event_type=_TEXT,
    dossier_code=_TEXT,
    attempts=openapi.nullable(openapi.INTEGER),
    parked_at=_TEXT,
    parked_id=openapi.STRING,
    rejected=_TEXT,
    received_via=_TEXT,
    error=_TEXT,
)
DEAD_LETTERS = openapi.obj(service=openapi.STRING, parked=openapi.array(PARKED))
REPLAYED = openapi.obj(service=openapi.STRING, replayed=openapi.array(PARKED), skipped=openapi.array(PARKED))


class ReplayBody(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Từ {min} đến {max} ký tự"),
        metadata={"description": "the event's id, or the parked message's parked_id"},
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def parked_view(info: dict[str, Any]) -> dict[str, Any]:
    """A parked message as the API answers it: texts or null, attempts a number or null
    (the headers of a message parked from outside can hold anything)."""
    attempts = info.get("attempts")
    return {
        "service": str(info["service"]),
        "queue": _text(info.get("queue")),
        "event_id": _text(info.get("event_id")),
        "event_type": _text(info.get("event_type")),
        "dossier_code": _text(info.get("dossier_code")),
        "attempts": attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else None,
        "parked_at": _text(info.get("parked_at")),
        "parked_id": str(info.get("parked_id") or ""),
        "rejected": _text(info.get("rejected")),
        "received_via": _text(info.get("received_via")),
        "error": _text(info.get("error")),
    }


def _broker_unavailable(exc: Exception) -> ApiError:
    log.warning("dead letters: the broker did not answer (%s: %s)", exc.__class__.__name__, exc)
    return ApiError(503, "broker_unavailable", "Máy chủ hàng đợi tạm thời không trả lời; vui lòng thử lại")


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

    # --- the dead letters of this service (the operator's `motcua dlq`, over HTTP) ---

    @http("GET", "/api/dead-letters")
    @api(roles=("admin",), answers={200: DEAD_LETTERS}, errors=(503,), summary="this service's parked messages")
    def dead_letters(self, request):
        try:
            parked = dlq.list_parked(self.config["AMQP_URI"], [self.name])
        except Exception as exc:  # a broker that does not answer: said so, never a 500
            raise _broker_unavailable(exc) from None
        return json_response(200, {"service": self.name, "parked": [parked_view(p) for p in parked]})

    @http("POST", "/api/dead-letters/replay")
    @api(
        roles=("admin",),
        body=ReplayBody,
        answers={200: REPLAYED},
        errors=(404, 503),
        summary="send one parked message back to its queue (malformed or refused ones stay parked: skipped)",
    )
    def replay_dead_letter(self, request, body):
        skipped: list[dict[str, Any]] = []
        try:
            replayed = dlq.replay(self.config["AMQP_URI"], [self.name], event_id=body["event_id"], skipped=skipped)
        except Exception as exc:
            raise _broker_unavailable(exc) from None
        if not replayed and not skipped:
            raise ApiError(404, "not_found", f"Không có tin nhắn nào bị giữ lại với mã {body['event_id']}")
        log.info("dead letters: %d replayed, %d left parked (event %s)", len(replayed), len(skipped), body["event_id"])
        return json_response(
            200,
            {
                "service": self.name,
                "replayed": [parked_view(p) for p in replayed],
                "skipped": [parked_view(p) for p in skipped],
            },
        )
