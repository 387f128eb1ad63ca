"""notify's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""
import sqlalchemy as sa

from shared.metrics import gauge
from services.notify.models import Message


def collect(session):
    rows = session.execute(sa.select(Message.channel, Message.status, sa.func.count())
                           .group_by(Message.channel, Message.status)).all()
    return [gauge("motcua_notifications", "Citizen messages by channel and delivery status",
                  {(channel, status): count for channel, status, count in rows}, ["channel", "status"])]
