"""notify's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""

from services.notify.adapters import queries
from shared.metrics import gauge


def collect(session):
    return [
        gauge(
            "motcua_notifications",
            "Citizen messages by channel and delivery status",
            queries.counts_by_channel_and_status(session),
            ["channel", "status"],
        )
    ]
