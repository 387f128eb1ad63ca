"""intake's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""

import sqlalchemy as sa

from services.intake.adapters.orm import dossiers
from services.intake.domain.model import OPEN_STATUSES, STATUSES
from shared.metrics import gauge


def collect(session):
    by_status = dict(session.execute(sa.select(dossiers.c.status, sa.func.count()).group_by(dossiers.c.status)).all())
    overdue = session.scalar(
        sa.select(sa.func.count())
        .select_from(dossiers)
        .where(dossiers.c.overdue.is_(True), dossiers.c.status.in_(OPEN_STATUSES))
    )
    return [
        # every status, so that a series does not vanish when its count drops to none
        gauge(
            "motcua_dossiers",
            "Dossiers in the register by status",
            {(str(status),): by_status.get(status, 0) for status in STATUSES},
            ["status"],
        ),
        gauge("motcua_dossiers_overdue", "Open dossiers past their legal deadline", overdue),
    ]
