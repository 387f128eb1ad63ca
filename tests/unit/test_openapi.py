"""The OpenAPI documents, built in-process from the services' code: every route is
in its service's document, the document is valid OpenAPI 3.1, and what it shows of
a request is the schema that checks it."""

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR
from werkzeug.routing import Map

from services.intake.schemas import Submission
from services.intake.service import IntakeService
from services.notify.service import NotifyService
from services.payments.service import PaymentsService
from services.postal.schemas import PickupRequest
from services.postal.service import PostalService
from services.processing.service import ProcessingService
from shared import openapi
from shared.http import OPENAPI_ATTR

SERVICES = [IntakeService, ProcessingService, PostalService, NotifyService, PaymentsService]


def url_map(service_cls):
    """The werkzeug map nameko builds from the service's @http entrypoints."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.web.handlers import HttpRequestHandler

    rules = []
    for name in dir(service_cls):
        for extension in getattr(getattr(service_cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, HttpRequestHandler):
                rules.append(extension.get_url_rule())
    return Map(rules)


@pytest.mark.parametrize("service_cls", SERVICES, ids=lambda c: c.name)
def test_every_route_is_in_the_document(service_cls):
    paths = openapi.document(service_cls)["paths"]
    routes = [
        (rule.rule, method)
        for rule in url_map(service_cls).iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    ]
    assert len(routes) >= 5
    for url, method in routes:
        path, _ = openapi.openapi_path(url)
        assert method.lower() in paths.get(path, {}), f"{method} {url} is not in {service_cls.name}'s document"
    assert sum(len(ops) for ops in paths.values()) == len(routes)


@pytest.mark.parametrize("service_cls", SERVICES, ids=lambda c: c.name)
def test_every_route_declares_what_it_takes_and_answers(service_cls):
    undeclared = [
        f"{method} {url} ({name})"
        for method, url, name, declaration in openapi.routes(service_cls)
        if declaration is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("service_cls", SERVICES, ids=lambda c: c.name)
def test_the_document_is_valid_openapi_3_1(service_cls):
    document = openapi.document(service_cls)
    assert document["openapi"] == "3.1.0"
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []
    for path in ("/health", "/metrics", "/openapi.json"):
        assert "get" in document["paths"][path]


@pytest.mark.parametrize("service_cls", SERVICES, ids=lambda c: c.name)
def test_every_json_error_is_the_contract_error_shape(service_cls):
    document = openapi.document(service_cls)
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            for status, answer in op["responses"].items():
                # /health's 503 says which connection failed (CONTRACT.md), like its 200
                if int(status) >= 400 and path != "/health" and "application/json" in answer.get("content", {}):
                    assert answer["content"]["application/json"]["schema"] == openapi.ERROR_REF, (method, path, status)


def test_the_documented_body_is_the_schema_that_loads_it():
    """The declaration on the handler is both: shared.http.api loads with it."""
    assert getattr(IntakeService.submit, OPENAPI_ATTR)["body"] is Submission
    assert getattr(PostalService.request_pickup, OPENAPI_ATTR)["body"] is PickupRequest
    document = openapi.document(IntakeService)
    submit = document["paths"]["/api/dossiers"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Submission"}
    submission = document["components"]["schemas"]["Submission"]
    assert set(submission["required"]) == {"procedure_code", "channel", "applicant", "return_method"}
    assert submission["additionalProperties"] is False  # Strict: unknown fields are refused
    assert submission["properties"]["channel"]["enum"] == ["counter", "online", "postal"]
    assert submit["x-roles"] == ["counter", "portal"] and {"401", "403", "400", "413", "201"} <= set(
        submit["responses"]
    )


def test_werkzeug_routes_become_openapi_paths():
    assert openapi.openapi_path("/api/dossiers/<string:code>/accept") == (
        "/api/dossiers/{code}/accept",
        {"code": openapi.SEGMENT},
    )
    assert openapi.openapi_path("/api/items/<int:n>")[1] == {"n": {"type": "integer"}}
    assert openapi.openapi_path("/health") == ("/health", {})


def test_python_patterns_become_ecma_patterns():
    # marshmallow's Regexp matches from the start; \Z is Python's end of text
    assert openapi.ecma_pattern(r"[0-9]{12}\Z") == r"^(?:[0-9]{12})$"
    assert openapi.ecma_pattern(r"^[A-Z]{1,40}$") == r"^[A-Z]{1,40}$"
    document = openapi.document(IntakeService)
    code = document["components"]["schemas"]["Submission"]["properties"]["procedure_code"]["pattern"]
    assert code.startswith("^") and code.endswith("$") and "\\Z" not in code


def test_query_parameters_are_documented_from_their_schema():
    queue = openapi.document(ProcessingService)["paths"]["/api/departments/{department}/queue"]["get"]
    assert {(p["in"], p["name"]) for p in queue["parameters"]} == {("path", "department"), ("query", "limit")}
    shipments = openapi.document(PostalService)["paths"]["/api/shipments"]["get"]
    [code] = [p for p in shipments["parameters"] if p["name"] == "dossier_code"]
    assert code["required"] is True and code["schema"]["type"] == "string"


def test_signed_callbacks_document_their_signature_and_no_token():
    callback = openapi.document(PostalService)["paths"]["/api/carrier/callback"]["post"]
    assert callback["security"] == []
    assert [p["name"] for p in callback["parameters"] if p["in"] == "header"] == ["X-Signature"]
    assert "401" in callback["responses"]
