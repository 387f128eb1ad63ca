"""The statistics report (GET /api/reports/summary) over HTTP, against the running
services: a dossier received at the counter counts at once, the downloads, the roles
and the refused parameters."""

import csv
import io
from datetime import datetime

import openpyxl
import pytest
import requests

from shared.exports import XLSX_TYPE
from tests.system import ADMIN, AGENCY, COUNTER, dossier_body, officer, submit, token

pytestmark = pytest.mark.e2e

OTHER_AGENCY = "000.00.01.H56"
OTHER_COUNTER = token("counter", agency=OTHER_AGENCY, sub="canbo.khac")


def summary(system, headers=COUNTER, **params):
    return requests.get(system.url("intake", "/api/reports/summary"), params=params, headers=headers, timeout=10)


def received_on(system, code):
    view = requests.get(system.url("intake", f"/api/dossiers/{code}"), headers=COUNTER, timeout=10).json()
    return datetime.fromisoformat(view["received_at"]).date()  # the answer is in Vietnam's time


@pytest.fixture(scope="module")
def day(system):
    """The system's business day, as a reception gives it."""
    return received_on(system, submit(system, dossier_body()))


def on(system, day, headers=COUNTER, group_by="channel", **more):
    answer = summary(system, headers, **{"from": day.isoformat(), "to": day.isoformat(), "group_by": group_by, **more})
    assert answer.status_code == 200, answer.text
    return answer.json()


def counter_group(answer):
    return next(g for g in answer["groups"] if g["key"] == "counter")


def test_a_counter_dossier_counts_as_received_today(system, day):
    before = on(system, day)
    code = submit(system, dossier_body())
    assert received_on(system, code) == day
    after = on(system, day)
    assert (after["from"], after["to"], after["agency"], after["group_by"]) == (
        day.isoformat(),
        day.isoformat(),
        AGENCY,
        "channel",
    )
    assert after["total"]["received_counter"] == before["total"]["received_counter"] + 1
    assert after["total"]["received"] == before["total"]["received"] + 1
    group = counter_group(after)
    assert (group["label"], group["received"]) == ("Trực tiếp", after["total"]["received_counter"])

    by_field = {g["key"]: g for g in on(system, day, group_by="field")["groups"]}
    assert by_field["Hộ tịch"]["received"] >= 2 and by_field["Hộ tịch"]["label"] == "Hộ tịch"
    by_month = on(system, day, group_by="month")["groups"]
    assert [(g["key"], g["label"]) for g in by_month] == [(f"{day:%Y-%m}", f"Tháng {day:%m/%Y}")]

    # an admin: every agency, or the one asked for; another agency's counter: its own only
    assert on(system, day, ADMIN)["total"]["received"] >= after["total"]["received"]
    assert on(system, day, ADMIN, agency=AGENCY)["total"] == after["total"]
    elsewhere = on(system, day, OTHER_COUNTER, agency=AGENCY)
    assert elsewhere["agency"] == OTHER_AGENCY
    assert elsewhere["total"] == on(system, day, OTHER_COUNTER)["total"]


def test_the_downloads_hold_the_figures(system, day):
    params = {"from": day.isoformat(), "to": day.isoformat(), "group_by": "channel"}
    counted = counter_group(on(system, day))["received_counter"]

    as_csv = summary(system, **params, format="csv")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["Content-Disposition"] == f'attachment; filename="bieu-06-{day}-{day}.csv"'
    heading, *rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    column = heading.index("Tiếp nhận trực tiếp")
    assert {r[1]: int(r[column]) for r in rows}["Trực tiếp"] == counted
    assert rows[-1][1] == "Tổng cộng"

    as_xlsx = summary(system, **params, format="xlsx")
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["Content-Type"] == XLSX_TYPE
    sheet = list(openpyxl.load_workbook(io.BytesIO(as_xlsx.content))["Biểu 06"].iter_rows(values_only=True))
    assert sheet[0] == tuple(heading)
    assert {r[1]: r[column] for r in sheet[1:]}["Trực tiếp"] == counted


def test_other_roles_are_refused_and_bad_periods_named(system):
    period = {"from": "2026-11-01", "to": "2026-11-30"}
    for headers in (officer("TUPHAP"), token("portal", sub="dichvucong")):
        refused = summary(system, headers, **period)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert summary(system, {}, **period).status_code == 401
    for params, field in (
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "01/11/2026", "to": "2026-11-30"}, "from"),
        ({"to": "2026-11-30"}, "from"),
        ({"from": "2026-11-01"}, "to"),
        ({"from": "2026-01-01", "to": "2029-01-01"}, "to"),  # more than three years
        ({**period, "group_by": "week"}, "group_by"),
        ({**period, "format": "pdf"}, "format"),
        ({**period, "agency": "H56"}, "agency"),
    ):
        answer = summary(system, ADMIN, **params)
        assert answer.status_code == 400, (params, answer.text)
        assert field in answer.json()["error"]["fields"], answer.text
        assert answer.json()["error"]["message"]  # in Vietnamese, with every field named
    assert summary(system, ADMIN, **{"from": "2026-01-01", "to": "2028-12-31"}).status_code == 200  # three years
