"""The OpenAPI 3.1 document of a service (GET /openapi.json), built from the
declarations on its @http entrypoints (shared.http.api and describe): the
marshmallow schemas that check a request are the ones the document shows, so the
two cannot drift apart."""

import re
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from shared.http import MAX_BODY_BYTES, OPENAPI_ATTR

VERSION = "1"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# {"error": {"code", "message", "fields"}}: every error of every service (CONTRACT.md)
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "description": "vấn đề của từng trường"},
            },
        }
    },
}
# werkzeug's <converter(args):name> and <name>
ROUTE_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
CONVERTED = {"int": {"type": "integer"}, "float": {"type": "number"}}
# werkzeug's default converter: one non-empty path segment
SEGMENT = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}


class Media:
    """An answer that is not (only) JSON: `Media("text/html")`, or several content
    types of one answer: `Media({"application/json": schema, "text/html": None})`."""

    def __init__(self, content, schema=None, description=None):
        self.content = content if isinstance(content, dict) else {content: schema}
        self.description = description


# Small JSON-schema builders for answers: `obj(code=STRING, due_at=nullable(MOMENT))`.
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
MOMENT = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}
ANY: dict = {}


def nullable(schema):
    return {**schema, "type": [schema["type"], "null"]} if "type" in schema else {"anyOf": [schema, {"type": "null"}]}


def array(items):
    return {"type": "array", "items": items}


def obj(**properties):
    """An object with these fields, all present; others may be added later."""
    return {"type": "object", "properties": properties, "required": list(properties)}


def multipart_body(schema):
    """Document a route of shared.http.api that reads its own multipart/form-data body
    (a file upload, streamed rather than read whole): put it above @api."""

    def decorate(fn):
        getattr(fn, OPENAPI_ATTR)["multipart"] = schema
        return fn

    return decorate


def routes(service_cls):
    """(method, werkzeug url, method name, declaration or None) of every @http entrypoint."""
    for name in dir(service_cls):
        fn = getattr(service_cls, name, None)
        for extension in getattr(fn, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, HttpRequestHandler):
                for method in extension.method.split(","):
                    yield method.strip().upper(), extension.url, name, getattr(fn, OPENAPI_ATTR, None)


def openapi_path(url):
    """`/api/dossiers/<string:code>` -> (`/api/dossiers/{code}`, {code: its JSON schema})."""
    params = {m.group(2): CONVERTED.get(m.group(1), SEGMENT) for m in ROUTE_ARG.finditer(url)}
    return ROUTE_ARG.sub(lambda m: "{" + m.group(2) + "}", url), params


def _content(schema):
    return {"application/json": {"schema": schema}}


def _answer(status, answer):
    description = HTTPStatus(status).phrase
    if isinstance(answer, Media):
        return {
            "description": answer.description or description,
            "content": {ct: {"schema": s if s is not None else {"type": "string"}} for ct, s in answer.content.items()},
        }
    return {"description": description, "content": _content(answer)}


def operation(service, name, url, declaration):
    path, path_params = openapi_path(url)
    d = declaration or {}
    roles, errors = d.get("roles"), set(d.get("errors", ()))
    op = {"operationId": f"{service}.{name}", "tags": [service], "summary": d.get("summary") or name.replace("_", " ")}
    parameters = []
    declared_path = set(d["path"]._declared_fields) if d.get("path") else set()
    if d.get("path"):
        parameters.append({"in": "path", "schema": d["path"]})
    parameters += [
        {"in": "path", "name": n, "required": True, "schema": s}
        for n, s in path_params.items()
        if n not in declared_path
    ]
    if d.get("query"):
        parameters.append({"in": "query", "schema": d["query"]})
    if d.get("idempotent"):
        parameters.append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "description": "cùng khoá và cùng nội dung: cùng một kết quả, không tạo lần hai",
                "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
            }
        )
    if d.get("signed"):
        parameters.append(
            {
                "in": "header",
                "name": "X-Signature",
                "required": True,
                "description": "HMAC-SHA256 (hex) của nội dung thô, bằng khoá bí mật chung",
                "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
            }
        )
        errors |= {401}
    if parameters:
        op["parameters"] = parameters
    if d.get("body"):
        op["requestBody"] = {"required": not d.get("body_optional"), "content": _content(d["body"])}
    if d.get("multipart"):  # a file upload read as a stream (multipart_body)
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": d["multipart"]}}}
        errors |= {408, 413, 415}
    if d.get("form"):  # an HTML form's fields; its answers are pages, declared in `answers`
        op["requestBody"] = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": d["form"]}}}
    if roles is not None:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = list(roles)
        op["description"] = (
            ("Vai trò được phép: " + ", ".join(roles)) if roles else "Mọi vai trò, với mã xác thực hợp lệ"
        )
    else:
        op["security"] = []
        op["description"] = "Không cần mã xác thực"
    if d.get("wrapped"):
        # what shared.http.api itself answers; a route of `describe` lists all its answers
        errors |= {400, 503}  # a NUL character in any parameter; the database connection was lost
        if d.get("body"):
            errors |= {408, 413}
        if path_params:
            errors |= {404}
        if roles is not None:
            errors |= {401, 403}
    responses = {str(s): _answer(s, a) for s, a in sorted((d.get("answers") or {}).items())}
    for status in sorted(errors):
        responses.setdefault(str(status), {"description": HTTPStatus(status).phrase, "content": _content(ERROR_REF)})
    if not responses:
        responses["200"] = {"description": "OK"}
    op["responses"] = responses
    return path, op


def ecma_pattern(pattern):
    """A marshmallow Regexp (Python, matched from the start, maybe ending in \\Z) as a
    JSON Schema pattern (ECMA-262, found anywhere unless anchored)."""
    if pattern.endswith("\\Z"):
        pattern = pattern[:-2] + "$"
    if not pattern.startswith("^"):
        pattern = "^(?:" + pattern[:-1] + ")$" if pattern.endswith("$") else "^(?:" + pattern + ")"
    return pattern


def _plain_parameters(paths):
    """A query or path parameter is text or absent, never null (marshmallow's
    load_default=None says "absent")."""
    for operations in paths.values():
        for op in operations.values():
            for param in op.get("parameters", ()):
                schema = param.get("schema", {})
                if isinstance(schema.get("type"), list) and "null" in schema["type"]:
                    schema["type"] = [t for t in schema["type"] if t != "null"][0]
                    if schema.get("default", 0) is None:
                        del schema["default"]


def _ecma_patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                node[key] = ecma_pattern(value)
            else:
                _ecma_patterns(value)
    elif isinstance(node, list):
        for item in node:
            _ecma_patterns(item)
    return node


def document(service_cls):
    """The service's OpenAPI 3.1 document as a dict."""
    spec = APISpec(
        title=f"Một Cửa: {service_cls.name}",
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": f"Dịch vụ {service_cls.name} của hệ thống Một Cửa. Lỗi luôn có dạng "
            '{"error": {"code", "message", "fields"}}; thân yêu cầu tối đa '
            f"{MAX_BODY_BYTES // 1024} KB trừ khi ghi khác."
        },
    )
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths: dict = {}
    for method, url, name, declaration in sorted(routes(service_cls), key=lambda r: (r[1], r[0])):
        path, op = operation(service_cls.name, name, url, declaration)
        paths.setdefault(path, {})[method.lower()] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    result = spec.to_dict()
    _plain_parameters(result["paths"])
    return _ecma_patterns(result)
