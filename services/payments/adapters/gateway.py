"""The payment gateway's HTTP API (shared/payment_gateway.py's protocol): the pay
URL, the query of a transaction, the day's list and the refund. Every request is
signed, every answer's signature checked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from services.payments.application import GatewayError
from services.payments.domain.model import GatewayReport
from shared import clock, payment_gateway


def parse_moment(text: str | None) -> datetime:
    """The gateway's time (ISO 8601, or the gateways' YYYYMMDDHHMMSS in Vietnam's time);
    unreadable or absent: now."""
    if text:
        for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, "%Y%m%d%H%M%S")):
            try:
                moment = parse(text)
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=clock.TZ)
    return clock.now()


def whole(value: Any) -> int | None:
    """An amount as the protocol sends it (a string of digits) as int; None otherwise."""
    text = str(value)
    return int(text) if text.isdigit() else None


def report_of(params: dict[str, Any], paid: bool) -> GatewayReport:
    return GatewayReport(
        order_id=str(params.get("order_id") or ""),
        amount=whole(params.get("amount")),  # type: ignore[arg-type]  # None is judged a wrong amount
        paid=paid,
        transaction_no=params.get("transaction_no") or None,
        paid_at=parse_moment(params.get("paid_at")),
    )


class HttpGateway:
    def __init__(self, base_url: str, merchant: str, secret: str, timeout: float = 10.0) -> None:
        self.base_url, self.merchant, self.secret, self.timeout = base_url.rstrip("/"), merchant, secret, timeout

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> HttpGateway:
        return cls(
            config["PAYMENT_GATEWAY_URL"],
            str(config["PAYMENT_MERCHANT"]),
            str(config["PAYMENT_SECRET"]),
            float(config.get("PAYMENT_GATEWAY_TIMEOUT_SECONDS") or 10),
        )

    def verify(self, params: dict[str, Any]) -> bool:
        return payment_gateway.verify(params, self.secret) and params.get("merchant") == self.merchant

    def pay_url(self, order_id: str, amount: int, order_info: str, return_url: str, created_at: datetime) -> str:
        params = {
            "merchant": self.merchant,
            "order_id": order_id,
            "amount": amount,
            "order_info": order_info,
            "return_url": return_url,
            "created_at": clock.local(created_at).strftime("%Y%m%d%H%M%S"),
        }
        return f"{self.base_url}/pay?{urlencode(payment_gateway.signed(params, self.secret))}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = requests.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise GatewayError(f"gateway unreachable or not JSON: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise GatewayError(f"gateway answered {response.status_code}: {response.text[:200]}")
        return answer

    def _signed_answer(self, answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict) or not payment_gateway.verify(answer, self.secret):
            raise GatewayError("gateway answer without a valid signature")
        return answer

    def transaction(self, order_id: str) -> GatewayReport | None:
        """The gateway's word on an order (None: still pending)."""
        query = payment_gateway.signed({"merchant": self.merchant}, self.secret)
        answer = self._signed_answer(self._call("GET", f"/api/transactions/{order_id}", params=query))
        if answer.get("status") == "pending":
            return None
        return report_of({**answer, "order_id": order_id}, paid=answer.get("status") == "success")

    def transactions(self, day: date) -> list[dict[str, Any]]:
        """The gateway's own list of the day's transactions (reconciliation)."""
        query = payment_gateway.signed({"merchant": self.merchant, "date": day.isoformat()}, self.secret)
        answer = self._call("GET", "/api/transactions", params=query)
        if not isinstance(answer, dict) or not isinstance(answer.get("transactions"), list):
            raise GatewayError("gateway answered no transaction list")
        return list(answer["transactions"])

    def refund(self, order_id: str, amount: int, transaction_no: str | None) -> None:
        form = payment_gateway.signed(
            {"merchant": self.merchant, "order_id": order_id, "amount": amount, "transaction_no": transaction_no},
            self.secret,
        )
        answer = self._signed_answer(self._call("POST", "/api/refunds", data=form))
        if answer.get("status") != "success":
            raise GatewayError(f"gateway refused the refund of {order_id}: {answer.get('status')}")
