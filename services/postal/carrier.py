"""The carrier adapter: the one place that speaks the postal carrier's API.

`Carrier` is the interface the rules use (create order, cancel, track);
`HttpCarrier` implements it for a VNPost-style HTTP API. Our reference
(`<dossier_code>:result`, `pickup:<id>`) is the carrier's idempotency key, so a
retried order (after a timeout, a restart, a redelivered event) never becomes a
second shipment. Tracking callbacks are signed with HMAC-SHA256 over the raw body
(header X-Signature).
"""
import abc

import requests


class CarrierError(Exception):
    """The carrier did not take the request (down, slow or refused); retry later."""


class Carrier(abc.ABC):
    @abc.abstractmethod
    def create_order(self, reference, kind, address, callback_url, collect_amount=0):
        """Order a delivery (kind "delivery") or a collection (kind "pickup").
        Returns {"waybill": ..., "postage": ...}; the same reference gives the same
        waybill. Raises CarrierError."""

    @abc.abstractmethod
    def cancel(self, waybill):
        """Cancel an order not yet collected. Raises CarrierError."""

    @abc.abstractmethod
    def track(self, waybill):
        """The carrier's view of an order, with its tracking history. Raises CarrierError."""


class HttpCarrier(Carrier):
    def __init__(self, base_url, api_key, timeout=5.0, connect_timeout=3.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = (float(connect_timeout), float(timeout))

    @classmethod
    def from_config(cls, cfg):
        return cls(cfg["CARRIER_URL"], cfg["CARRIER_API_KEY"], cfg.get("CARRIER_TIMEOUT_SECONDS", 5),
                   cfg.get("CARRIER_CONNECT_TIMEOUT_SECONDS", 3))

    def _call(self, method, path, **kwargs):
        try:
            response = requests.request(method, self.base_url + path, timeout=self.timeout,
                                        headers={"Authorization": f"Bearer {self.api_key}"}, **kwargs)
        except requests.RequestException as exc:
            raise CarrierError(f"carrier unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise CarrierError(f"carrier answered {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise CarrierError("carrier answered something that is not JSON") from exc

    def create_order(self, reference, kind, address, callback_url, collect_amount=0):
        order = self._call("POST", "/orders", json={"reference": reference, "kind": kind, "address": address,
                                                    "callback_url": callback_url, "collect_amount": collect_amount})
        if not isinstance(order, dict) or not order.get("waybill"):
            raise CarrierError("carrier answered without a waybill number")
        return order

    def cancel(self, waybill):
        return self._call("POST", f"/orders/{waybill}/cancel")

    def track(self, waybill):
        return self._call("GET", f"/orders/{waybill}")


CarrierClient = HttpCarrier  # the first slice's name
