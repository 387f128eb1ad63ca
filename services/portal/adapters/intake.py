"""intake's HTTP API as the connector uses it: the portal's dossiers in (submission and
files, as the portal client `cong-dvc-quoc-gia`), the catalogue (as an administrator).
The connector signs its own short tokens with the installation's JWT secret."""

from __future__ import annotations

from typing import Any

import requests

from services.portal.domain.errors import IntakeRefused, IntakeUnavailable
from shared import auth, config

PORTAL_CLIENT = "cong-dvc-quoc-gia"  # the `sub` of the portal's submissions in intake
CONNECTOR = "portal-connector"


class IntakeApi:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.http = requests.Session()

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> IntakeApi:
        return cls(config.service_url("intake"))

    def _call(self, method: str, path: str, role: str, sub: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {auth.issue(role, sub=sub, hours=0.25)}", **kwargs.pop("headers", {})}
        try:
            answer = self.http.request(method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise IntakeUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
        if answer.status_code >= 500:
            raise IntakeUnavailable(f"HTTP {answer.status_code}")
        if answer.status_code >= 400:
            raise IntakeRefused(answer.status_code, answer.text[:500])
        return answer

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        """The portal's dossier as an online submission; intake answers the one it has
        when the portal number came before (200), else the new one (201)."""
        answer = self._call(
            "POST",
            "/api/dossiers",
            "portal",
            PORTAL_CLIENT,
            json=body,
            headers={"Idempotency-Key": f"portal-{body['portal_reference']}"},
        )
        result: dict[str, Any] = answer.json()
        return result

    def attach(self, reference: str, document: str | None, name: str, content: bytes, media_type: str) -> None:
        self._call(
            "POST",
            f"/api/dossiers/{reference}/files",
            "portal",
            PORTAL_CLIENT,
            data={"document": document} if document else {},
            files={"file": (name, content, media_type)},
        )

    def procedures(self) -> list[dict[str, Any]]:
        """The versions in effect today."""
        answer = self._call("GET", "/api/procedures", "admin", CONNECTOR)
        listed = answer.json()
        return list(listed["procedures"] if isinstance(listed, dict) else listed)

    def import_catalogue(self, procedures: list[dict[str, Any]], dry_run: bool) -> dict[str, Any]:
        answer = self._call(
            "POST",
            "/api/procedures/import",
            "admin",
            CONNECTOR,
            params={"dry_run": "true" if dry_run else "false"},
            json={"procedures": procedures},
        )
        result: dict[str, Any] = answer.json()
        return result
