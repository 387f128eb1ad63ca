"""The carrier adapter: the one place that speaks the postal carrier's API.

`HttpCarrier` implements the use cases' `Carrier` (services.postal.application)
for a VNPost-style HTTP API. Our reference
(`<dossier_code>:result`, `pickup:<id>`) is the carrier's idempotency key, so a
retried order (after a timeout, a restart, a redelivered event) never becomes a
second shipment. Tracking callbacks are signed with HMAC-SHA256 over the raw body
(header X-Signature).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.postal.application import CarrierError
from shared import outbound

__all__ = ["CarrierError", "HttpCarrier"]


class HttpCarrier:
    def __init__(self, base_url: str, api_key: str, timeout: float = 5.0, connect_timeout: float = 3.0) -> None:
        self.api_key = api_key
        self.http = outbound.Client(base_url, float(timeout), float(connect_timeout))

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> HttpCarrier:
        return cls(
            cfg["CARRIER_URL"],
            cfg["CARRIER_API_KEY"],
            cfg.get("CARRIER_TIMEOUT_SECONDS", 5),
            cfg.get("CARRIER_CONNECT_TIMEOUT_SECONDS", 3),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, headers={"Authorization": f"Bearer {self.api_key}"}, **kwargs)
        except outbound.OutboundError as exc:
            raise CarrierError(f"carrier {exc}") from exc
        if response.status >= 400:
            raise CarrierError(f"carrier answered {response.status}: {response.text[:200]}")
        if response.redirect is not None:
            raise CarrierError(f"carrier answered {response.status}: redirected to {response.redirect}")
        try:
            return response.json()
        except ValueError as exc:
            raise CarrierError("carrier answered something that is not JSON") from exc

    def create_order(
        self, reference: str, kind: str, address: str, callback_url: str, collect_amount: int = 0
    ) -> dict[str, Any]:
        order = self._call(
            "POST",
            "/orders",
            json={
                "reference": reference,
                "kind": kind,
                "address": address,
                "callback_url": callback_url,
                "collect_amount": collect_amount,
            },
        )
        if not isinstance(order, dict) or not order.get("waybill"):
            raise CarrierError("carrier answered without a waybill number")
        return dict(order)

    def cancel(self, waybill: str) -> Any:
        return self._call("POST", f"/orders/{waybill}/cancel")

    def track(self, waybill: str) -> Any:
        """The carrier's view of an order, with its tracking history."""
        return self._call("GET", f"/orders/{waybill}")
