from datetime import date

from shared import calendar_store, reliability
from shared.db import Sessions, make_engine


def test_newest_snapshot_wins_and_builds_the_calendar(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cal.db'}")
    reliability.metadata.create_all(engine)
    uow = Sessions(engine)
    with uow.transaction() as session:
        assert calendar_store.load(session).is_working_day(date(2026, 11, 27))
        assert calendar_store.store(
            session, {"version": 2, "days_off": [date(2026, 11, 27)], "working_days": [date(2026, 11, 28)]}
        )
        # an older snapshot arriving late changes nothing
        assert not calendar_store.store(session, {"version": 1, "days_off": [], "working_days": []})
    with uow.transaction() as session:
        calendar = calendar_store.load(session)
    assert not calendar.is_working_day(date(2026, 11, 27))
    assert calendar.is_working_day(date(2026, 11, 28))
