"""payments' gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""

from services.payments.adapters import queries
from shared.metrics import gauge


def collect(session):
    return [
        gauge(
            "motcua_payment_orders",
            "Payment orders by method (online, cash, card) and status",
            queries.counts_by_method_and_status(session),
            ["method", "status"],
        )
    ]
