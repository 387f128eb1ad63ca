"""The register's search (register.search, what GET /api/dossiers answers) on a real
PostgreSQL database migrated as in production: each reader's scope (an officer's
from the departments processing named), the filters and the name search with the
indexes they use, the pages of the cursor; then the benchmark at a small size."""

import json
import random
import uuid
from datetime import date, datetime

import sqlalchemy as sa

from bench import search as bench
from services.intake import application
from services.intake.adapters import orm, register
from services.intake.adapters.repository import IntakeWork
from services.intake.domain.model import Actor
from services.intake.schemas import DEMO_CATALOGUE, Submission
from shared import clock
from shared.http import load
from tests.intake.conftest import AGENCY, COUNTER_CLAIMS, body

OTHER_AGENCY = "000.00.01.H56"
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
OTHER_COUNTER = Actor(sub="canbo.khac", role="counter", agency=OTHER_AGENCY)
PORTAL = Actor(sub="dichvucong", role="portal")
ADMIN_CLAIMS = {"sub": "quantri", "role": "admin"}
DOCUMENTS = {p["code"]: p["documents"] for p in json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))["procedures"]}
LETTERS = "abcdeghiklmnopqrstuvxy"


def moment(day, hour=9, minute=0):
    """A moment of November or December 2026 in Vietnam's time (day 31 and on: December)."""
    month, day = (11, day) if day <= 30 else (12, day - 30)
    return datetime(2026, month, day, hour, minute, tzinfo=clock.TZ)


def word():
    return "".join(random.choice(LETTERS) for _ in range(10))


def number(digits=12, first="031"):
    return first + "".join(random.choice("0123456789") for _ in range(digits - len(first)))


def act(uow, fn, *args):
    with uow.work(IntakeWork) as work:
        return fn(work, *args)


def submitted(uow, name, at, actor=COUNTER, procedure="2.000635", applicant=None, **overrides):
    """A dossier of `name` (or of `applicant`) filed by `actor` at `at`: its code, or its
    reference until received."""
    person = applicant or {**body()["applicant"], "full_name": name, "id_number": number()}
    documents = [{"name": d, "copies": 1} for d in DOCUMENTS[procedure]]
    data = body(procedure=procedure, applicant=person, documents=documents, **overrides)
    with uow.work(IntakeWork) as work:
        dossier, _ = application.submit(work, load(Submission(), data), actor, at)
    return dossier.code


def follow(uow, code, event_type, at, **data):
    act(uow, application.follow, event_type, code, data, at)


def search(uow, claims=COUNTER_CLAIMS, **arguments):
    with uow.transaction() as session:
        return register.search(session, claims, **arguments)


def found(uow, claims=COUNTER_CLAIMS, **arguments):
    """The codes (references until reception) of the first page, in order."""
    return [d["code"] or d["reference"] for d in search(uow, claims, **arguments)["dossiers"]]


def officer(department):
    return {"sub": f"may.{department.lower()}", "role": "officer", "department": department}


def test_an_officer_finds_only_the_dossiers_its_department_had(uow):
    first, second, elsewhere = (f"PHONG{word().upper()}" for _ in range(3))
    family = word().capitalize()
    mine = submitted(uow, f"{family} Văn Một", moment(2, 8))
    transferred = submitted(uow, f"{family} Văn Hai", moment(2, 9))
    theirs = submitted(uow, f"{family} Văn Ba", moment(2, 10))
    waiting = submitted(uow, f"{family} Văn Bốn", moment(2, 11))  # no department yet
    follow(uow, mine, "processing_started", moment(2, 8, 5), department=first, step=1)
    follow(uow, transferred, "processing_started", moment(2, 9, 5), department=first, step=1)
    follow(uow, transferred, "dossier_transferred", moment(2, 9, 30), from_department=first, to_department=second)
    follow(uow, transferred, "processing_started", moment(2, 9, 31), department=second, step=1)
    follow(uow, theirs, "processing_started", moment(2, 10, 5), department=second, step=1)
    # a late or repeated event adds nobody twice
    follow(uow, mine, "processing_started", moment(2, 8, 1), department=first, step=1)

    assert found(uow, officer(first)) == [transferred, mine]
    assert found(uow, officer(second)) == [theirs, transferred]
    assert found(uow, officer(elsewhere)) == []
    assert found(uow, {"sub": "x", "role": "officer"}) == []  # no department: nothing
    # whatever it types or filters, nothing of another department
    for q in (theirs, f"{family} van ba", family.lower()):
        assert theirs not in found(uow, officer(first), q=q)
    assert found(uow, officer(first), q=family.lower(), status="in_progress") == [transferred, mine]
    assert found(uow, officer(first), received_on=date(2026, 11, 2)) == [transferred, mine]
    # the counter of the agency and an administrator see every one of them, other roles none
    assert found(uow, q=family.lower()) == [waiting, theirs, transferred, mine]
    assert found(uow, ADMIN_CLAIMS, q=family.lower()) == [waiting, theirs, transferred, mine]
    assert found(uow, {"sub": "x", "role": "portal"}, q=family.lower()) == []
    with uow.transaction() as session:
        rows = session.execute(
            sa.select(orm.dossier_departments.c.department, orm.dossier_departments.c.submitted_at).where(
                orm.dossier_departments.c.dossier_code == mine
            )
        ).all()
    assert rows == [(first, moment(2, 8))]  # once, with the dossier's submission time


def test_a_counter_searches_its_own_agency_only(uow):
    family = word().capitalize()
    mine = submitted(uow, f"{family} Thị Hoa", moment(3, 8))
    elsewhere = submitted(uow, f"{family} Thị Huệ", moment(3, 9), actor=OTHER_COUNTER)
    assert found(uow, q=family.lower()) == [mine]
    assert found(uow, {**COUNTER_CLAIMS, "agency": OTHER_AGENCY}, q=family.lower()) == [elsewhere]
    assert found(uow, {"sub": "x", "role": "counter"}, q=family.lower()) == []  # no agency: nothing
    for q in (elsewhere, f"{family} thi hue"):
        assert found(uow, q=q) == []
    assert found(uow, ADMIN_CLAIMS, q=family.lower()) == [elsewhere, mine]


def test_q_is_exactly_an_identifier_or_a_part_of_the_name_without_case_or_accents(uow):
    tag = word()
    an = submitted(uow, f"Nguyễn Văn An {tag}", moment(4, 8))
    an_upper = submitted(uow, f"NGUYỄN VĂN AN {tag.upper()}", moment(4, 9))
    anh = submitted(uow, f"Nguyễn Văn Anh {tag}", moment(4, 10))
    dang = submitted(uow, f"Đặng Thị Ánh {tag}", moment(4, 11))
    passport, enterprise = f"b{number(8, '12')}", number(10, "01")
    foreigner = submitted(
        uow,
        None,
        moment(4, 12),
        applicant={
            "kind": "foreigner",
            "full_name": f"KIM MIN JUN {tag}",
            "passport_number": passport,
            "nationality": "KR",
            "phone": "0912345678",
        },
    )
    business = submitted(
        uow,
        None,
        moment(4, 13),
        applicant={
            "kind": "organisation",
            "name": f"Công ty TNHH {tag}",
            "organisation_code": f"{enterprise}-001",  # a branch: kept without the dash
            "representative": {"full_name": "Ngô Văn Đại", "id_number": number()},
            "phone": "0912345678",
        },
    )
    online = submitted(uow, f"Trịnh Văn Lộc {tag}", moment(4, 14), actor=PORTAL, channel="online")

    assert found(uow, q=f"nguyen van an {tag}") == [an_upper, an]
    assert found(uow, q=f"NGUYỄN VĂN AN {tag.upper()}") == [an_upper, an]
    assert found(uow, q=f"van an {tag}") == [an_upper, an]
    assert found(uow, q=f"Văn Anh {tag}") == [anh]
    assert found(uow, q=f"dang thi anh {tag}") == [dang]
    assert found(uow, q=f"đặng  THỊ ánh   {tag}") == [dang]
    assert set(found(uow, q=tag)) == {an, an_upper, anh, dang, foreigner, business, online}
    # exactly as typed: the code, the reference, the identifiers (the passport in any case)
    with uow.transaction() as session:
        id_number = session.scalar(sa.select(orm.dossiers.c.id_number).where(orm.dossiers.c.code == dang))
    assert found(uow, q=dang) == [dang]
    assert found(uow, q=online) == [online]
    assert found(uow, q=id_number) == [dang]
    assert found(uow, q=passport) == [foreigner]
    assert found(uow, q=f"{enterprise}-001") == [business] == found(uow, q=f"{enterprise}001")
    assert found(uow, q=dang[:-1]) == []  # a code is never a part of one
    # LIKE's own characters are only characters
    assert found(uow, q=f"{tag}%") == [] and found(uow, q=f"{tag[:4]}_{tag[5:]}") == []
    assert found(uow, q=f"nguyen van an {word()}") == []


def test_the_filters_combine(uow):
    tag = word()
    building = submitted(uow, f"Lý Văn Xây {tag}", moment(5, 8), procedure="1.001776")
    civil = submitted(uow, f"Lý Thị Hộ {tag}", moment(5, 9))
    online = submitted(uow, f"Lý Văn Mạng {tag}", moment(5, 10), actor=PORTAL, channel="online")
    postal = submitted(uow, f"Lý Thị Thư {tag}", moment(6, 8), channel="postal", return_method="postal")
    follow(uow, building, "processing_started", moment(5, 8, 5), department="QLDT", step=1)
    follow(uow, building, "dossier_overdue", moment(30, 8), due_at=moment(26, 8).isoformat())

    assert found(uow, q=tag, procedure="1.001776") == [building]
    assert found(uow, q=tag, field="Xây dựng") == [building]
    assert found(uow, q=tag, field="Hộ tịch") == [postal, online, civil]
    assert found(uow, q=tag, field="Không có lĩnh vực này") == []
    assert found(uow, q=tag, channel="online") == [online]
    assert found(uow, q=tag, channel="postal", status="submitted") == [postal]
    assert found(uow, q=tag, status="in_progress") == [building]
    assert found(uow, q=tag, overdue=True) == [building]
    assert found(uow, q=tag, overdue=False) == [postal, online, civil]
    assert found(uow, q=tag, overdue=True, field="Hộ tịch") == []
    # the appointment: civil (1 working day) on the 6th, building (15) in December
    assert found(uow, q=tag, due_before=date(2026, 11, 7)) == [civil]
    assert found(uow, q=tag, due_before=date(2026, 11, 6)) == []
    assert found(uow, q=tag, due_before=date(2027, 1, 1)) == [civil, building]


def test_a_day_of_reception_is_the_submissions_for_a_dossier_not_received_and_the_hand_over_for_a_postal_one(uow):
    tag = word()
    counter = submitted(uow, f"Vũ Văn Quầy {tag}", moment(10, 16))
    late = submitted(uow, f"Vũ Thị Mạng {tag}", moment(10, 17), actor=PORTAL, channel="online")
    waiting = submitted(uow, f"Vũ Văn Chờ {tag}", moment(11, 9), actor=PORTAL, channel="online")
    late = act(uow, application.accept, late, [], "", COUNTER, moment(12, 8)).code  # received the next day
    # collected by post on the 9th, registered only on the 13th: received as of the hand-over
    person = {**body()["applicant"], "full_name": f"Vũ Thị Bưu {tag}", "id_number": number()}
    collected = load(Submission(), body(channel="postal", return_method="postal", applicant=person))
    pickup_id = f"pk-{uuid.uuid4().hex[:8]}"
    pickup = act(uow, application.register_pickup, collected, pickup_id, moment(9, 15), None, moment(13, 10)).code
    pickup = act(uow, application.accept, pickup, [], "", COUNTER, moment(13, 11)).code

    def received(**days):
        return set(found(uow, q=tag, **{k: date(2026, 11, d) for k, d in days.items()}))

    assert received(received_on=9) == {pickup}
    assert received(received_on=10) == {counter}
    assert received(received_on=11) == {waiting}
    assert received(received_on=12) == {late}
    assert received(received_on=13) == set()
    assert received(received_from=9, received_to=10) == {pickup, counter}
    assert received(received_to=9) == {pickup}  # submitted on the 13th, found by its hand-over on the 9th
    assert received(received_from=11) == {waiting, late}
    assert received(received_from=10, received_to=12) == {counter, waiting, late}
    assert received(received_from=10, received_to=12, received_on=11) == {waiting}
    assert found(uow, q=tag) == [pickup, waiting, late, counter]  # newest submission first


def test_pages_follow_one_another_to_the_last(uow):
    tag = word()
    same_moment = moment(20, 10)
    codes = [submitted(uow, f"Hà Văn {tag} {i}", moment(20, 8, i)) for i in range(4)]
    codes += [submitted(uow, f"Hà Thị {tag} {i}", same_moment) for i in range(3)]  # one moment: the code decides
    expected = found(uow, q=tag, limit=200)
    assert set(expected) == set(codes) and expected[:3] == sorted(codes[4:], reverse=True)

    pages, after = [], None
    while True:
        page = search(uow, q=tag, limit=3, after=after)
        pages.append([d["code"] for d in page["dossiers"]])
        if page["next"] is None:
            break
        after = register.position(page["next"])
        # a dossier registered meanwhile is newer: it neither shifts nor repeats a row
        submitted(uow, f"Hà Văn Mới {tag}", moment(21, 8, len(pages)))
    assert [len(p) for p in pages] == [3, 3, 1] and sum(pages, []) == expected
    assert search(uow, q=f"ha thi {tag}", limit=3)["next"] is None  # exactly one page: no empty one after it
    assert search(uow, q=f"ha thi {tag}", limit=2)["next"] is not None


def test_the_benchmark_runs_at_a_small_size(database_server, capsys):
    server, prefix = database_server
    bench.main(["--dossiers", "2000", "--repeat", "2", "--pages", "1", "--server", server, "--prefix", f"{prefix}b_"])
    out = capsys.readouterr().out
    assert "register loaded: 2,000 dossiers" in out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    for kind in ("counter: q part of a name", "officer: newest", "admin: month received + procedure", "overall"):
        figures = lines[kind].split()[-4:]  # p50 p95 p99 max
        assert all(float(f) >= 0 for f in figures), lines[kind]
    assert any(line.startswith("bare: SELECT code WHERE id_number") for line in lines)
    engine = sa.create_engine(sa.engine.make_url(server).set(database="postgres"))
    with engine.connect() as conn:
        left = conn.scalar(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": f"{prefix}b_intake"})
    engine.dispose()
    assert left == 0  # dropped at the end


def test_dates_are_vietnams_days(uow):
    """Just after midnight in Hà Nội is still the evening before in UTC: the day is Vietnam's."""
    tag = word()
    early = submitted(uow, f"Đinh Văn Sớm {tag}", datetime(2026, 11, 24, 0, 30, tzinfo=clock.TZ))
    assert found(uow, q=tag, received_on=date(2026, 11, 24)) == [early]
    assert found(uow, q=tag, received_on=date(2026, 11, 23)) == []
