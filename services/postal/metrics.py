"""postal's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""

from services.postal.adapters import queries
from shared.metrics import gauge


def collect(session):
    return [
        gauge(
            "motcua_shipments",
            "Carrier orders by purpose (result, pickup) and status",
            queries.counts_by_purpose_and_status(session),
            ["purpose", "status"],
        )
    ]
