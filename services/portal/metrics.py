"""portal's gauges for GET /metrics (read at scrape time; see shared/metrics.py): how far
the national portal is behind the register, and the portal's dossiers by state."""

from services.portal.adapters import queries
from shared.metrics import gauge


def collect(session):
    counts = queries.status_counts(session)
    return [
        gauge(
            "motcua_portal_statuses",
            "Status changes for the national portal: owed (not sent yet), sent, parked (refused, for an operator)",
            {(state,): counts[state] for state in ("owed", "sent", "parked")},
            ["state"],
        ),
        gauge(
            "motcua_portal_arrivals",
            "Dossiers from the national portal by state (new, submitted, done, refused)",
            {(state,): n for state, n in queries.arrival_states(session).items()},
            ["state"],
        ),
    ]
