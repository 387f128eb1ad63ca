"""The national portal simulator as a real HTTP server, with a real HTTP server of the
test's own as the connector's push endpoint (it checks each push's signature)."""

import base64
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
import requests

from devtools import portal_sim
from devtools.fake_server import JsonHandler
from services.intake.schemas import check_id_number
from shared import national_portal
from shared.config import ROOT
from tests.system import free_port

SECRET = "portal-sim-test-secret"
KEY = "7f3c9a2e-portal-key"
DEMO = json.loads((ROOT / "services" / "intake" / "catalog" / "demo.json").read_text(encoding="utf-8"))["procedures"]


class Connector:
    """The connector's push endpoint: records every push and whether its signature held."""

    def __init__(self):
        self.pushes = []
        pushes = self.pushes

        class Handler(JsonHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = national_portal.verify(SECRET, self.headers, raw)
                pushes.append({"path": self.path, "valid": valid, "body": json.loads(raw)})
                self.answer(202 if valid else 401, {"result": "received" if valid else "invalid_signature"})

            def log_message(self, fmt, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{national_portal.PUSH_PATH}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def connector():
    c = Connector()
    yield c
    c.stop()


@pytest.fixture
def portal(connector):
    running = portal_sim.start(SECRET, connector.url, seed=7)
    yield running
    running.stop()


def api(portal, method, path, body=None, secret=SECRET, **params):
    """A signed /api/v1 request, as the connector makes it."""
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    headers = {**national_portal.signed_headers(secret, raw), "Content-Type": "application/json"}
    return requests.request(method, portal.url + path, params=params, data=raw, headers=headers, timeout=5)


def control(portal, path, body=None, method="POST", **params):
    return requests.request(method, f"{portal.url}/control/{path}", json=body, params=params, timeout=5)


def record(seq, status, key=KEY, **fields):
    return {
        "status_id": national_portal.status_id(key, seq),
        "dossier_key": key,
        "seq": seq,
        "dossier_code": "H56.26.000123",
        "reference": "HS-2026-000123",
        "portal_reference": "DVCQG-260302-000123",
        "status": status,
        "status_name": national_portal.NUMBERS.get(status),
        "at": "2026-03-02T09:15:00+07:00",
        "agency_code": "000.00.06.H56",
        "procedure_code": "1.000105",
        "note": None,
        **fields,
    }


def send(portal, status_record):
    return api(portal, "POST", national_portal.STATUSES_PATH, status_record)


# signatures


def test_unsigned_and_wrongly_signed_requests_are_refused(portal):
    raw = json.dumps(record(1, 1)).encode()
    stale = national_portal.signed_headers(SECRET, raw, now=time.time() - national_portal.SKEW_SECONDS - 60)
    tampered = national_portal.signed_headers(SECRET, raw)
    attempts = {
        "unsigned": requests.post(portal.url + national_portal.STATUSES_PATH, data=raw, timeout=5),
        "other secret": api(portal, "POST", national_portal.STATUSES_PATH, record(1, 1), secret="someone-else"),
        "stale": requests.post(portal.url + national_portal.STATUSES_PATH, data=raw, headers=stale, timeout=5),
        "tampered": requests.post(
            portal.url + national_portal.STATUSES_PATH,
            data=raw.replace(b'"status": 1', b'"status": 9'),
            headers=tampered,
            timeout=5,
        ),
        "unsigned get": requests.get(portal.url + national_portal.CATALOG_PATH, timeout=5),
    }

    for name, answer in attempts.items():
        assert (answer.status_code, answer.json()) == (401, {"error": "invalid_signature"}), name
    assert control(portal, "statuses", method="GET").json() == {"dossiers": {}, "accepted": 0, "repeats": 0}


# statuses


def test_statuses_are_kept_in_order_of_arrival(portal):
    for seq, status in ((2, 2), (1, 1), (3, 4)):
        answer = send(portal, record(seq, status))
        assert (answer.status_code, answer.json()) == (200, {"result": "accepted"})

    held = api(portal, "GET", national_portal.STATUSES_PATH, dossier_key=KEY).json()["statuses"]

    assert [(r["seq"], r["status"]) for r in held] == [(2, 2), (1, 1), (3, 4)]
    assert held[0] == record(2, 2)
    summary = control(portal, "statuses", method="GET").json()
    assert summary == {"dossiers": {KEY: [2, 1, 4]}, "accepted": 3, "repeats": 0}


def test_the_same_record_again_is_a_duplicate_that_stores_nothing(portal):
    send(portal, record(1, 1))

    again = send(portal, record(1, 1, note="gửi lại"))

    assert (again.status_code, again.json()) == (200, {"result": "duplicate"})
    held = control(portal, "statuses", method="GET", dossier_code=KEY).json()
    assert [r["note"] for r in held["statuses"]] == [None]
    assert held["repeats"] == 1
    assert control(portal, "statuses", method="GET").json()["repeats"] == 1


def test_another_status_under_a_held_status_id_is_a_conflict(portal):
    send(portal, record(1, 1))

    answer = send(portal, record(1, 2))

    assert (answer.status_code, answer.json()) == (409, {"error": "conflict"})
    assert control(portal, "statuses", method="GET").json()["dossiers"] == {KEY: [1]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status_id": f"{KEY}/9"}, "status_id"),
        ({"status_id": None}, "status_id"),
        ({"seq": 0, "status_id": f"{KEY}/0"}, "seq"),
        ({"seq": "1"}, "seq"),
        ({"status": 11}, "status"),
        ({"status": True}, "status"),
        ({"dossier_key": ""}, "dossier_key"),
        ({"at": None}, "at"),
        ({"at": "hôm qua"}, "at"),
        ({"note": 5}, "note"),
    ],
)
def test_a_malformed_record_is_refused_naming_the_field(portal, changes, field):
    answer = send(portal, {**record(1, 1), **changes})

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_record"
    assert field in answer.json()["fields"]
    assert control(portal, "statuses", method="GET").json()["accepted"] == 0


def test_a_body_that_is_not_json_is_a_400(portal):
    raw = b"{not json"
    headers = national_portal.signed_headers(SECRET, raw)
    answer = requests.post(portal.url + national_portal.STATUSES_PATH, data=raw, headers=headers, timeout=5)

    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_json")


def test_a_dossier_is_found_by_any_of_its_codes(portal):
    # before reception the dossier has its submission code; reception gives it another
    send(portal, record(1, 1, dossier_code="H56.26.000123-NOP"))
    send(portal, record(2, 2, dossier_code="H56.26.000123"))
    other = {"dossier_code": "H56.26.000999", "reference": "HS-2026-000999", "portal_reference": None}
    send(portal, record(1, 1, key="other-key", **other))

    for code in (KEY, "H56.26.000123-NOP", "H56.26.000123", "HS-2026-000123", "DVCQG-260302-000123"):
        found = control(portal, "statuses", method="GET", dossier_code=code).json()
        assert found["dossier_code"] == code
        assert found["dossier_key"] == KEY
        assert [r["seq"] for r in found["statuses"]] == [1, 2], code
        assert found["repeats"] == 0

    unknown = control(portal, "statuses", method="GET", dossier_code="H56.26.404404").json()
    assert unknown == {"dossier_code": "H56.26.404404", "dossier_key": None, "statuses": [], "repeats": 0}


# faults


def test_down_answers_503_until_up_while_health_and_control_answer(portal, connector):
    control(portal, "down")

    answer = send(portal, record(1, 1))
    assert (answer.status_code, answer.json()) == (503, {"error": "unavailable"})
    assert requests.get(f"{portal.url}/health", timeout=5).json() == {"status": "ok"}
    taken = control(portal, "dossiers", {})
    assert taken.status_code == 201 and taken.json()["pushed"] == []
    assert connector.pushes == []

    control(portal, "up")

    assert send(portal, record(1, 1)).status_code == 200
    assert len(api(portal, "GET", national_portal.DOSSIERS_PATH).json()["dossiers"]) == 1  # taken while down


def test_slow_delays_every_answer(portal):
    assert control(portal, "slow", {"seconds": 0.3}).json()["slow_seconds"] == 0.3

    began = time.monotonic()
    assert api(portal, "GET", national_portal.CATALOG_PATH).status_code == 200
    assert time.monotonic() - began >= 0.2

    control(portal, "slow", {"seconds": 0})
    began = time.monotonic()
    api(portal, "GET", national_portal.CATALOG_PATH)
    assert time.monotonic() - began < 0.2
    assert control(portal, "slow", {"seconds": -1}).json()["fields"].keys() == {"seconds"}


def test_errors_fail_the_next_requests_then_stop(portal):
    control(portal, "errors", {"count": 2})

    codes = [api(portal, "GET", national_portal.CATALOG_PATH).status_code for _ in range(3)]
    assert codes == [500, 500, 200]

    control(portal, "errors", {"rate": 1})
    assert send(portal, record(1, 1)).status_code == 500
    control(portal, "errors", {"count": 0, "rate": 0})
    assert send(portal, record(1, 1)).status_code == 200
    assert requests.get(f"{portal.url}/health", timeout=5).status_code == 200
    refused = control(portal, "errors", {"rate": 2})
    assert (refused.status_code, list(refused.json()["fields"])) == (400, ["rate"])


# the catalogue


def test_the_catalogue_starts_as_intakes_demo_catalogue(portal):
    answer = api(portal, "GET", national_portal.CATALOG_PATH, province="H56")

    assert answer.status_code == 200
    catalogue = answer.json()
    assert catalogue["province"] == "H56"
    by_code = {entry["code"]: entry for entry in catalogue["procedures"]}
    assert list(by_code) == [p["code"] for p in DEMO]
    assert by_code["1.001776"]["online_service"] == "toan_trinh"  # level 4
    assert by_code["1.000105"]["online_service"] == "mot_phan"  # level 3
    building = next(p for p in DEMO if p["code"] == "1.001776")
    assert by_code["1.001776"] == {
        "code": "1.001776",
        "name": building["name"],
        "field": building["field"],
        "agency_code": building["agency_code"],
        "online_service": "toan_trinh",
        "duration_days": building["duration_days"],
        "documents": building["documents"],
        "fees": [{"name": f["name"], "amount": f["amount"], "kind": f["kind"]} for f in building["fees"]],
        "effective_from": building["effective_from"],
        "effective_to": building["effective_to"],
        "status": "active",
        "legal_basis": building["legal_basis"],
    }
    assert portal_sim.check_catalog(catalogue) == catalogue["procedures"]  # the national format, valid
    assert api(portal, "GET", national_portal.CATALOG_PATH, province="H26").json()["procedures"] == []


def national(code="1.009999", **changes):
    return {
        "code": code,
        "name": "Thủ tục thử nghiệm",
        "field": "Thử nghiệm",
        "agency_code": "000.00.06.H56",
        "online_service": "khong",
        "duration_days": 5,
        "documents": ["Tờ khai"],
        "fees": [{"name": "Lệ phí", "amount": None, "kind": "le_phi"}],
        "effective_from": "2026-01-01",
        "effective_to": None,
        "status": "active",
        "legal_basis": "Quyết định thử nghiệm",
        **changes,
    }


def test_put_replaces_the_catalogue(portal):
    answer = control(portal, "catalog", {"procedures": [national()]}, method="PUT")

    assert answer.status_code == 200
    assert control(portal, "catalog", method="GET").json()["procedures"] == [national()]
    assert api(portal, "GET", national_portal.CATALOG_PATH).json() == {"province": "H56", "procedures": [national()]}


def test_an_invalid_catalogue_is_refused_whole(portal):
    before = control(portal, "catalog", method="GET").json()
    bad = [
        national(),
        national("1.009998", online_service="full"),
        national("1.009997", duration_days=400),
        national("1.009996", fees=[{"name": "Phí", "amount": -5, "kind": "thue"}], effective_to="2025-01-01"),
        national("1.9", status="draft"),
    ]

    answer = control(portal, "catalog", {"procedures": bad}, method="PUT")

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_catalog"
    assert set(answer.json()["fields"]) == {
        "procedures[1].online_service",
        "procedures[2].duration_days",
        "procedures[3].fees[0].amount",
        "procedures[3].fees[0].kind",
        "procedures[3].effective_to",
        "procedures[4].code",
        "procedures[4].status",
    }
    assert control(portal, "catalog", method="GET").json() == before


# dossiers


def test_a_dossier_taken_is_pushed_signed_with_its_defaults(portal, connector):
    answer = control(portal, "dossiers", {})

    assert answer.status_code == 201, answer.text
    taken = answer.json()
    assert taken["pushed"] == [202]
    (push,) = connector.pushes
    assert push["valid"] and push["path"] == national_portal.PUSH_PATH
    dossier = push["body"]
    assert dossier == taken["dossier"]
    assert (
        re.fullmatch(r"DVCQG-\d{6}-\d{6}", dossier["portal_reference"])
        and dossier["portal_reference"] == taken["portal_reference"]
    )
    assert dossier["procedure_code"] == "1.000105" and dossier["agency_code"] == "000.00.06.H56"
    assert dossier["applicant"]["kind"] == "citizen" and dossier["applicant"]["full_name"] == "Nguyễn Văn Cổng"
    check_id_number(dossier["applicant"]["id_number"])
    names = next(p["documents"] for p in DEMO if p["code"] == "1.000105")
    assert dossier["documents"] == [{"name": name, "copies": 1} for name in names]
    assert [f["document"] for f in dossier["files"]] == names
    assert all(f["media_type"] == "application/pdf" and f["name"].endswith(".pdf") for f in dossier["files"])
    assert dossier["return_method"] == "counter" and dossier["notify"] == {"sms": True, "email": True}


def test_times_pushes_again_and_push_false_only_keeps_it(portal, connector):
    twice = control(portal, "dossiers", {"times": 2, "portal_reference": "DVCQG-260302-000777"})
    assert twice.json()["pushed"] == [202, 202]
    assert [p["body"]["portal_reference"] for p in connector.pushes] == ["DVCQG-260302-000777"] * 2
    assert connector.pushes[0]["body"] == connector.pushes[1]["body"]

    kept = control(portal, "dossiers", {"push": False})
    assert kept.json()["pushed"] == [] and len(connector.pushes) == 2

    again = control(portal, "push", {"portal_reference": kept.json()["portal_reference"]})
    assert again.json()["pushed"] == [202]
    assert connector.pushes[-1]["body"] == kept.json()["dossier"]
    assert control(portal, "push", {"portal_reference": "DVCQG-000000-000000"}).status_code == 404
    assert control(portal, "dossiers", {"portal_reference": "DVCQG-260302-000777"}).status_code == 409


def test_a_push_nobody_receives_says_why():
    sim = portal_sim.start(SECRET, f"http://127.0.0.1:{free_port()}{national_portal.PUSH_PATH}")
    try:
        (outcome,) = control(sim, "dossiers", {}).json()["pushed"]
    finally:
        sim.stop()
    assert outcome.startswith("error: ")


def test_the_poll_answers_the_dossiers_in_order_with_a_working_cursor(portal):
    references = [control(portal, "dossiers", {"push": False}).json()["portal_reference"] for _ in range(3)]

    first = api(portal, "GET", national_portal.DOSSIERS_PATH, province="H56", limit=2).json()
    second = api(portal, "GET", national_portal.DOSSIERS_PATH, province="H56", limit=2, after=first["next"]).json()

    assert [d["portal_reference"] for d in first["dossiers"]] == references[:2]
    assert isinstance(first["next"], str)
    assert [d["portal_reference"] for d in second["dossiers"]] == references[2:]
    assert second["next"] is None
    assert api(portal, "GET", national_portal.DOSSIERS_PATH, province="H26").json() == {"dossiers": [], "next": None}
    wrong = api(portal, "GET", national_portal.DOSSIERS_PATH, limit=500, after="x")
    assert (wrong.status_code, set(wrong.json()["fields"])) == (400, {"limit", "after"})


def test_a_file_fetched_has_the_advertised_digest(portal):
    dossier = control(portal, "dossiers", {"push": False}).json()["dossier"]
    advertised = dossier["files"][0]

    answer = api(portal, "GET", f"{national_portal.FILES_PATH}/{advertised['id']}")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(answer.content).hexdigest() == advertised["sha256"]
    assert len(answer.content) == advertised["size"]
    assert answer.content.startswith(b"%PDF-1.4") and answer.content.rstrip().endswith(b"%%EOF")
    assert portal_sim.ascii_text(advertised["document"]).encode() in answer.content
    # a valid PDF: the cross-reference table points at each object
    xref = int(answer.content.rsplit(b"startxref", 1)[1].split()[0])
    offsets = [int(line.split()[0]) for line in answer.content[xref:].split(b"\n")[3:9]]
    assert [answer.content[o : o + 7] for o in offsets] == [b"%d 0 obj" % n for n in range(1, 7)]
    assert requests.get(f"{portal.url}{national_portal.FILES_PATH}/{advertised['id']}", timeout=5).status_code == 401
    unknown = api(portal, "GET", f"{national_portal.FILES_PATH}/nothing-here")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "not_found"})


def test_files_given_are_served_as_given(portal):
    content = b"\x89PNG\r\n\x1a\nanh-chan-dung"
    body = {
        "documents": ["Ảnh chân dung"],
        "files": [
            {"document": "Ảnh chân dung", "name": "anh.png", "content_base64": base64.b64encode(content).decode()},
            {"document": "Ảnh chân dung", "name": "sai.png", "content_base64": "eA==", "sha256": "0" * 64},
        ],
    }

    dossier = control(portal, "dossiers", body).json()["dossier"]

    given, wrong = dossier["files"]
    assert given["media_type"] == "image/png" and given["size"] == len(content)
    assert api(portal, "GET", f"{national_portal.FILES_PATH}/{given['id']}").content == content
    assert given["sha256"] == hashlib.sha256(content).hexdigest()
    assert wrong["sha256"] == "0" * 64  # advertised as the test asked, whatever the bytes
    assert dossier["documents"] == [{"name": "Ảnh chân dung", "copies": 1}]


def test_an_invalid_dossier_is_refused_naming_the_fields(portal, connector):
    answer = control(
        portal,
        "dossiers",
        {
            "procedure_code": "9.999999",
            "submitted_at": "2026-03-02 09:15",
            "return_method": "drone",
            "applicant": {"kind": "robot"},
            "notify": {"sms": "có"},
            "files": [{"name": "a.pdf", "content_base64": "không phải base64"}],
            "times": 0,
        },
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_dossier"
    assert set(answer.json()["fields"]) == {
        "procedure_code",
        "submitted_at",
        "return_method",
        "applicant.kind",
        "notify.sms",
        "files[0].content_base64",
        "times",
    }
    assert connector.pushes == []
    assert api(portal, "GET", national_portal.DOSSIERS_PATH).json()["dossiers"] == []


# the command


def test_the_command_serves_it_and_says_where(connector):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", *portal_sim.command(port, SECRET, connector.url)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith(f"national portal simulator on http://127.0.0.1:{port}")
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).json() == {"status": "ok"}
        assert requests.post(f"http://127.0.0.1:{port}/control/dossiers", json={}, timeout=5).json()["pushed"] == [202]
        assert connector.pushes[0]["valid"]
    finally:
        process.terminate()
        process.wait(timeout=10)
