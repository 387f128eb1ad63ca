"""notify's read side: answered straight from SQL."""

import sqlalchemy as sa

from services.notify.adapters.orm import messages
from services.notify.domain.policies import mask_address


def listing(session, dossier_code):
    """What staff see: the message text the citizen got, the address masked (the view
    is described in answers.NOTIFICATION: keep them in step)."""
    m = messages.c
    rows = session.execute(
        sa.select(messages).where(m.dossier_code == dossier_code).order_by(m.created_at, m.channel)
    ).all()
    return [
        {
            "id": r.id,
            "event_type": r.event_type,
            "channel": r.channel,
            "to": mask_address(r.address),
            "template": r.template,
            "template_version": r.template_version,
            "status": r.status,
            "attempts": r.attempts,
            "segments": r.segments,
            "encoding": r.encoding,
            "body": r.body,
            "created_at": r.created_at,
            "sent_at": r.sent_at,
            "delivered_at": r.delivered_at,
            "next_attempt_at": r.next_attempt_at,
            "last_error": r.last_error,
        }
        for r in rows
    ]


def counts_by_channel_and_status(session):
    """{(channel, status): number of messages}."""
    m = messages.c
    rows = session.execute(sa.select(m.channel, m.status, sa.func.count()).group_by(m.channel, m.status)).all()
    return {(channel, status): count for channel, status, count in rows}
