"""The register's search (GET /api/dossiers) on a large register (1,000,000 dossiers by
default), beside bare indexed queries in the same run.

  python -m bench.search [--dossiers 1000000] [--repeat 40] [--http] [--keep | --reuse]

Makes a scratch database on the PostgreSQL server (MOTCUA_DATABASE_URL, default the
local one), migrates it as in production, imports a catalogue of 46 procedures of 5
agencies and loads the register with COPY: Vietnamese names, the three channels,
statuses by age over three years, the departments processing gave each dossier.
Then it runs a mix of searches through the function the route calls
(register.search) as a counter, an officer and an administrator: names, identifiers,
filters and their combinations, later pages through the cursor. Each kind is timed
--repeat times with varied arguments; p50/p95/p99 per kind and overall are printed
beside bare psycopg2 queries on the same indexes. --http also times a few kinds
through intake's HTTP route (starts intake; needs RabbitMQ) beside a bare nameko GET.
The database is dropped at the end unless --keep is given (--reuse searches it again
without loading, e.g. after trying an index by hand).
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg2.extensions
import sqlalchemy as sa

from bench.common import drop_database, percentile
from services.intake import application
from services.intake.adapters import orm, register
from services.intake.adapters.queries import folded
from services.intake.adapters.repository import IntakeWork
from services.intake.domain import policies
from services.intake.schemas import catalogue_entries
from shared import clock, migrations
from shared.db import Sessions, make_engine

PREFIX = "motcua_bench_search_"
YEARS = 3
CHUNK = 100_000  # rows per COPY

AGENCIES = ("000.00.06.H56", "000.00.07.H56", "000.00.08.H56", "000.00.09.H56", "000.00.10.H56")
AGENCY_WEIGHTS = (30, 25, 20, 15, 10)

# field -> (its department, the days of its procedures, its procedures, how often)
CATALOGUE = {
    "Hộ tịch": ("TUPHAP", 3, 30, (
        "Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử", "Cấp bản sao trích lục hộ tịch",
        "Đăng ký nhận cha, mẹ, con", "Cấp giấy xác nhận tình trạng hôn nhân", "Đăng ký thay đổi, cải chính hộ tịch",
        "Đăng ký giám hộ", "Đăng ký khai sinh có yếu tố nước ngoài",
    )),
    "Chứng thực": ("TUPHAP", 1, 25, (
        "Chứng thực bản sao từ bản chính", "Chứng thực chữ ký", "Chứng thực hợp đồng, giao dịch",
        "Chứng thực việc sửa đổi, bổ sung hợp đồng",
    )),
    "Đất đai": ("TNMT", 20, 12, (
        "Đăng ký biến động quyền sử dụng đất", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
        "Chuyển mục đích sử dụng đất", "Tách thửa, hợp thửa đất", "Đính chính giấy chứng nhận",
        "Cấp đổi giấy chứng nhận quyền sử dụng đất", "Đăng ký thế chấp quyền sử dụng đất",
    )),
    "Xây dựng": ("QLDT", 15, 8, (
        "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Cấp giấy phép sửa chữa, cải tạo công trình",
        "Gia hạn giấy phép xây dựng", "Cấp giấy phép di dời công trình", "Cấp giấy phép xây dựng có thời hạn",
    )),
    "Thành lập và hoạt động của hộ kinh doanh": ("KINHTE", 3, 8, (
        "Đăng ký thành lập hộ kinh doanh", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "Tạm ngừng kinh doanh hộ kinh doanh", "Chấm dứt hoạt động hộ kinh doanh",
    )),
    "Lưu thông hàng hóa trong nước": ("KINHTE", 10, 2, (
        "Cấp giấy phép bán lẻ rượu", "Cấp giấy phép bán lẻ sản phẩm thuốc lá",
    )),
    "Bảo trợ xã hội": ("LDTBXH", 10, 6, (
        "Trợ cấp xã hội hằng tháng", "Hỗ trợ chi phí mai táng", "Xác định mức độ khuyết tật",
        "Đổi, cấp lại giấy xác nhận khuyết tật", "Trợ cấp một lần cho người có công", "Hỗ trợ học nghề",
    )),
    "Giáo dục và Đào tạo": ("GDDT", 10, 3, (
        "Chuyển trường đối với học sinh trung học cơ sở", "Thành lập nhóm trẻ độc lập",
        "Cho phép trường mẫu giáo hoạt động giáo dục",
    )),
    "An toàn thực phẩm": ("YTE", 15, 3, (
        "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "Cấp lại giấy chứng nhận an toàn thực phẩm",
    )),
    "Văn hóa cơ sở": ("VHTT", 5, 3, (
        "Cấp giấy phép kinh doanh dịch vụ karaoke", "Công nhận gia đình văn hóa", "Đăng ký tổ chức lễ hội",
        "Thông báo tổ chức lễ hội",
    )),
}  # fmt: skip
LEADERS = "LANHDAO"  # the last step of the procedures that take more than three days

FAMILY = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 4, "Huỳnh": 1.5, "Phan": 4.5, "Vũ": 3, "Võ": 2,
    "Đặng": 2, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1, "Lý": 0.5, "Đinh": 1, "Trương": 1,
    "Đoàn": 0.7, "Lương": 0.6, "Trịnh": 0.6, "Mai": 0.5, "Tạ": 0.3, "Cao": 0.4, "Lâm": 0.4, "Hà": 0.5,
    "Chu": 0.2, "Quách": 0.1, "Kiều": 0.1, "Đào": 0.6, "Tô": 0.2, "Thái": 0.2, "Âu": 0.05, "Khúc": 0.02,
}  # fmt: skip
MIDDLE = {
    "male": ("Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Xuân", "Thanh", "Ngọc", "Trọng", "Duy"),
    "female": ("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Hồng", "Minh", "Phương", "Bích", "Mai", "Diệu"),
}
GIVEN = {
    "male": ("An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
             "Khánh", "Khoa", "Kiên", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang",
             "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tú", "Tuấn", "Việt", "Vinh", "Vũ"),
    "female": ("An", "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng",
               "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh",
               "Phương", "Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Yến"),
}  # fmt: skip
COMPANY_WORDS = ("Phát Đạt", "Thành Công", "Hưng Thịnh", "An Phú", "Minh Long", "Sao Việt", "Đại Dương",
                 "Hải Âu", "Trường Sơn", "Bến Nghé", "Hồng Hà", "Tân Cảng", "Lạc Hồng", "Thiên An")  # fmt: skip
COMPANY_KINDS = ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
FOREIGN_NAMES = (("KIM", "LEE", "PARK", "WANG", "SMITH", "TANAKA"), ("MIN JUN", "WEI", "JOHN", "HARUTO", "ANNA"))
NATIONALITIES = ("KR", "CN", "JP", "US", "FR", "TW", "AU", "DE")

# the statuses of the dossiers of the last 20 days, and of the older ones, how often
RECENT = {
    "in_progress": 55,
    "supplement_requested": 8,
    "awaiting_payment": 2,
    "result_ready": 20,
    "returned": 10,
    "rejected": 2,
    "withdrawn": 1,
}
OLD = {"returned": 88, "result_ready": 3, "rejected": 3, "withdrawn": 2, "in_progress": 1, "supplement_requested": 1}

COLUMNS = (
    "code", "agency_code", "procedure_id", "procedure_code", "procedure_version", "channel", "status", "status_at",
    "applicant_name", "applicant_folded", "id_number", "phone", "address", "documents", "return_method",
    "notify_sms", "notify_email", "submitted_at", "received_at", "due_at", "returned_at", "overdue", "rescheduled",
    "received_by", "correlation_id", "applicant_kind", "organisation_code", "passport_number", "nationality",
    "reference", "submitted_by", "outcome",
)  # fmt: skip

SUBMITTED_AT = COLUMNS.index("submitted_at")


@dataclass(frozen=True)
class Procedure:
    id: int
    code: str
    name: str
    field: str
    agency: str
    days: int
    departments: tuple[str, ...]


def catalogue(today: date) -> list[dict[str, Any]]:
    """The catalogue file's procedures: each field's procedures spread over the agencies."""
    entries, n = [], 0
    for field, (department, days, _, names) in CATALOGUE.items():
        for name in names:
            route = [{"department": department, "days": days}]
            if days > 3:
                route = [{"department": department, "days": days - 1}, {"department": LEADERS, "days": 1}]
            entries.append(
                {
                    "code": f"{1 + n % 2}.{1000 + n * 37:06d}",
                    "name": name,
                    "field": field,
                    "online_service": ("full", "partial")[n % 2],  # each takes online dossiers
                    "agency_code": AGENCIES[n % len(AGENCIES)],
                    "duration_days": days,
                    "route": route,
                    "fee": 0,
                    "documents": ["Tờ khai", "Bản sao giấy tờ tùy thân"],
                    "return_methods": ["counter", "postal"],
                    "supplement_clock": "restart",
                    "cutoff": "15:00",
                    "effective_from": (today - timedelta(days=366 * YEARS + 30)).isoformat(),
                    "effective_to": None,
                    "legal_basis": "dữ liệu đo hiệu năng",
                }
            )
            n += 1
    return entries


def install(url: sa.URL, today: date) -> list[Procedure]:
    """Migrate the scratch database and import the catalogue; its procedures."""
    migrations.upgrade("intake", url)
    uow = Sessions(make_engine(url, pool_size=1))
    with uow.work(IntakeWork) as work:
        application.import_catalogue(work, catalogue_entries({"procedures": catalogue(today)}), today)
    uow.engine.dispose()
    return procedures_of(url)


def procedures_of(url: sa.URL) -> list[Procedure]:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(orm.procedures).order_by(orm.procedures.c.id)).all()
    engine.dispose()
    return [
        Procedure(
            r.id, r.code, r.name, r.field, r.agency_code, r.duration_days, tuple(s["department"] for s in r.route)
        )
        for r in rows
    ]


class Register:
    """Generates the dossiers: a few each working hour over YEARS years up to `now`,
    numbered per agency and day of reception as the law numbers them."""

    def __init__(self, procedures: list[Procedure], n: int, now: datetime, seed: int = 16) -> None:
        self.rng = random.Random(seed)
        self.procedures, self.n, self.now = procedures, n, now
        weight = {field: spec[2] / len(spec[3]) for field, spec in CATALOGUE.items()}
        self.weights = [weight[p.field] for p in procedures]
        self.family, self.family_weights = list(FAMILY), list(FAMILY.values())
        self.numbers: dict[tuple[str, date], int] = {}
        first = now.date() - timedelta(days=366 * YEARS)
        days = (first + timedelta(days=i) for i in range((now.date() - first).days + 1))
        self.days = [(opening, self.closing(opening)) for opening in map(self.opening, days) if opening < now]

    @staticmethod
    def opening(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), clock.TZ) + timedelta(hours=7, minutes=30)

    def closing(self, opening: datetime) -> datetime:
        hours = 0 if opening.weekday() == 6 else 4.5 if opening.weekday() == 5 else 9.5  # Saturday mornings
        return min(opening + timedelta(hours=hours), self.now)

    def name(self) -> tuple[str, str]:
        """(kind, name): mostly citizens, some organisations and foreigners."""
        rng, roll = self.rng, self.rng.random()
        if roll < 0.06:
            return "organisation", " ".join(map(rng.choice, (COMPANY_KINDS, COMPANY_WORDS, COMPANY_WORDS)))
        if roll < 0.07:
            return "foreigner", " ".join(map(rng.choice, FOREIGN_NAMES))
        sex = "male" if rng.random() < 0.5 else "female"
        given = rng.choice(GIVEN[sex])
        middles = [m for m in MIDDLE[sex] if m != given]  # "Mai Mai" is rare
        middle = " ".join(rng.sample(middles, 1 if rng.random() < 0.8 else 2))
        family = rng.choices(self.family, self.family_weights)[0]
        return "citizen", f"{family} {middle} {given}"

    def rows(self) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
        """(the dossier's row in COLUMNS order, the departments that had it), oldest first."""
        hours = [(closing - opening).total_seconds() for opening, closing in self.days]
        per_second, total, made = self.n / sum(hours), 0.0, 0
        for (opening, _), span in zip(self.days, hours, strict=True):
            total += span
            count = round(total * per_second) - made
            for offset in sorted(self.rng.random() * span for _ in range(count)):
                yield self.dossier(made, opening + timedelta(seconds=offset))
                made += 1

    def dossier(self, i: int, submitted_at: datetime) -> tuple[tuple[Any, ...], list[str]]:
        rng = self.rng
        procedure = rng.choices(self.procedures, self.weights)[0]
        roll = rng.random()
        channel = "counter" if roll < 0.55 else "online" if roll < 0.95 else "postal"
        age = (self.now - submitted_at).days
        status = self.status(channel, age)
        received_at = None
        if status not in ("submitted", "refused"):
            received_at = submitted_at if channel == "counter" else submitted_at + timedelta(hours=rng.random() * 30)
            received_at = min(received_at, self.now)
        reference = None
        if channel != "counter":
            scrambled = (i * 7_919_009 + 12_345) % 24**8
            letters = "".join(policies.REFERENCE_LETTERS[scrambled // 24**k % 24] for k in range(8))
            reference = f"TN-{submitted_at:%y%m%d}-{letters}"
        if received_at is None:
            code = reference
        else:
            key = (procedure.agency, clock.local(received_at).date())
            self.numbers[key] = self.numbers.get(key, 0) + 1
            code = f"{procedure.agency}-{key[1]:%y%m%d}-{self.numbers[key]:04d}"
        due_at = received_at + timedelta(days=procedure.days * 7 / 5) if received_at else None
        finished = status in ("returned", "result_ready", "rejected", "withdrawn")
        returned_at = None
        if status == "returned" and received_at and due_at:
            returned_at = min(received_at + (due_at - received_at) * (0.3 + rng.random()), self.now)
        running = status in ("in_progress", "supplement_requested")
        overdue = bool(due_at) and ((running and due_at < self.now) or (finished and rng.random() < 0.04))
        kind, name = self.name()
        departments = []
        if status not in ("submitted", "received", "refused") and not (status == "withdrawn" and rng.random() < 0.5):
            departments = list(procedure.departments[: 1 + (status != "in_progress" or rng.random() < 0.3)])
        row = (
            code, procedure.agency, procedure.id, procedure.code, 1, channel, status,
            returned_at or received_at or submitted_at,
            name, folded(name),
            f"0{i * 48_271 % 10**11:011d}" if kind == "citizen" else None,
            f"09{rng.randrange(10**8):08d}", "Hải Phòng", '[{"name": "Tờ khai", "copies": 1}]',
            "postal" if channel == "postal" else "counter",
            True, channel == "online",
            submitted_at, received_at, due_at, returned_at, overdue, rng.random() < 0.02,
            "canbo" if received_at else None, str(uuid.UUID(int=i + 1)), kind,
            f"{(i * 104_729) % 10**10:010d}" if kind == "organisation" else None,
            f"P{i:09d}"[:12] if kind == "foreigner" else None,
            rng.choice(NATIONALITIES) if kind == "foreigner" else None,
            reference, "dichvucong" if channel == "online" else "canbo",
            "result" if status == "returned" else None,
        )  # fmt: skip
        return row, departments

    def status(self, channel: str, age: int) -> str:
        """Most old dossiers are done; the recent ones are on their way."""
        rng = self.rng
        if age < 1:
            if channel != "counter" and rng.random() < 0.6:
                return "submitted"
            return rng.choices(("received", "in_progress"), (3, 7))[0]
        if channel != "counter" and rng.random() < 0.04:  # never received
            return rng.choice(("submitted", "refused")) if age < 20 else "refused"
        statuses = RECENT if age < 20 else OLD
        return rng.choices(list(statuses), list(statuses.values()))[0]


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


@contextmanager
def blocking() -> Iterator[None]:
    """Connections made meanwhile block: COPY refuses a green one (eventlet's, in the tests)."""
    waiting = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(waiting)


def load(url: sa.URL, procedures: list[Procedure], n: int, now: datetime) -> tuple[int, float]:
    """COPY the register in, indexes dropped and built again after (much faster than
    keeping them up to date row by row); (dossiers, seconds)."""
    with blocking():
        return _copy(url, procedures, n, now)


def _copy(url: sa.URL, procedures: list[Procedure], n: int, now: datetime) -> tuple[int, float]:
    started = time.perf_counter()
    engine = make_engine(url, pool_size=1)
    tables = ("dossiers", "dossier_departments")
    with engine.begin() as conn:
        indexes = conn.execute(
            sa.text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname"
                " JOIN pg_index x ON x.indexrelid = c.oid"
                " WHERE i.tablename = ANY(:tables) AND NOT x.indisprimary AND NOT x.indisunique"
            ),
            {"tables": list(tables)},
        ).all()
        for name, _ in indexes:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        dossiers, departments = io.StringIO(), io.StringIO()

        def flush() -> None:
            for table, buffer, columns in (
                ("dossiers", dossiers, COLUMNS),
                ("dossier_departments", departments, ("dossier_code", "department", "submitted_at")),
            ):
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
                buffer.seek(0)
                buffer.truncate()

        for made, (row, had) in enumerate(Register(procedures, n, now).rows(), start=1):
            dossiers.write("\t".join(_copy_value(v) for v in row) + "\n")
            for department in had:
                departments.write(f"{row[0]}\t{department}\t{row[SUBMITTED_AT].isoformat()}\n")
            if made % CHUNK == 0:
                flush()
                print(f"  {made:>9,} dossiers loaded ({time.perf_counter() - started:5.1f} s)", flush=True)
        flush()
        raw.commit()
        for name, definition in indexes:
            t0 = time.perf_counter()
            cursor.execute(definition)
            raw.commit()
            print(f"  index {name} built ({time.perf_counter() - t0:5.1f} s)", flush=True)
        raw.set_isolation_level(0)  # autocommit: VACUUM runs outside a transaction
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM dossiers")
        counted = cursor.fetchone()[0]
    finally:
        raw.close()
        engine.dispose()
    return counted, time.perf_counter() - started


# --- the query mix ----------------------------------------------------------------------


@dataclass
class Sample:
    """What the searches pick their arguments from (read back from the loaded register)."""

    agencies: list[str]
    departments: list[str]
    procedures: list[Procedure]
    ids: list[tuple[str, str]]  # (agency, id_number)
    codes: list[tuple[str, str]]  # (agency, code)
    references: list[tuple[str, str]]
    names: list[str]  # full names as registered
    today: date


def sample(session: Any, procedures: list[Procedure], today: date) -> Sample:
    table = orm.dossiers
    some = sa.select(table.c.code).order_by(sa.func.random()).limit(2000).scalar_subquery()
    columns = (table.c.agency_code, table.c.code, table.c.reference, table.c.id_number, table.c.applicant_name)
    picked = session.execute(sa.select(*columns).where(table.c.code.in_(some))).all()
    departments = sorted({d for p in procedures for d in p.departments})
    return Sample(
        agencies=list(AGENCIES),
        departments=departments,
        procedures=procedures,
        ids=[(r.agency_code, r.id_number) for r in picked if r.id_number],
        codes=[(r.agency_code, r.code) for r in picked if r.code != r.reference],
        references=[(r.agency_code, r.reference) for r in picked if r.reference],
        names=[r.applicant_name for r in picked],
        today=today,
    )


Search = tuple[dict[str, Any], dict[str, Any]]  # (claims, arguments of register.search)


def mix(s: Sample, rng: random.Random) -> dict[str, Callable[[], Search]]:
    """The kinds of searches the screens make, each a function giving one at random."""
    admin = {"role": "admin", "sub": "bench"}

    def counter(agency: str | None = None) -> dict[str, Any]:
        return {"role": "counter", "agency": agency or rng.choices(s.agencies, AGENCY_WEIGHTS)[0], "sub": "bench"}

    def officer() -> dict[str, Any]:
        return {"role": "officer", "department": rng.choice(s.departments), "sub": "bench"}

    def part_of_name() -> str:
        words = rng.choice(s.names).split()
        how = rng.random()
        if how < 0.4:
            return " ".join(words).lower()  # the whole name, with its accents
        if how < 0.7:
            return folded(" ".join(words[-2:]))  # "van an"
        if how < 0.9:  # the family and given names: no part of a name with a middle one
            return folded(f"{words[0]} {words[-1]}")
        return folded(words[-1])  # the given name alone

    def day_ago(days: int) -> date:
        return s.today - timedelta(days=days)

    def a_year_ago() -> date:
        return day_ago(rng.randrange(300, 400))

    def a_month() -> dict[str, Any]:
        start = day_ago(rng.randrange(30, 366 * YEARS - 30))
        return {"received_from": start, "received_to": start + timedelta(days=30)}

    def of_agency(claims: dict[str, Any]) -> Procedure:
        return rng.choice([p for p in s.procedures if claims.get("agency") in (None, p.agency)])

    def exactly(pool: list[tuple[str, str]]) -> Search:
        agency, value = rng.choice(pool)
        return counter(agency), {"q": value}

    def one_of(*values: str) -> str:
        return rng.choice(values)

    def with_procedure(claims: dict[str, Any], **arguments: Any) -> Search:
        return claims, {**arguments, "procedure": of_agency(claims).code}

    def with_field(claims: dict[str, Any], **arguments: Any) -> Search:
        return claims, {**arguments, "field": of_agency(claims).field}

    rare = ("awaiting_payment", "supplement_requested", "rejected", "withdrawn")
    return {
        "counter: newest": lambda: (counter(), {}),
        "counter: received today": lambda: (counter(), {"received_on": day_ago(rng.randrange(0, 3))}),
        "counter: waiting (submitted)": lambda: (counter(), {"status": "submitted"}),
        "counter: q part of a name": lambda: (counter(), {"q": part_of_name()}),
        "counter: q ID number": lambda: exactly(s.ids),
        "counter: q code": lambda: exactly(s.codes),
        "counter: q reference": lambda: exactly(s.references),
        "counter: q unknown name": lambda: (counter(), {"q": f"nguyen van {one_of(*'qwzj')}{rng.randrange(99)}"}),
        "counter: status + procedure": lambda: with_procedure(
            counter(), status=one_of("in_progress", "returned", "supplement_requested")
        ),
        "counter: month received + field": lambda: with_field(counter(), **a_month()),
        "counter: due within a week, in progress": lambda: (
            counter(),
            {"status": "in_progress", "due_before": day_ago(-7)},
        ),
        "counter: received up to a day a year ago": lambda: (counter(), {"received_to": a_year_ago()}),
        "counter: overdue": lambda: (counter(), {"overdue": True}),
        "counter: overdue + channel": lambda: (counter(), {"overdue": True, "channel": one_of("online", "postal")}),
        "officer: newest": lambda: (officer(), {}),
        "officer: in progress": lambda: (officer(), {"status": "in_progress"}),
        "officer: a rare status": lambda: (officer(), {"status": one_of(*rare)}),
        "officer: q part of a name": lambda: (officer(), {"q": part_of_name()}),
        "officer: overdue": lambda: (officer(), {"overdue": True}),
        "officer: month received": lambda: (officer(), a_month()),
        "admin: newest": lambda: (admin, {}),
        "admin: waiting (submitted)": lambda: (admin, {"status": "submitted"}),
        "admin: procedure": lambda: with_procedure(admin),
        "admin: rejected": lambda: (admin, {"status": "rejected"}),
        "admin: q ID number": lambda: (admin, {"q": rng.choice(s.ids)[1]}),
        "admin: q part of a name": lambda: (admin, {"q": part_of_name()}),
        "admin: field + channel": lambda: with_field(admin, channel=one_of("online", "postal")),
        "admin: month received + procedure": lambda: with_procedure(admin, **a_month()),
        "admin: due before a day a year ago": lambda: (admin, {"due_before": a_year_ago()}),
        "admin: overdue + status": lambda: (admin, {"overdue": True, "status": one_of("returned", "in_progress")}),
    }


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """(ms, what fn answered)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def run_searches(
    uow: Sessions, kinds: dict[str, Callable[[], Search]], repeat: int, pages: int
) -> dict[str, list[float]]:
    """Each kind `repeat` times through register.search, then its later pages; ms."""
    results: dict[str, list[float]] = {}
    for label, make in kinds.items():
        for _ in range(repeat):
            claims, arguments = make()
            with uow.transaction() as session:
                took, answer = timed(register.search, session, claims, **arguments)
                results.setdefault(label, []).append(took)
                for _ in range(pages):  # the following pages, through the cursor
                    if not answer["next"]:
                        break
                    following = {**arguments, "after": register.position(answer["next"])}
                    took, answer = timed(register.search, session, claims, **following)
                    results.setdefault(f"{label}, next pages", []).append(took)
    return results


def run_baseline(url: sa.URL, s: Sample, repeat: int, rng: random.Random) -> dict[str, list[float]]:
    """Bare psycopg2 queries on the same indexes: the floor under any search."""
    engine = make_engine(url, pool_size=1)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    queries = {
        "bare: SELECT code WHERE id_number = %s": (
            "SELECT code FROM dossiers WHERE id_number = %s",
            lambda: (rng.choice(s.ids)[1],),
        ),
        "bare: an agency's newest 50 (index range)": (
            "SELECT code, submitted_at FROM dossiers WHERE agency_code = %s ORDER BY submitted_at DESC LIMIT 50",
            lambda: (rng.choice(s.agencies),),
        ),
    }
    results: dict[str, list[float]] = {}

    def fetch(sql: str, arguments: tuple[Any, ...]) -> list[Any]:
        cursor.execute(sql, arguments)
        return cursor.fetchall()

    try:
        for label, (sql, arguments) in queries.items():
            for _ in range(repeat):
                took, _ = timed(fetch, sql, arguments())
                results.setdefault(label, []).append(took)
            raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return results


def run_http(args: argparse.Namespace, db_server: str, s: Sample, rng: random.Random) -> dict[str, list[float]]:
    """A few kinds through GET /api/dossiers of a running intake (JSON, auth, scope),
    beside a bare nameko @http GET."""
    import requests

    from bench.common import scratch_vhost
    from bench.intake_common import SECRET, servers, start_bare, start_intake, stop
    from shared import auth

    amqp, _ = servers()
    amqp, drop_vhost = scratch_vhost(amqp, "search")
    logs = tempfile.NamedTemporaryFile(prefix="bench-search-", suffix=".log", delete=False)
    intake, url = start_intake(amqp, db_server, args.prefix, logs, MOTCUA_SEED_DEMO_CATALOG="false")
    bare, bare_url = start_bare(amqp, logs)
    results: dict[str, list[float]] = {}
    try:
        session = requests.Session()
        for _ in range(args.repeat):
            took, _ = timed(session.get, f"{bare_url}/bare", params={"code": "x"})
            results.setdefault("HTTP bare nameko @http GET", []).append(took)

        def get(claims: dict[str, Any], params: dict[str, Any]) -> None:
            token = auth.issue(claims["role"], key=SECRET, **{k: v for k, v in claims.items() if k != "role"})
            answer = session.get(f"{url}/api/dossiers", params=params, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text

        kinds = mix(s, rng)
        for label in ("counter: newest", "counter: q part of a name", "counter: q ID number", "officer: in progress"):
            for _ in range(args.repeat):
                claims, arguments = kinds[label]()
                params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in arguments.items()}
                took, _ = timed(get, claims, params)
                results.setdefault(f"HTTP {label}", []).append(took)
    finally:
        stop(intake)
        stop(bare)
        drop_vhost()
    return results


def table(results: dict[str, list[float]]) -> str:
    lines = [f"{'query kind':<52} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for label, values in results.items():
        lines.append(
            f"{label:<52} {len(values):>5} {percentile(values, 50):8.2f} {percentile(values, 95):8.2f}"
            f" {percentile(values, 99):8.2f} {max(values):8.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1_000_000, help="dossiers in the register (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=40, help="searches of each kind (default 40)")
    parser.add_argument("--pages", type=int, default=2, help="later pages read after each search (default 2)")
    parser.add_argument("--server", help="PostgreSQL server URL (default MOTCUA_DATABASE_URL or the local one)")
    parser.add_argument("--prefix", default=PREFIX, help=f"the scratch database is <prefix>intake (default {PREFIX})")
    parser.add_argument("--http", action="store_true", help="also time a few kinds through intake's HTTP route")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="search (and keep) the database an earlier --keep run left, not loading"
    )
    args = parser.parse_args(argv)
    from bench.intake_common import servers

    server = args.server or servers()[1]
    url = sa.engine.make_url(server).set(database=f"{args.prefix}intake")
    now = clock.now()
    rng = random.Random(7)
    try:
        if args.reuse:
            procedures = procedures_of(url)
        else:
            drop_database(url)
            procedures = install(url, now.date())
            print(f"loading {args.dossiers:,} dossiers into {url.database}", flush=True)
            counted, took = load(url, procedures, args.dossiers, now)
            print(f"register loaded: {counted:,} dossiers in {took:.1f} s", flush=True)
        uow = Sessions(make_engine(url, pool_size=1))
        with uow.transaction() as session:
            s = sample(session, procedures, now.date())
            size = session.scalar(sa.select(sa.func.count()).select_from(orm.dossiers))
        kinds = mix(s, rng)
        run_searches(uow, kinds, 2, 0)  # warm up the caches
        results = run_searches(uow, kinds, args.repeat, args.pages)
        uow.engine.dispose()
        overall = [t for values in results.values() for t in values]
        print(f"\nregister.search with {size:,} dossiers ({args.repeat} of each kind, {args.pages} later pages)")
        print(table({**results, "overall": overall}))
        print()
        print(table(run_baseline(url, s, max(args.repeat, 200), rng)))
        if args.http:
            print()
            print(table(run_http(args, server, s, rng)))
    finally:
        if not (args.keep or args.reuse):
            drop_database(url)


if __name__ == "__main__":
    main()
