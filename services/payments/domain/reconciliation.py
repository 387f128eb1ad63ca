"""Reconciliation: the day's online payments recorded here against the gateway's own
list, and the fees the post office collected against the pickups that owed them.
Every difference is one line for the operator; none means the books agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# our order's status -> the gateway's status for the same transaction (a refund leaves
# the day's payment in the gateway's list as it was)
GATEWAY_STATUS = {"paid": "success", "refunded": "success", "failed": "failed", "created": "pending"}


@dataclass(frozen=True)
class Difference:
    kind: str  # missing_here | missing_at_gateway | amount | status | postal_fee
    reference: str  # the order id, or the pickup's
    detail: str

    def line(self) -> str:
        return f"{self.kind:<19} {self.reference:<36} {self.detail}"


def payment_differences(ours: Iterable[Mapping[str, Any]], theirs: Iterable[Mapping[str, Any]]) -> list[Difference]:
    """Our online orders paid that day against the gateway's transactions of that day.
    The gateway's pending or failed transactions we never heard of are no difference:
    no money moved."""
    mine = {str(o["id"]): o for o in ours}
    gateway = {str(t.get("order_id")): t for t in theirs}
    found: list[Difference] = []
    for order_id, t in sorted(gateway.items()):
        o = mine.get(order_id)
        if o is None:
            if t.get("status") == "success":
                found.append(Difference("missing_here", order_id, f"cổng thanh toán: đã thu {t.get('amount')} đồng"))
            continue
        if str(t.get("amount")) != str(o["amount"]):
            found.append(Difference("amount", order_id, f"ở đây {o['amount']} đồng, cổng {t.get('amount')} đồng"))
        if GATEWAY_STATUS.get(str(o["status"])) != t.get("status"):
            found.append(Difference("status", order_id, f"ở đây {o['status']}, cổng {t.get('status')}"))
    for order_id, o in sorted(mine.items()):
        if order_id not in gateway:
            found.append(
                Difference("missing_at_gateway", order_id, f"ở đây đã thu {o['amount']} đồng ({o['dossier_code']})")
            )
    return found


def postal_fee_differences(pickups: Iterable[Mapping[str, Any]]) -> list[Difference]:
    """Each pickup handed over that day: the fees the post office collected must be
    the fees it was to collect."""
    return [
        Difference(
            "postal_fee",
            str(p["id"]),
            f"phải thu {p['fees_to_collect']} đồng, bưu điện báo đã thu {p['fees_collected']} đồng",
        )
        for p in pickups
        if int(p["fees_collected"] or 0) != int(p["fees_to_collect"] or 0)
    ]
