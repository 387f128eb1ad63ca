"""The carrier adapter: the one place that speaks the postal carrier's API.

`CarrierClient` talks to a VNPost-style HTTP API (create order with our reference,
cancel, track). Our reference `<dossier_code>:<purpose>` is the carrier's
idempotency key, so a retried order never becomes a second shipment. Tracking
callbacks are signed with HMAC-SHA256 over the raw body (header X-Signature).
"""
import hashlib
import hmac

import requests


class CarrierError(Exception):
    """The carrier did not take the request (down, slow or refused); retry later."""


def sign(secret, raw_body):
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def signature_ok(secret, raw_body, signature):
    return bool(signature) and hmac.compare_digest(sign(secret, raw_body), signature)


class CarrierClient:
    def __init__(self, base_url, api_key, timeout=5.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _call(self, method, path, **kwargs):
        try:
            response = requests.request(method, self.base_url + path, timeout=self.timeout,
                                        headers={"Authorization": f"Bearer {self.api_key}"}, **kwargs)
        except requests.RequestException as exc:
            raise CarrierError(f"carrier unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise CarrierError(f"carrier answered {response.status_code}: {response.text[:200]}")
        return response.json()

    def create_order(self, reference, address, callback_url):
        """Returns {"waybill": ..., "postage": ...}; the same reference gives the same waybill."""
        return self._call("POST", "/orders", json={"reference": reference, "address": address,
                                                   "callback_url": callback_url})

    def cancel(self, waybill):
        return self._call("POST", f"/orders/{waybill}/cancel")

    def track(self, waybill):
        return self._call("GET", f"/orders/{waybill}")
