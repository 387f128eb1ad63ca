"""The national portal's HTTP API (shared/national_portal.py): every request signed."""

from __future__ import annotations

import json
from typing import Any

from services.portal.domain.errors import PortalRefused, PortalUnavailable
from shared import national_portal, outbound


class NationalPortal:
    def __init__(self, base_url: str, secret: str, province: str, timeout: float = 10.0) -> None:
        self.secret, self.province = secret, province
        self.http = outbound.Client(base_url, timeout)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NationalPortal:
        return cls(
            str(config["PORTAL_URL"]),
            str(config["PORTAL_SECRET"]),
            str(config["PORTAL_PROVINCE"]),
            float(config.get("PORTAL_TIMEOUT_SECONDS") or 10),
        )

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> outbound.Answer:
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = national_portal.signed_headers(self.secret, raw)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            answer = self.http.request(method, path, body=raw or None, params=params, headers=headers)
        except outbound.OutboundError as exc:
            raise PortalUnavailable(str(exc)) from exc
        if answer.status >= 500 or answer.status == 429:
            raise PortalUnavailable(f"HTTP {answer.status}")
        if answer.redirect is not None:  # PORTAL_URL is not the portal's: said until it is set right
            raise PortalUnavailable(f"HTTP {answer.status}: redirected to {answer.redirect}")
        if answer.status >= 400:
            raise PortalRefused(answer.status, answer.text[:300])
        return answer

    def send_status(self, message: dict[str, Any]) -> str:
        """ "accepted", or "duplicate" when the portal had it already."""
        return str(self._call("POST", national_portal.STATUSES_PATH, body=message).json().get("result"))

    def statuses(self, dossier_key: str) -> list[dict[str, Any]]:
        answer = self._call("GET", national_portal.STATUSES_PATH, params={"dossier_key": dossier_key})
        return list(answer.json().get("statuses") or [])

    def dossiers(self, after: str | None, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]:
        params = {"province": self.province, "limit": limit, **({"after": after} if after else {})}
        answer = self._call("GET", national_portal.DOSSIERS_PATH, params=params).json()
        return list(answer.get("dossiers") or []), answer.get("next")

    def file(self, file_id: str) -> tuple[bytes, str]:
        answer = self._call("GET", f"{national_portal.FILES_PATH}/{file_id}")
        return answer.content, answer.headers.get("Content-Type", "application/octet-stream")

    def catalogue(self) -> list[dict[str, Any]]:
        answer = self._call("GET", national_portal.CATALOG_PATH, params={"province": self.province}).json()
        return list(answer.get("procedures") or [])
