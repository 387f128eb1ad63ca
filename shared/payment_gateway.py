"""The payment gateway's protocol, as the Vietnamese gateways speak it: every request
and callback carries `signature`, an HMAC-SHA512 (hex) with the merchant's secret over
its other parameters sorted by name, each `name=value` URL-encoded and joined by `&`
(empty values left out). The payments service and the simulator
(`motcua payment-gateway-sim`) both sign and check with this module, so they cannot
drift apart.

The exchanges (parameters are strings; amounts whole đồng; times, `created_at` and
`paid_at`, yyyyMMddHHmmss in Vietnam's time, as the real gateways send them):

- pay: the citizen's browser goes to `GET {gateway}/pay?merchant&order_id&amount&
  order_info&return_url&created_at&signature`; once paid (or cancelled) the gateway
  calls the merchant's IPN URL server to server and sends the browser to `return_url`,
  both with `merchant&order_id&amount&transaction_no&response_code&paid_at&signature`
  (`response_code` "00": paid; anything else: not paid).
- IPN answer: JSON `{"RspCode": "00", "Message": ...}` ("00" confirmed, "01" unknown
  order, "02" already confirmed, "04" wrong amount, "97" wrong signature, "99" other).
- query: `GET {gateway}/api/transactions/{order_id}?merchant&signature` answers the
  transaction `{order_id, amount, transaction_no, status: success|failed|pending,
  paid_at, signature}`.
- the day's list: `GET {gateway}/api/transactions?merchant&date=YYYY-MM-DD&signature`
  answers `{"transactions": [...as above...]}` (reconciliation).
- refund: `POST {gateway}/api/refunds` (form) `merchant&order_id&amount&transaction_no&
  signature` answers `{order_id, amount, status: success|failed, signature}`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

SIGNATURE = "signature"
# how the simulator (`motcua payment-gateway-sim`, POST /control/mode) behaves after a
# payment: here, so that the command line lists them without importing the server
SIMULATOR_MODES = ("success", "failure", "timeout", "duplicate", "late", "wrong_amount")
PAID = "00"
IPN_CODES = {
    "confirmed": ("00", "Confirm Success"),
    "unknown_order": ("01", "Order not found"),
    "already_confirmed": ("02", "Order already confirmed"),
    "wrong_amount": ("04", "Invalid amount"),
    "wrong_signature": ("97", "Invalid signature"),
    "other": ("99", "Unknown error"),
}


def canonical(params: Mapping[str, Any]) -> str:
    """The signed text: the parameters but the signature, sorted, URL-encoded."""
    return "&".join(
        f"{name}={quote_plus(str(value))}"
        for name, value in sorted(params.items())
        if name != SIGNATURE and value not in (None, "")
    )


def sign(params: Mapping[str, Any], secret: str) -> str:
    return hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha512).hexdigest()


def signed(params: Mapping[str, Any], secret: str) -> dict[str, str]:
    """The parameters as strings with their signature."""
    plain = {name: str(value) for name, value in params.items() if value not in (None, "") and name != SIGNATURE}
    return {**plain, SIGNATURE: sign(plain, secret)}


def verify(params: Mapping[str, Any], secret: str) -> bool:
    """The signature is the one `secret` gives (compared in constant time)."""
    given = str(params.get(SIGNATURE) or "")
    return bool(given) and hmac.compare_digest(given.lower(), sign(params, secret))


def ipn_answer(outcome: str) -> dict[str, str]:
    code, message = IPN_CODES[outcome]
    return {"RspCode": code, "Message": message}
