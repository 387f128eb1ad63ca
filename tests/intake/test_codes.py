"""Dossier codes: <agency>-<YYMMDD>-<NNNN>, per agency and day, unique and gap-free
under many concurrent transactions on PostgreSQL, some of them rolled back."""

import random
from datetime import datetime

import eventlet
import sqlalchemy as sa

from services.intake import application
from services.intake.adapters import orm
from services.intake.adapters.repository import CodeSequences, IntakeWork
from services.intake.domain.model import Actor
from services.intake.schemas import Submission
from shared import clock
from shared.http import load
from tests.intake.conftest import AGENCY, body

COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)

DAY = datetime(2026, 12, 3, 9, 0, tzinfo=clock.TZ)


class Abandoned(Exception):
    pass


def test_concurrent_codes_are_unique_and_gap_free_despite_rollbacks(uow):
    agency = "000.00.07.H56"
    committed, rolled_back = [], []

    def reception_attempt(i):
        try:
            with uow.transaction() as session:
                code = CodeSequences(session).next_code(agency, DAY)
                eventlet.sleep(random.random() * 0.02)  # hold the number while others queue
                if i % 4 == 0:
                    rolled_back.append(code)
                    raise Abandoned()  # e.g. the dossier failed a later check
            committed.append(code)
        except Abandoned:
            pass

    pool = eventlet.GreenPool(24)  # more transactions than connections: they also queue for the pool
    list(pool.imap(reception_attempt, range(120)))
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in committed)
    assert len(rolled_back) == 30
    assert numbers == list(range(1, 91))  # unique, from 0001, no gap left by the 30 rollbacks
    assert all(code.startswith(f"{agency}-261203-") for code in committed)


def test_each_agency_and_day_counts_from_0001(uow):
    with uow.transaction() as session:
        codes = CodeSequences(session)
        first = codes.next_code("000.00.08.H56", DAY)
        other_agency = codes.next_code("000.00.09.H56", DAY)
        next_day = codes.next_code("000.00.08.H56", DAY.replace(day=4))
        second = codes.next_code("000.00.08.H56", DAY)
    assert (first, other_agency, next_day, second) == (
        "000.00.08.H56-261203-0001",
        "000.00.09.H56-261203-0001",
        "000.00.08.H56-261204-0001",
        "000.00.08.H56-261203-0002",
    )


def test_concurrent_counter_submissions_with_some_failing_get_consecutive_codes(uow):
    day = datetime(2026, 12, 7, 9, 0, tzinfo=clock.TZ)
    good, bad = (
        load(Submission(), body()),
        load(Submission(), body(procedure="1.000105", return_method="postal", delivery_address="x")),
    )

    def submit(i):
        try:
            with uow.work(IntakeWork) as work:
                return application.submit(work, bad if i % 5 == 0 else good, COUNTER, day)[0].code
        except Exception:
            return None

    pool = eventlet.GreenPool(16)
    made = [c for c in pool.imap(submit, range(40)) if c]
    with uow.transaction() as session:
        stored = session.scalars(
            sa.select(orm.dossiers.c.code).where(orm.dossiers.c.code.like(f"{AGENCY}-261207-%"))
        ).all()
    assert sorted(made) == sorted(stored) == [f"{AGENCY}-261207-{n:04d}" for n in range(1, 33)]
