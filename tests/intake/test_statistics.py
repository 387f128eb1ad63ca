"""The statistics (Biểu 06) on PostgreSQL: the hand-counted fixture of the unit tier
fed event by event through IntakeWork, a week of dossiers driven through the use
cases, the report query, the rebuild (from the log, and from the register for
dossiers older than it), and the CSV and XLSX downloads read back."""

import csv
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from services.intake import application
from services.intake.adapters import statistics
from services.intake.adapters.repository import IntakeWork
from services.intake.domain.model import Actor
from services.intake.domain.statistics import FIGURES, RATE
from services.intake.schemas import DEMO_CATALOGUE, Submission, catalogue_entries
from shared import clock, exports, migrations
from shared.config import ROOT
from shared.db import Sessions, make_engine
from shared.http import load
from tests.intake.conftest import AGENCY, body
from tests.unit.intake.test_statistics import APRIL, EXPECTED, FIXTURE, JUNE, MAY, QUARTER, figures

COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
PORTAL = Actor(sub="dichvucong", role="portal")
WEEK = date(2026, 11, 30)  # a Monday; no holiday that week nor the Friday before
FALLBACK_WEEK = date(2026, 12, 14)


def feed(uow, events):
    """Each event in its own unit of work, as the service records them."""
    for code, story in events.items():
        for event_type, data, at in story:
            with uow.work(IntakeWork) as work:
                work.observe(event_type, code, data, at)


@pytest.fixture(scope="module")
def fed(uow):
    feed(uow, FIXTURE)
    return uow


def facts_table(uow, codes=None):
    query = sa.select(statistics.dossier_facts).order_by(statistics.dossier_facts.c.code)
    if codes is not None:
        query = query.where(statistics.dossier_facts.c.code.in_(codes))
    with uow.transaction() as session:
        return {row.code: dict(row._mapping) for row in session.execute(query)}


def report(uow, start, end, group_by="field", agency=AGENCY):
    with uow.transaction() as session:
        return statistics.summary(session, start, end, agency, group_by)


def without_labels(group):
    return {k: v for k, v in group.items() if k not in ("key", "label")}


@pytest.mark.parametrize("period", list(EXPECTED), ids=["april", "may", "june", "quarter"])
def test_the_fixture_fed_as_events_gives_the_figures_counted_by_hand(fed, period):
    assert report(fed, *period)["total"] == EXPECTED[period]


def test_the_quarter_by_month_and_every_agency(fed):
    act(fed, application.set_agency, AGENCY, "UBND quận Lê Chân")
    answer = report(fed, *QUARTER, group_by="month")
    assert (answer["from"], answer["to"], answer["agency"], answer["group_by"]) == (*QUARTER, AGENCY, "month")
    assert [without_labels(g) for g in answer["groups"]] == [EXPECTED[m] for m in (APRIL, MAY, JUNE)]
    # every agency: the other agency's dossier received and resolved on time in May
    everything = report(fed, *MAY, agency=None)["total"]
    assert (everything["received"], everything["resolved_on_time"]) == (9, 4)
    by_agency = report(fed, *MAY, group_by="agency", agency=None)["groups"]
    assert [(g["key"], g["label"], g["received"]) for g in by_agency] == [
        ("000.00.01.H56", "000.00.01.H56", 1),  # not configured: its code
        (AGENCY, "UBND quận Lê Chân", 8),  # as configured
    ]
    assert report(fed, *MAY, agency="")["total"] == figures()  # a counter of no agency sees nothing


def test_the_log_holds_no_personal_data_and_rebuilds_the_same_table(fed):
    live = facts_table(fed)
    assert set(FIXTURE) <= set(live)
    with fed.transaction() as session:
        logged = session.execute(sa.select(statistics.register_events.c.data)).scalars().all()
        done = statistics.rebuild(session)
    assert not any("contacts" in data or "applicant_name" in data for data in logged)
    with fed.transaction() as session:
        logged_dossiers = session.execute(
            sa.select(sa.func.count(sa.distinct(statistics.register_events.c.dossier_code)))
        ).scalar()
    assert done["from_log"] == logged_dossiers and done["events"] == len(logged)
    assert facts_table(fed) == live
    with fed.transaction() as session:
        statistics.rebuild(session)  # again: the same
    assert facts_table(fed) == live


def read_csv(content):
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def number(text):
    return None if text in ("", None) else float(text)


@pytest.mark.parametrize("group_by", ["month", "field"])
def test_csv_and_xlsx_hold_the_figures_of_the_answer(fed, group_by):
    answer = report(fed, *QUARTER, group_by=group_by)
    tables = statistics.summary_tables(answer)
    expected = [
        [g["label"], *(g[name] for name in FIGURES), None if g[RATE] is None else round(g[RATE] * 100, 2)]
        for g in [*answer["groups"], {**answer["total"], "label": "Tổng cộng"}]
    ]
    assert expected[-1][1 + FIGURES.index("received")] == 24  # the hand count, in the file too

    heading, *rows = read_csv(exports.csv_bytes(tables[0]))
    assert heading[:3] == ["Mã " + {"month": "tháng", "field": "lĩnh vực"}[group_by], heading[1], "Kỳ trước chuyển qua"]
    assert "Tỷ lệ đúng hạn (%)" in heading and "Giải quyết trước hạn" in heading
    assert [[r[1], *(int(v) for v in r[2:-1]), number(r[-1])] for r in rows] == expected

    content = exports.xlsx_bytes(tables)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Biểu 06", "Biểu đồ"]
    sheet_rows = list(book["Biểu 06"].iter_rows(values_only=True))
    assert sheet_rows[0] == tuple(heading)
    assert [[r[1], *r[2:]] for r in sheet_rows[1:]] == expected
    chart_rows = list(book["Biểu đồ"].iter_rows(values_only=True))
    assert [list(r) for r in chart_rows[1:]] == [
        [e[0], e[1 + FIGURES.index("received")], e[1 + FIGURES.index("resolved")], e[-1]] for e in expected[:-1]
    ]
    charts = [name for name in zipfile.ZipFile(io.BytesIO(content)).namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 2  # received against resolved, and the on-time rate


# --- a week driven through the use cases -----------------------------------------------


@pytest.fixture
def register(database_server):
    """A register of the test's own (dossiers another test left open would be carried
    over into its week), with the demo catalogue."""
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=f"{prefix}intake_stats_{uuid.uuid4().hex[:6]}")
    migrations.upgrade("intake", url)
    sessions = Sessions(make_engine(url, pool_size=2))
    with sessions.work(IntakeWork) as work:
        application.import_catalogue(work, catalogue_entries(json.loads(DEMO_CATALOGUE.read_text("utf-8"))), WEEK)
    yield sessions
    sessions.engine.dispose()


def act(uow, fn, *args):
    with uow.work(IntakeWork) as work:
        return fn(work, *args)


def submitted(uow, at, procedure="2.000635", channel="counter", actor=COUNTER):
    with uow.work(IntakeWork) as work:
        dossier, _ = application.submit(work, load(Submission(), body(procedure, channel)), actor, at)
        return dossier.code


def accepted(uow, reference, at):
    return act(uow, application.accept, reference, [], "", COUNTER, at).code


def follow(uow, code, event_type, at, **data):
    act(uow, application.follow, event_type, code, data, at)


def due_of(uow, code):
    with uow.transaction() as session:
        return clock.local(
            session.execute(sa.text("SELECT due_at FROM dossiers WHERE code = :c"), {"c": code}).scalar()
        )


def week(uow, monday):
    """Eleven dossiers of one week (and one from the Friday before); the comments say
    how each counts from Monday to Friday."""

    def t(days, hour, minute=0):
        return datetime.combine(monday + timedelta(days=days), time(hour, minute), clock.TZ)

    c = {}
    c["L"] = submitted(uow, t(-3, 9), "1.001776")  # carried over, in progress within (15 working days)
    follow(uow, c["L"], "processing_started", t(-3, 10), department="QLDT", step=1)
    for name, received, finished in (("A", t(0, 9), t(0, 15)), ("B", t(0, 10), t(1, 9, 30)), ("C", t(0, 11), t(2, 9))):
        c[name] = submitted(uow, received)  # 1 working day: due the next day at the same hour
        assert due_of(uow, c[name]) == received + timedelta(days=1)
        follow(uow, c[name], "processing_started", received + timedelta(hours=1), department="TUPHAP", step=1)
        follow(uow, c[name], "result_ready", finished, finished_at=finished, summary="xong", return_method="counter")
    # A ahead, B on time, C late; A handed back on Tuesday
    act(uow, application.hand_back, c["A"], COUNTER, t(1, 8))

    # D: asked for papers, brought them; on time against its new appointment (late against the first)
    c["D"] = submitted(uow, t(0, 9), "1.000105")
    assert due_of(uow, c["D"]) == t(3, 9)
    follow(uow, c["D"], "processing_started", t(0, 10), department="TCKH", step=1)
    items = [{"name": "Giấy ủy quyền", "reason": "thiếu"}]
    follow(uow, c["D"], "supplement_requested", t(0, 14), items=items, requested_at=t(0, 14))
    act(uow, application.supplement, c["D"], [{"name": "Giấy ủy quyền", "copies": 1}], COUNTER, t(1, 9))
    follow(uow, c["D"], "processing_started", t(1, 9, 5), department="TCKH", step=1, dossier_due_at=t(4, 9))
    follow(uow, c["D"], "result_ready", t(4, 8), finished_at=t(4, 8), summary="xong", return_method="counter")

    # E: the apology moved its date to next Monday; finished on Friday, late against Thursday
    c["E"] = submitted(uow, t(0, 13), "1.000105")
    first_due = due_of(uow, c["E"])
    assert first_due.date() == monday + timedelta(days=3)
    follow(uow, c["E"], "processing_started", t(0, 14), department="TCKH", step=1)
    follow(uow, c["E"], "deadline_extended", t(2, 9), reason="chờ ý kiến", old_due_at=first_due, new_due_at=t(7, 9))
    follow(uow, c["E"], "result_ready", t(4, 10), finished_at=t(4, 10), summary="xong", return_method="counter")

    c["F"] = submitted(uow, t(1, 9))  # withdrawn
    act(uow, application.withdraw, c["F"], "Công dân xin rút", COUNTER, t(1, 10))
    c["G"] = submitted(uow, t(1, 10), channel="online", actor=PORTAL)  # refused: never received
    act(uow, application.refuse, c["G"], "Không thuộc thẩm quyền", COUNTER, t(1, 11))
    c["H"] = accepted(uow, submitted(uow, t(1, 8), channel="online", actor=PORTAL), t(1, 9))  # online, rejected
    follow(uow, c["H"], "processing_started", t(1, 10), department="TUPHAP", step=1)
    follow(uow, c["H"], "dossier_rejected", t(2, 10), reason="Không đủ điều kiện")
    c["I"] = accepted(uow, submitted(uow, t(2, 9), "1.001776", channel="postal"), t(2, 9, 30))  # postal, within
    follow(uow, c["I"], "processing_started", t(2, 10), department="QLDT", step=1)
    c["J"] = submitted(uow, t(2, 9))  # due Thursday, still open on Friday: overdue
    follow(uow, c["J"], "processing_started", t(2, 10), department="TUPHAP", step=1)
    c["K"] = submitted(uow, t(2, 10))  # due Thursday, but waiting for papers since Wednesday: within
    follow(uow, c["K"], "processing_started", t(2, 11), department="TUPHAP", step=1)
    follow(uow, c["K"], "supplement_requested", t(2, 14), items=items, requested_at=t(2, 14))
    return c, t


# Monday to Friday, counted by hand from the comments of `week`
WEEK_FIGURES = figures(
    carried_over=1,  # L
    received=(1, 8, 1),  # online H; counter A B C D E F J K; postal I
    resolved=(1, 2, 2),  # ahead A; on time B D; late C E
    withdrawn=1,  # F
    refused=1,  # G
    rejected=1,  # H
    in_progress=(3, 1),  # within I K L; overdue J
    supplements_requested=2,  # D K
    extensions=1,  # E
    on_time_rate=0.6,
)


def test_a_week_through_the_use_cases(register):
    uow = register
    codes, t = week(uow, WEEK)
    friday = WEEK + timedelta(days=4)
    assert report(uow, WEEK, friday)["total"] == WEEK_FIGURES
    live = facts_table(uow, list(codes.values()))
    assert live[codes["G"]]["code"].startswith("TN-")  # the refusal is the submission's
    assert (live[codes["G"]]["channel"], live[codes["G"]]["field"], live[codes["G"]]["received_at"]) == (
        "online",
        "Hộ tịch",
        None,
    )
    assert live[codes["A"]]["returned_at"] == t(1, 8)
    assert (live[codes["I"]]["channel"], live[codes["I"]]["department"]) == ("postal", "QLDT")
    assert [len(live[codes["D"]]["appointments"]), live[codes["D"]]["pauses"]] == [
        2,
        [[t(0, 14).isoformat(), t(1, 9).isoformat()]],
    ]
    # by department: where the dossiers still open on Friday are
    by_department = {g["key"]: without_labels(g) for g in report(uow, WEEK, friday, "department")["groups"]}
    assert {k: (g["in_progress_within"], g["in_progress_overdue"]) for k, g in by_department.items()} == {
        "QLDT": (2, 0),  # I L
        "TCKH": (0, 0),
        "TUPHAP": (1, 1),  # K; J
        "": (0, 0),  # G, refused before any department saw it
    }
    with uow.transaction() as session:
        statistics.rebuild(session)
    assert facts_table(uow, list(codes.values())) == live


def test_dossiers_older_than_the_log_are_rebuilt_from_the_register(register):
    uow = register
    codes, t = week(uow, FALLBACK_WEEK)
    friday = FALLBACK_WEEK + timedelta(days=4)
    live = facts_table(uow, list(codes.values()))
    assert report(uow, FALLBACK_WEEK, friday)["total"] == WEEK_FIGURES
    with uow.transaction() as session:  # as if received before the log existed
        session.execute(
            sa.delete(statistics.register_events).where(statistics.register_events.c.dossier_code.in_(codes.values()))
        )
        done = statistics.rebuild(session)
    assert done["from_register"] == len(codes)
    rebuilt = facts_table(uow, list(codes.values()))
    for name in set(codes) - {"D", "E"}:
        assert rebuilt[codes[name]] == live[codes[name]], name
    # the register keeps the last appointment only, and no apology's date
    d, e = rebuilt[codes["D"]], rebuilt[codes["E"]]
    assert d["appointments"] == [[t(0, 9).isoformat(), t(4, 9).isoformat()]]
    assert e["appointments"] == [[t(0, 13).isoformat(), t(7, 9).isoformat()]] and e["extensions"] == []
    assert {k: v for k, v in d.items() if k != "appointments"} == {
        k: v for k, v in live[codes["D"]].items() if k != "appointments"
    }
    # E, judged against the apology's date, is counted ahead; its extension is not known
    assert report(uow, FALLBACK_WEEK, friday)["total"] == {
        **WEEK_FIGURES,
        "resolved_ahead": 2,
        "resolved_late": 1,
        "extensions": 0,
        "on_time_rate": 0.8,
    }


def test_the_rebuild_command(database_server):
    server, prefix = database_server
    run_prefix = f"{prefix}stats{uuid.uuid4().hex[:4]}_"
    url = sa.engine.make_url(server).set(database=run_prefix + "intake")
    migrations.upgrade("intake", url)
    sessions = Sessions(make_engine(url, pool_size=1))
    try:
        feed(sessions, {code: FIXTURE[code] for code in ("D01", "D11", "D13")})
        live = facts_table(sessions)
        with sessions.transaction() as session:
            session.execute(sa.delete(statistics.dossier_facts))
        env = {**os.environ, "MOTCUA_DATABASE_URL": server, "MOTCUA_DATABASE_PREFIX": run_prefix}
        for _ in range(2):  # idempotent
            done = subprocess.run(
                [sys.executable, "-m", "shared.cli", "stats", "rebuild"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert (
                done.stdout.strip()
                == "dossier_facts rebuilt: 3 dossiers (3 from 13 logged events, 0 from the register)"
            )
            assert "nhật ký sự kiện: 13 sự kiện, 3 hồ sơ" in done.stderr
            assert facts_table(sessions) == live
    finally:
        sessions.engine.dispose()
