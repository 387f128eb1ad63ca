"""GET /health says which dependency is away."""

import json

from shared import health
from shared.db import Sessions, make_engine


def body(response):
    return response.status_code, json.loads(response.get_data())


def test_healthy_when_broker_and_database_answer(amqp_uri, database_server):
    server, _ = database_server
    uow = Sessions(make_engine(server))
    assert body(health.check(uow, amqp_uri)) == (200, {"status": "ok", "database": "ok", "broker": "ok"})


def test_503_names_the_database_when_it_is_away(amqp_uri):
    uow = Sessions(make_engine("postgresql://postgres@127.0.0.1:1/nowhere"))
    status, answer = body(health.check(uow, amqp_uri))
    assert status == 503 and answer["broker"] == "ok" and answer["database"].startswith("error")


def test_503_names_the_broker_when_it_is_away(database_server):
    uow = Sessions(make_engine(database_server[0]))
    status, answer = body(health.check(uow, "amqp://guest:guest@127.0.0.1:1/"))
    assert status == 503 and answer["database"] == "ok" and answer["broker"].startswith("error")
