"""postal's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""
import sqlalchemy as sa

from shared.metrics import gauge
from services.postal.models import Shipment


def collect(session):
    rows = session.execute(sa.select(Shipment.purpose, Shipment.status, sa.func.count())
                           .group_by(Shipment.purpose, Shipment.status)).all()
    return [gauge("motcua_shipments", "Carrier orders by purpose (result, pickup) and status",
                  {(purpose, status): count for purpose, status, count in rows}, ["purpose", "status"])]
