"""intake's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""
import sqlalchemy as sa

from shared.metrics import gauge
from services.intake.lifecycle import FINAL_STAGE, STATUSES
from services.intake.models import Dossier

OPEN_STATUSES = [status for status, (_, stage) in STATUSES.items() if stage != FINAL_STAGE]


def collect(session):
    by_status = dict(session.execute(sa.select(Dossier.status, sa.func.count()).group_by(Dossier.status)).all())
    overdue = session.scalar(sa.select(sa.func.count()).select_from(Dossier)
                             .where(Dossier.overdue.is_(True), Dossier.status.in_(OPEN_STATUSES)))
    return [
        # every status, so that a series does not vanish when its count drops to none
        gauge("motcua_dossiers", "Dossiers in the register by status",
              {(status,): by_status.get(status, 0) for status in STATUSES}, ["status"]),
        gauge("motcua_dossiers_overdue", "Open dossiers past their legal deadline", overdue),
    ]
