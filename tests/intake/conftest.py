"""intake's adapters on a real PostgreSQL database, migrated as in production: the
repositories, the unit of work and its outbox, the read side."""

import json
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from services.intake import application
from services.intake.adapters.repository import IntakeWork
from services.intake.schemas import DEMO_CATALOGUE, catalogue_entries
from shared import clock, migrations
from shared.db import Sessions, make_engine

AGENCY = "000.00.06.H56"
COUNTER_CLAIMS = {"sub": "canbo.motcua", "role": "counter", "agency": AGENCY}
THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)


@pytest.fixture(scope="module")
def uow(database_server):
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=f"{prefix}intake_{uuid.uuid4().hex[:6]}")
    migrations.upgrade("intake", url)
    unit = Sessions(make_engine(url, pool_size=6))  # up to 12 connections: the server is shared
    with unit.work(IntakeWork) as work:
        application.import_catalogue(
            work, catalogue_entries(json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))), THURSDAY_MORNING.date()
        )
    yield unit
    unit.engine.dispose()


@pytest.fixture
def at():
    """Freeze the clock: at(moment) sets it; undone after the test."""
    yield clock.set_now
    clock.set_now(None)


def body(procedure="2.000635", channel="counter", return_method="counter", **overrides):
    data = {
        "procedure_code": procedure,
        "channel": channel,
        "applicant": {
            "full_name": "Trần Văn Bình",
            "id_number": "031090004321",
            "phone": "0987654321",
            "email": "binh@example.vn",
            "address": "2 Điện Biên Phủ, Hải Phòng",
        },
        "documents": [{"name": "Tờ khai cấp bản sao trích lục hộ tịch", "copies": 1}],
        "return_method": return_method,
        "notify": {"sms": True, "email": False},
    }
    if return_method == "postal":
        data["delivery_address"] = "2 Điện Biên Phủ, Hải Phòng"
    data.update(overrides)
    return data


def outbox(session, event_type, dossier_code=None):
    from shared.reliability import outbox as table

    query = sa.select(table.c.payload).where(table.c.event_type == event_type)
    if dossier_code:
        query = query.where(table.c.dossier_code == dossier_code)
    return [json.loads(p) for p in session.scalars(query.order_by(table.c.id))]
