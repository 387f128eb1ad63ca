"""Schemathesis against the four services as real processes (real RabbitMQ and
PostgreSQL), each from its own GET /openapi.json: no 500 for any generated request,
every answer's status, content type and body as the document says (errors in the
contract's shape). MOTCUA_FUZZ_EXAMPLES sets the examples per operation (`make
fuzz` runs many more).

The fuzzer changes what it is allowed to (catalogue, calendar, automated
departments), so it gets an installation of its own, not the run's `system`."""

import hashlib
import json
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.config import SERVICES
from shared.signing import sign
from tests.system import ADMIN, COUNTER, System, dossier_body, officer, submit, token

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES") or 25)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PORTAL = token("portal", sub="cong-dvc")
DEPARTMENT = "QLDT"


@pytest.fixture(scope="module")
def fuzz_system(new_vhost, database_server, tmp_path_factory):
    server, prefix = database_server
    vhost = new_vhost("fuzz")
    installation = System(vhost, server, prefix + "fuzz_", tmp_path_factory.mktemp("fuzz"))
    try:
        for name in ("carrier-sim", *SERVICES):
            installation.start(name)
        installation.wait_healthy(["carrier-sim", *SERVICES])
        # one real dossier, so that generated requests also reach past "not found"
        installation.known_code = submit(installation, dossier_body())
        yield installation
    finally:
        installation.stop_all()
        new_vhost.delete(vhost)


def secrets(system):
    return {"postal": system.env["MOTCUA_CARRIER_SECRET"], "notify": system.env["MOTCUA_SMS_GATEWAY_SECRET"]}


def headers_for(operation):
    """A token the operation allows: a QLDT officer on a department's routes, the
    counter where admin may not, else admin; none for public routes."""
    roles = operation.definition.raw.get("x-roles")
    if roles is None:
        return {}
    if "officer" in roles and "{department}" in operation.path:
        return officer(DEPARTMENT)
    for role, headers in (("counter", COUNTER), ("officer", officer(DEPARTMENT)), ("portal", PORTAL)):
        if role in roles and "admin" not in roles:
            return headers
    return ADMIN


def signed_call(case, secret):
    """Send the generated body as bytes, signed with the right secret unless its
    digest says to keep the generated X-Signature (so both paths get exercised)."""
    kwargs = case.as_transport_kwargs()
    raw = kwargs.pop("data", None)
    if "json" in kwargs:
        raw = json.dumps(kwargs.pop("json"), ensure_ascii=False).encode()
    elif isinstance(raw, str):
        raw = raw.encode()
    raw = raw or b""
    headers = dict(kwargs.pop("headers", {}) or {})
    if hashlib.sha256(raw).digest()[0] % 4:
        headers["X-Signature"] = sign(secret, raw)
    return requests.request(
        kwargs.pop("method"), kwargs.pop("url"), data=raw, headers=headers, params=kwargs.get("params"), timeout=30
    )


def documented_operations():
    """(service, method, path) of every operation, from the documents built in-process
    (what the running services serve; test_every_service_serves_its_openapi_document)."""
    from services.intake.service import IntakeService
    from services.notify.service import NotifyService
    from services.postal.service import PostalService
    from services.processing.service import ProcessingService
    from shared import openapi

    for cls in (IntakeService, ProcessingService, PostalService, NotifyService):
        for path, operations in openapi.document(cls)["paths"].items():
            for method in operations:
                yield pytest.param(cls.name, method.upper(), path, id=f"{cls.name} {method.upper()} {path}")


_schemas = {}


def loaded_schema(system, service):
    """The service's document as schemathesis reads it from GET /openapi.json, once."""
    if service not in _schemas:
        schema = schemathesis.openapi.from_url(system.url(service, "/openapi.json"), timeout=30)
        schema.config.update(base_url=system.url(service, ""), request_timeout=30)
        _schemas[service] = schema
    return _schemas[service]


def known(system, operation):
    """Values that exist in the installation, for the generated requests that use them
    (a random dossier code or CCCD is only ever "not found" or invalid)."""
    code, path = system.known_code, operation.path
    names = {p.get("name") for p in operation.definition.raw.get("parameters", ())}
    pinned = {}
    if "{department}" in path:
        pinned["path_parameters"] = {"department": DEPARTMENT}
    elif "{code}" in path and not path.startswith("/api/procedures"):
        pinned["path_parameters"] = {"code": code}
    if "dossier_code" in names:
        pinned["query"] = {"dossier_code": code}
    if (operation.method.upper(), path) == ("POST", "/api/dossiers"):
        pinned["body"] = dossier_body(notify={"sms": False, "email": False})
    elif (operation.method.upper(), path) == ("POST", "/api/pickups"):
        pinned["body"] = {
            **dossier_body(return_method="postal", channel="postal"),
            "pickup_address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
            "fees_to_collect": 8000,
        }
    elif (operation.method.upper(), path) == ("POST", "/api/lookup"):
        pinned["body"] = {"code": code, "id_number": dossier_body()["applicant"]["id_number"]}
    return pinned


def strategy(system, operation):
    """Valid requests, the same with the installation's known values, and, where the
    document constrains something, invalid ones."""
    cases = operation.as_strategy(GenerationMode.POSITIVE)
    pinned = known(system, operation)
    if pinned:
        cases = st.one_of(cases, operation.as_strategy(GenerationMode.POSITIVE, **pinned))
    try:
        return st.one_of(cases, operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # nothing in the operation can be made invalid
        return cases


@pytest.mark.parametrize("service, method, path", list(documented_operations()))
def test_fuzz(fuzz_system, service, method, path):
    operation = loaded_schema(fuzz_system, service)[path][method]
    signed = any(p.get("name") == "X-Signature" for p in operation.definition.raw.get("parameters", ()))
    secret = secrets(fuzz_system).get(service)
    answered = []

    @given(case=strategy(fuzz_system, operation))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        if signed:
            response = signed_call(case, secret)
            case.validate_response(response, checks=CHECKS)
        else:
            response = case.call_and_validate(headers=headers_for(operation), checks=CHECKS)
        answered.append(response.status_code)

    fuzz()
    assert answered  # the operation was called
    assert all(status < 500 or status == 503 for status in answered), answered


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_serves_its_openapi_document(fuzz_system, service):
    answer = requests.get(fuzz_system.url(service, "/openapi.json"), timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    document = answer.json()
    assert document["openapi"] == "3.1.0" and document["info"]["title"] == f"Một Cửa: {service}"
    assert "/openapi.json" in document["paths"] and "/health" in document["paths"]


# What the fuzzer found, kept as plain regression tests.


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("GET", "/api/calendar/due?procedure_code=1.00%0001", {}),  # was a 500: PostgreSQL refuses NUL in text
        ("GET", "/api/dossiers/000.00.06.H56-261126-%0001", {}),
        ("POST", "/api/guidance", {"json": {"procedure_code": "2.000635", "missing_documents": ["T\u0000ờ khai"]}}),
    ],
)
def test_a_nul_character_is_refused_not_a_server_error(fuzz_system, method, path, kwargs):
    answer = requests.request(method, fuzz_system.url("intake", path), headers=COUNTER, timeout=10, **kwargs)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and "NUL" in error["message"] and error["fields"]
