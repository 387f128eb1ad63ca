"""The other services' public HTTP APIs, as the pages call them: with the signed-in
person's short-lived token, never their databases."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from nameko.extensions import DependencyProvider

from shared import auth, config

log = logging.getLogger(__name__)

SERVICE_WORDS = {
    "intake": "tiếp nhận hồ sơ",
    "processing": "xử lý hồ sơ",
    "postal": "bưu chính",
    "notify": "thông báo",
    "payments": "thanh toán",
    "portal": "kết nối Cổng Dịch vụ công quốc gia",
}


# How long a page trusts a catalogue answer it already had (an import shows within it).
SHARED_SECONDS = 60.0


class ApiProblem(Exception):
    """An API's refusal in the contract's error shape (status, code, message, fields)."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.retry_after: str | None = None


class Unreachable(Exception):
    """A service did not answer (down, or slower than API_TIMEOUT_SECONDS)."""

    def __init__(self, service: str) -> None:
        super().__init__(f"Hệ thống {SERVICE_WORDS.get(service, service)} tạm thời không trả lời; vui lòng thử lại sau")
        self.service = service


class Api:
    """Calls on behalf of one person: `api.get("intake", "/api/procedures")` answers
    the JSON (or the text of an HTML page); a refusal raises ApiProblem."""

    def __init__(
        self,
        http: requests.Session,
        timeout: float,
        token: str | None,
        client: str | None,
        shared: dict[tuple[str, str], tuple[float, Any]] | None = None,
    ) -> None:
        self.http, self.timeout = http, timeout
        self.shared = {} if shared is None else shared
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if client:  # the citizen's own address, for the lookup's rate limit (intake trusts web as a proxy)
            self.headers["X-Forwarded-For"] = client

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout_override", None) or self.timeout
        try:
            response = self.http.request(
                method, config.service_url(service) + path, headers=headers, timeout=timeout, **kwargs
            )
        except requests.RequestException as exc:
            log.warning("%s %s %s: no answer (%s)", method, service, path, exc.__class__.__name__)
            raise Unreachable(service) from None
        if response.status_code >= 400:
            raise _problem(response)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response

    def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.call("GET", service, path, params=params)

    def get_shared(self, service: str, path: str, seconds: float = SHARED_SECONDS) -> Any:
        """An answer that is the same for every member of staff (a procedure and its
        versions, the catalogue, the departments), kept `seconds` in this process: the
        pages need it on every dossier, and it changes a few times a year."""
        kept = self.shared.get((service, path))
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        answer = self.get(service, path)
        self.shared[(service, path)] = (time.monotonic() + seconds, answer)
        return answer

    def post(self, service: str, path: str, body: Any = None, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.call("POST", service, path, json=body if body is not None else {}, headers=headers)

    def upload(
        self, service: str, path: str, fields: dict[str, str], file: tuple[str, bytes, str], timeout: float = 120.0
    ) -> Any:
        """A multipart/form-data post of one file (field `file`: name, bytes, media type)
        and the form's text `fields` (sent before the file: the API checks them first)."""
        return self.call(
            "POST", service, path, data=fields, files={"file": file}, timeout_override=max(timeout, self.timeout)
        )

    def stream(self, service: str, path: str, method: str = "GET", **kwargs: Any) -> requests.Response:
        """The answer unread (stream=True) for passing a file through chunk by chunk; a
        refusal raises ApiProblem. The caller closes it (or reads it to its end)."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        try:
            response = self.http.request(
                method, config.service_url(service) + path, headers=headers, timeout=self.timeout, stream=True, **kwargs
            )
        except requests.RequestException as exc:
            log.warning("%s %s %s: no answer (%s)", method, service, path, exc.__class__.__name__)
            raise Unreachable(service) from None
        if response.status_code >= 400:
            try:
                raise _problem(response)
            finally:
                response.close()
        return response


def _problem(response: requests.Response) -> ApiProblem:
    try:
        error = response.json()["error"]
        problem = ApiProblem(response.status_code, error["code"], error["message"], error.get("fields") or {})
    except (ValueError, KeyError, TypeError):
        problem = ApiProblem(response.status_code, "unexpected", "Hệ thống trả lời không như mong đợi")
    problem.retry_after = response.headers.get("Retry-After")
    return problem


class Backends(DependencyProvider):
    """`self.backends.api(account)`: an Api with a fresh token for that account (none
    for a citizen's pages)."""

    def setup(self) -> None:
        self.http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=64)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.timeout = float(self.container.config.get("API_TIMEOUT_SECONDS", 10))
        self.token_hours = float(self.container.config.get("TOKEN_MINUTES", 5)) / 60
        self.shared: dict[tuple[str, str], tuple[float, Any]] = {}

    def stop(self) -> None:
        self.http.close()

    def get_dependency(self, worker_ctx: Any) -> Backends:
        return self

    def api(self, account: Any = None, client: str | None = None) -> Api:
        token = None
        if account is not None:
            token = auth.issue(str(account.role), hours=self.token_hours, **account.claims())
        return Api(self.http, self.timeout, token, client, self.shared)

    def as_portal(self, subject: str, client: str | None = None) -> Api:
        """The web's online submission form, acting as the public service portal (role
        `portal`): intake takes online dossiers only from it."""
        return Api(
            self.http, self.timeout, auth.issue("portal", sub=subject, hours=self.token_hours), client, self.shared
        )
