"""A batch of events reads, before the first is handled, the recipients of its
dossiers and which of its events already made messages: two statements for the
batch instead of two for each event (NotifyWork.expect)."""

import uuid

import sqlalchemy as sa

from services.notify.adapters.orm import messages, recipients
from services.notify.adapters.repository import NotifyWork
from shared import clock
from shared.db import Sessions, make_engine


def test_a_batch_reads_its_recipients_and_duplicates_at_once(database):
    engine = make_engine(database)
    known, unknown = f"K-{uuid.uuid4().hex[:8]}", f"U-{uuid.uuid4().hex[:8]}"
    handled, new = str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            recipients.insert(),
            {
                "dossier_code": known,
                "full_name": "Nguyễn Thị Hoa",
                "addresses": {"sms": "0912345678"},
                "correlation_id": str(uuid.uuid4()),
            },
        )
        conn.execute(  # made under another consumer name: the inbox of this one does not know it
            messages.insert(),
            {
                "id": str(uuid.uuid4()),
                "dossier_code": known,
                "event_id": handled,
                "event_type": "dossier_received",
                "channel": "sms",
                "address": "0912345678",
                "template": "dossier_received",
                "body": "...",
                "status": "sent",
                "attempts": 1,
                "created_at": clock.now(),
            },
        )
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        with Sessions(engine).work(NotifyWork) as work:
            work.expect([{"event_id": handled, "dossier_code": known}, {"event_id": new, "dossier_code": unknown}])
            assert len(statements) == 2
            assert work.recipients.get(known).full_name == "Nguyễn Thị Hoa"
            assert work.messages.event_has_messages(handled) and not work.messages.event_has_messages(new)
            assert len(statements) == 2  # all of it answered by what the batch read
            assert work.recipients.get(unknown) is None
            assert not work.messages.event_has_messages(str(uuid.uuid4()))  # not expected: asked on its own
            assert len(statements) == 4
    finally:
        engine.dispose()
