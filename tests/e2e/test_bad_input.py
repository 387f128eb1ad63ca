"""Bad input on POST /api/dossiers: the JSON error of the contract, and nothing written."""

import pytest
import requests

from tests.system import AGENCY, COUNTER, dossier_body, officer, token

pytestmark = pytest.mark.e2e


def counts(system):
    return (
        system.scalar("intake", "SELECT count(*) FROM dossiers"),
        system.scalar("intake", "SELECT count(*) FROM outbox"),
        system.scalar("intake", "SELECT coalesce(sum(last), 0) FROM code_sequences"),
    )


def post(system, data=None, json=None, headers=COUNTER):
    return requests.post(
        system.url("intake", "/api/dossiers"),
        data=data,
        json=json,
        headers={**headers, **({"Content-Type": "application/json"} if data else {})},
        timeout=10,
    )


CASES = [
    ("malformed json", dict(data=b'{"procedure_code": "2.000635",'), 400, "malformed_json", None),
    ("not an object", dict(json=[1, 2]), 400, "malformed_json", None),
    ("wrong types", dict(json=dossier_body(documents="hai bản")), 400, "invalid_input", "documents"),
    (
        "missing applicant",
        dict(json={k: v for k, v in dossier_body().items() if k != "applicant"}),
        400,
        "invalid_input",
        "applicant",
    ),
    (
        "bad id number",
        dict(json=dossier_body(applicant={**dossier_body()["applicant"], "id_number": "12345"})),
        400,
        "invalid_input",
        "applicant",
    ),
    (
        "bad phone",
        dict(json=dossier_body(applicant={**dossier_body()["applicant"], "phone": "12345"})),
        400,
        "invalid_input",
        "applicant",
    ),
    ("unknown field", dict(json=dossier_body(priority="vip")), 400, "invalid_input", "priority"),
    (
        "postal without address",
        dict(json={**dossier_body(return_method="postal"), "delivery_address": None}),
        400,
        "invalid_input",
        "delivery_address",
    ),
    ("unknown procedure", dict(json=dossier_body(procedure="9.999999")), 422, "unknown_procedure", "procedure_code"),
    (
        "return method not offered",
        dict(json=dossier_body(procedure="1.000105", return_method="postal")),
        422,
        "return_method_not_allowed",
        "return_method",
    ),
    ("no token", dict(json=dossier_body(), headers={}), 401, "unauthenticated", None),
    (
        "forged token",
        dict(json=dossier_body(), headers={"Authorization": "Bearer abc.def.ghi"}),
        401,
        "invalid_token",
        None,
    ),
    ("wrong role", dict(json=dossier_body(), headers=officer("QLDT")), 403, "forbidden", None),
    (
        "portal at the counter channel",
        dict(json=dossier_body(), headers=token("portal", sub="dvc")),
        403,
        "forbidden",
        None,
    ),
    (
        "body too large",
        dict(json=dossier_body(documents=[{"name": "x" * 200, "copies": 1}] * 2000)),
        413,
        "body_too_large",
        None,
    ),
]


@pytest.mark.parametrize("name,request_kwargs,status,code,field", CASES, ids=[c[0] for c in CASES])
def test_refused_with_contract_error_and_nothing_written(system, name, request_kwargs, status, code, field):
    before = counts(system)
    response = post(system, **request_kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field:
        assert field in error["fields"], error
    assert counts(system) == before


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(system):
    headers = {**COUNTER, "Idempotency-Key": "quay-3-lan-1"}
    first = post(system, json=dossier_body(), headers=headers)
    assert first.status_code == 201
    before = counts(system)
    again = post(system, json=dossier_body(), headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    other = post(system, json=dossier_body(procedure="1.001776"), headers=headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert counts(system) == before


def test_code_has_the_legal_format(system):
    response = post(system, json=dossier_body())
    code = response.json()["code"]
    agency, day, number = code.rsplit("-", 2)
    assert agency == AGENCY and day == "261126" and len(number) == 4 and number.isdigit()


@pytest.mark.parametrize("method,path,status", [("GET", "/api/nothing-here", 404), ("DELETE", "/api/dossiers", 405)])
def test_unknown_routes_answer_json_errors(system, method, path, status):
    response = requests.request(method, system.url("intake", path), headers=COUNTER, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["code"] in ("not_found", "method_not_allowed")
