"""Input that cannot hurt: every bad input of issue 11 item 4 gets its 4xx in the
contract's error shape, from the running installation; the pure checks behind them
(digits, signatures, limits, client address, nesting, sandbox, redaction) in-process."""

import http.client
import json
import socket
import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from jinja2.exceptions import SecurityError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.intake.schemas import Submission
from services.notify.adapters.templates import Templates
from shared import clock, logs
from shared.db import make_engine
from shared.http import ApiError, client_address, load, read_json, trusted_networks
from shared.signing import fresh, sign, signature_ok
from tests.helpers import wait_for
from tests.system import ADMIN, COUNTER, SMS_RECEIPT_SECRET, dossier_body, officer

ID_NUMBER = dossier_body()["applicant"]["id_number"]
CARRIER_SECRET = "e2e-carrier-secret"  # tests/system.py
ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in ID_NUMBER)
FULLWIDTH = "".join(chr(0xFF10 + int(d)) for d in ID_NUMBER)


def applicant(**fields):
    return dossier_body(applicant={**dossier_body()["applicant"], **fields})


def nested(depth):
    """An object whose arrays nest so that the whole document is `depth` levels deep."""
    value = []
    for _ in range(depth - 2):
        value = [value]
    return {"x": value}


def refused(response, status, code=None, field=None):
    """The answer is `status` in the contract's error shape."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code:
        assert error["code"] == code, error
    if field:
        assert field in error["fields"], error
    return error


# --- in-process: the checks themselves ------------------------------------------------


@pytest.mark.parametrize("id_number", [ID_NUMBER + "\n", ARABIC_INDIC, FULLWIDTH, " " + ID_NUMBER, ID_NUMBER[:11]])
def test_id_number_is_twelve_ascii_digits_and_nothing_else(id_number):
    with pytest.raises(ApiError) as error:
        load(Submission, applicant(id_number=id_number))
    assert error.value.status == 400 and "id_number" in error.value.fields["applicant"]


@pytest.mark.parametrize(
    "phone",
    [
        "0912345678\n",
        "".join(chr(0x0660 + int(d)) for d in "0912345678"),
        "".join(chr(0xFF10 + int(d)) for d in "0912345678"),
        "  ".join("0912345678"),
    ],
)  # valid once spaces go, but longer than the column
def test_phone_is_ascii_digits_in_full(phone):
    with pytest.raises(ApiError) as error:
        load(Submission, applicant(phone=phone))
    assert "phone" in error.value.fields["applicant"]


def test_well_formed_identifiers_still_pass():
    data = load(Submission, applicant(id_number=ID_NUMBER, phone="+84 912 345 678"))
    assert data["applicant"]["id_number"] == ID_NUMBER


@pytest.mark.parametrize("signature", ["é" * 64, "z" * 64, "ab", "", None, sign("k", b"{}") + "\n"])
def test_malformed_signatures_are_simply_wrong(signature):
    assert signature_ok("k", b"{}", signature) is False


def test_a_right_signature_passes_in_either_case():
    assert signature_ok("k", b"{}", sign("k", b"{}")) and signature_ok("k", b"{}", sign("k", b"{}").upper())


def test_timestamps_outside_the_window_or_beyond_any_float_are_not_fresh():
    now = 1_800_000_000
    assert fresh(now - 299, 300, now=now) and not fresh(now - 301, 300, now=now)
    assert not fresh(10**400, 300, now=now) and not fresh("soon", 300, now=now)


def request_with(data=b"", remote="127.0.0.1", headers=None):
    return Request(
        EnvironBuilder(
            method="POST", data=data, headers=headers or {}, environ_base={"REMOTE_ADDR": remote}
        ).get_environ()
    )


@pytest.mark.parametrize(
    "document,status,code",
    [
        (nested(32), None, None),
        (nested(33), 400, "too_deep"),
        ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", 400, "too_deep"),  # past the parser's own recursion limit
        ('{"x": NaN}', 400, "malformed_json"),
    ],
)
def test_json_nesting_is_limited_to_32_levels(document, status, code):
    raw = document if isinstance(document, str) else json.dumps(document)
    if status is None:
        assert read_json(request_with(raw.encode())) == json.loads(raw)
        return
    with pytest.raises(ApiError) as error:
        read_json(request_with(raw.encode()))
    assert (error.value.status, error.value.code) == (status, code)


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    proxies = trusted_networks("10.0.0.5, 10.1.0.0/16")
    forwarded = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.1.2.3"}
    assert client_address(request_with(remote="198.51.100.9", headers=forwarded), proxies) == "198.51.100.9"
    assert client_address(request_with(remote="198.51.100.9", headers=forwarded), ()) == "198.51.100.9"
    # from our proxy: the right-most address that is not one of our proxies (6.6.6.6 is what the client wrote)
    assert client_address(request_with(remote="10.0.0.5", headers=forwarded), proxies) == "203.0.113.7"
    assert client_address(request_with(remote="10.0.0.5", headers={"X-Forwarded-For": "rác"}), proxies) == "10.0.0.5"
    assert client_address(request_with(remote="10.0.0.5"), proxies) == "10.0.0.5"


def test_notify_templates_are_sandboxed(tmp_path):
    (tmp_path / "dossier_received.sms.j2").write_text("{{ ''.__class__.__mro__ }} {{ code }}", encoding="utf-8")
    (tmp_path / "result_ready.sms.j2").write_text("Ho so {{ code }} da co ket qua", encoding="utf-8")
    templates = Templates(tmp_path)
    assert templates.render("result_ready", "sms", {"code": "X-1"})[2] == "Ho so X-1 da co ket qua"
    with pytest.raises(SecurityError):
        templates.render("dossier_received", "sms", {"code": "X-1"})


def test_log_lines_carry_no_full_id_phone_or_row_values():
    line = logs.redact(
        "applicant 031190001234, phone +84912345678, hoa@example.vn\nDETAIL:  Failing row contains "
        "(000.00.06.H56-261126-0001, 031190001234, 15 Lạch Tray, Ngô Quyền)."
    )
    for secret in ("031190001234", "84912345678", "hoa@", "Lạch Tray"):
        assert secret not in line
    assert line.startswith("applicant *********234, phone +********678, h***@example.vn")


def test_engines_do_not_put_bound_parameters_in_errors(database_server):
    server, _ = database_server
    engine = make_engine(server, pool_size=1)
    try:
        with pytest.raises(sa.exc.DBAPIError) as failure, engine.connect() as conn:
            conn.execute(sa.text("SELECT 1 / 0 WHERE :id_number IS NOT NULL"), {"id_number": ID_NUMBER})
    finally:
        engine.dispose()
    assert ID_NUMBER not in str(failure.value) and "hidden" in str(failure.value)


# --- the running installation ---------------------------------------------------------

pytest_e2e = pytest.mark.e2e


def post(system, service, path, headers=None, **kwargs):
    return requests.post(system.url(service, path), headers=headers or {}, timeout=15, **kwargs)


def signed(system, path, raw, secret, signature=None):
    signature = sign(secret, raw) if signature is None else signature
    service = "postal" if "carrier" in path else "notify"
    return post(system, service, path, data=raw, headers={"Content-Type": "application/json", "X-Signature": signature})


@pytest_e2e
@pytest.mark.parametrize(
    "name,fields",
    [
        ("id with a trailing newline", {"id_number": ID_NUMBER + "\n"}),
        ("arabic-indic id", {"id_number": ARABIC_INDIC}),
        ("fullwidth id", {"id_number": FULLWIDTH}),
        ("phone with a trailing newline", {"phone": "0912345678\n"}),
    ],
)
def test_identifiers_that_used_to_reach_the_database_get_400(system, name, fields):
    before = system.scalar("intake", "SELECT count(*) FROM dossiers")
    error = refused(post(system, "intake", "/api/dossiers", COUNTER, json=applicant(**fields)), 400, "invalid_input")
    assert set(error["fields"]["applicant"]) == set(fields)
    assert system.scalar("intake", "SELECT count(*) FROM dossiers") == before


@pytest_e2e
@pytest.mark.parametrize(
    "received_at", ["9999-12-31T23:59:59+07:00", "0001-01-01T00:00:00+07:00", "2028-01-01T08:00:00+07:00"]
)
def test_received_at_out_of_range_is_400(system, received_at):
    answer = requests.get(
        system.url("intake", "/api/calendar/due"),
        headers=COUNTER,
        timeout=15,
        params={"procedure_code": "2.000635", "received_at": received_at},
    )
    refused(answer, 400, "invalid_input", "received_at")


@pytest_e2e
def test_received_at_within_the_year_still_answers(system):
    answer = requests.get(
        system.url("intake", "/api/calendar/due"),
        headers=COUNTER,
        timeout=15,
        params={"procedure_code": "2.000635", "received_at": "2026-12-10T16:00:00+07:00"},
    )
    assert answer.status_code == 200, answer.text


@pytest_e2e
@pytest.mark.parametrize(
    "method,path,kwargs,field",
    [
        ("GET", "/api/procedures?at=9999-12-31", {}, "at"),
        ("GET", "/api/procedures?at=0001-01-01", {}, "at"),
        ("GET", "/api/procedures/2.000635?at=9999-12-31", {}, "at"),
        ("PUT", "/api/calendar/overrides/9999-12-31", {"json": {"kind": "day_off"}}, "day"),
        ("DELETE", "/api/calendar/overrides/0001-01-01", {}, "day"),
        ("POST", "/api/procedures/2.000635/expire", {"json": {"last_day": "9999-12-31"}}, "last_day"),
    ],
)
def test_days_out_of_range_never_500(system, method, path, kwargs, field):
    answer = requests.request(method, system.url("intake", path), headers=ADMIN, timeout=15, **kwargs)
    refused(answer, 400, "invalid_input", field)


@pytest_e2e
def test_catalogue_dates_out_of_range_are_400(system):
    entry = {
        "code": "3.000888",
        "name": "Thủ tục thử ngày",
        "field": "Thử",
        "level": 2,
        "agency_code": "000.00.06.H56",
        "duration_days": 2,
        "route": [{"department": "TCKH", "days": 2}],
        "fees": [],
        "documents": ["Đơn"],
        "return_methods": ["counter"],
        "supplement_clock": "pause",
        "cutoff": None,
        "effective_from": "0001-01-01",
        "effective_to": "9999-12-31",
        "legal_basis": "",
    }
    error = refused(post(system, "intake", "/api/procedures/import", ADMIN, json={"procedures": [entry]}), 400)
    assert {"effective_from", "effective_to"} <= set(error["fields"]["procedures"]["0"])


@pytest_e2e
def test_an_extension_more_than_a_year_after_the_due_date_is_400(system):
    answer = post(system, "intake", "/api/dossiers", COUNTER, json=dossier_body(procedure="1.001776"))
    assert answer.status_code == 201, answer.text
    code, due = answer.json()["code"], datetime.fromisoformat(answer.json()["due_at"])
    url = system.url("processing", f"/api/dossiers/{code}/extension")

    def extend(new_due):
        return requests.post(
            url,
            headers=ADMIN,
            timeout=15,
            json={"reason": "Cần xác minh thêm tại thực địa", "new_due_at": new_due.isoformat()},
        )

    # processing knows the dossier once it has handled dossier_received
    wait_for(lambda: extend(due - timedelta(days=1)).status_code != 404, timeout=60, message="case in processing")
    refused(extend(due + timedelta(days=730)), 400, "invalid_input", "new_due_at")  # two years out
    refused(extend(due + timedelta(days=400)), 400, "invalid_input", "new_due_at")  # more than a year after due
    refused(extend(datetime(1, 1, 2, tzinfo=clock.TZ)), 400, "invalid_input", "new_due_at")
    assert extend(due + timedelta(days=10)).status_code == 200


@pytest_e2e
def test_json_nested_33_deep_is_400_wherever_a_body_is_read(system):
    deep = json.dumps(nested(33)).encode()
    refused(
        post(system, "intake", "/api/dossiers", {**COUNTER, "Content-Type": "application/json"}, data=deep),
        400,
        "too_deep",
    )
    refused(post(system, "intake", "/api/lookup", {"Content-Type": "application/json"}, data=deep), 400, "too_deep")
    refused(signed(system, "/api/carrier/callback", deep, CARRIER_SECRET), 400, "too_deep")
    refused(signed(system, "/api/sms/receipts", deep, SMS_RECEIPT_SECRET), 400, "too_deep")


@pytest_e2e
@pytest.mark.parametrize(
    "path,secret", [("/api/carrier/callback", CARRIER_SECRET), ("/api/sms/receipts", SMS_RECEIPT_SECRET)]
)
@pytest.mark.parametrize(
    "signature", ["é" * 64, "chữ-ký".encode(), "z" * 64, "abc123"], ids=["latin-1", "utf-8", "not hex", "short"]
)
def test_a_malformed_signature_header_is_401(system, path, secret, signature):
    raw = json.dumps({"status": "delivered", "timestamp": int(time.time())}).encode()
    refused(signed(system, path, raw, secret, signature), 401, "bad_signature")


@pytest_e2e
@pytest.mark.parametrize(
    "path,secret", [("/api/carrier/callback", CARRIER_SECRET), ("/api/sms/receipts", SMS_RECEIPT_SECRET)]
)
def test_a_callback_body_over_64_kb_is_413(system, path, secret):
    raw = json.dumps({"status": "delivered", "padding": "x" * (65 * 1024)}).encode()
    refused(signed(system, path, raw, secret), 413, "body_too_large")


@pytest_e2e
def test_a_replayed_sms_receipt_is_401_stale(system):
    body = {"reference": str(uuid.uuid4()), "status": "delivered"}
    stale = json.dumps({**body, "timestamp": int(time.time()) - 3600}).encode()
    refused(signed(system, "/api/sms/receipts", stale, SMS_RECEIPT_SECRET), 401, "stale_callback")
    missing = json.dumps(body).encode()
    refused(signed(system, "/api/sms/receipts", missing, SMS_RECEIPT_SECRET), 400, "invalid_input", "timestamp")
    # the same receipt sent now passes the checks and reaches the register, which does not know it
    recent = json.dumps({**body, "timestamp": int(time.time())}).encode()
    refused(signed(system, "/api/sms/receipts", recent, SMS_RECEIPT_SECRET), 404, "unknown_message")


@pytest_e2e
def test_a_stalled_body_does_not_hold_the_service(system):
    """Headers and half the announced body, then nothing: the others are served
    meanwhile, and the stalled client gets a 408 within the read timeout (3 s in
    tests/system.py)."""
    stalled = socket.create_connection(("127.0.0.1", system.ports["postal"]), timeout=30)
    try:
        stalled.sendall(
            b"POST /api/carrier/callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Signature: " + b"0" * 64 + b"\r\nContent-Length: 1000\r\n\r\n" + b"{" + b" " * 99
        )
        started = time.monotonic()
        for _ in range(3):
            assert requests.get(system.url("postal", "/health"), timeout=5).status_code == 200
        answer = stalled.recv(65536)
        waited = time.monotonic() - started
    finally:
        stalled.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"request_timeout"' in answer and waited < 15


LOOKUP_PEER = "127.0.0.91"  # a client address of its own: the per-client limit is not shared with other tests


def lookup_from(system, source, body, headers=None, method="POST", path="/api/lookup"):
    conn = http.client.HTTPConnection("127.0.0.1", system.ports["intake"], timeout=15, source_address=(source, 0))
    try:
        conn.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest_e2e
def test_lookup_by_url_is_405_and_says_to_post(system):
    answer = requests.get(system.url("intake", "/api/lookup"), params={"code": "x", "id_number": ID_NUMBER}, timeout=15)
    error = refused(answer, 405, "method_not_allowed")
    assert "POST" in error["message"] and "CCCD" in error["message"] and answer.headers["Allow"] == "POST"


@pytest_e2e
def test_six_wrong_id_numbers_lock_that_code_only(system):
    first = post(system, "intake", "/api/dossiers", COUNTER, json=dossier_body()).json()["code"]
    second = post(system, "intake", "/api/dossiers", COUNTER, json=dossier_body()).json()["code"]
    wrong = [lookup_from(system, LOOKUP_PEER, {"code": first, "id_number": "031190009999"})[0] for _ in range(5)]
    assert wrong == [404] * 5
    status, headers, body = lookup_from(system, LOOKUP_PEER, {"code": first, "id_number": "031190009999"})
    assert status == 429 and json.loads(body)["error"]["code"] == "too_many_wrong_ids"
    status, _, body = lookup_from(system, LOOKUP_PEER, {"code": first, "id_number": ID_NUMBER})
    assert status == 429, "the right ID number waits for the hour too"
    status, headers, body = lookup_from(system, LOOKUP_PEER, {"code": second, "id_number": ID_NUMBER})
    assert status == 200 and json.loads(body)["code"] == second
    assert headers["Cache-Control"] == "no-store" and ID_NUMBER.encode() not in body


@pytest_e2e
def test_forwarded_for_from_an_untrusted_peer_is_ignored(system):
    # MOTCUA_TRUSTED_PROXIES is empty: every request counts against the peer, whatever it claims
    statuses = [
        lookup_from(
            system,
            "127.0.0.92",
            {"code": f"khong-co-{i}", "id_number": ID_NUMBER},
            {"X-Forwarded-For": f"198.51.100.{i}"},
        )[0]
        for i in range(31)
    ]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    assert lookup_from(system, "127.0.0.93", {"code": "khong-co", "id_number": ID_NUMBER})[0] == 404


@pytest_e2e
def test_the_lookup_page_posts_and_answers_a_page(system):
    code = post(system, "intake", "/api/dossiers", COUNTER, json=dossier_body()).json()["code"]
    page = requests.get(system.url("intake", "/tra-cuu"), params={"code": code}, timeout=15)
    assert 'method="post"' in page.text and 'action="/tra-cuu"' in page.text
    found = requests.post(system.url("intake", "/tra-cuu"), data={"code": code, "id_number": ID_NUMBER}, timeout=15)
    assert found.status_code == 200 and code in found.text and "Đã tiếp nhận" in found.text
    assert ID_NUMBER not in found.text and found.headers["Cache-Control"] == "no-store"
    wrong = requests.post(
        system.url("intake", "/tra-cuu"), data={"code": code, "id_number": "031190009999"}, timeout=15
    )
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in wrong.text
    malformed = requests.post(
        system.url("intake", "/tra-cuu"), data={"code": code, "id_number": ID_NUMBER + "x"}, timeout=15
    )
    assert malformed.status_code == 400 and "12 chữ số" in malformed.text


def assert_page_headers(response, script=False):
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert ("script-src 'sha256-" in policy) == script
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest_e2e
def test_pages_carry_the_security_headers(system):
    code = post(system, "intake", "/api/dossiers", COUNTER, json=dossier_body(procedure="1.001776")).json()["code"]
    receipt = requests.get(system.url("intake", f"/api/dossiers/{code}/receipt"), headers=COUNTER, timeout=15)
    assert_page_headers(receipt, script=True)
    assert "onclick" not in receipt.text
    assert_page_headers(requests.get(system.url("intake", "/tra-cuu"), timeout=15))
    slip_url = system.url("processing", f"/api/dossiers/{code}/control-slip?format=html")
    slip = wait_for(
        lambda: (r := requests.get(slip_url, headers=officer("QLDT"), timeout=15)).status_code == 200 and r,
        timeout=60,
        message="control slip",
    )
    assert_page_headers(slip)


@pytest_e2e
@pytest.mark.parametrize(
    "service,path,headers",
    [
        ("intake", "/api/dossiers/{code}", COUNTER),
        ("intake", "/api/nothing-here", {}),
        ("postal", "/health", {}),
        ("notify", "/api/notifications?dossier_code={code}", COUNTER),
    ],
)
def test_json_answers_are_not_sniffed_nor_stored(system, service, path, headers):
    code = post(system, "intake", "/api/dossiers", COUNTER, json=dossier_body()).json()["code"]
    answer = requests.get(system.url(service, path.format(code=code)), headers=headers, timeout=15)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["Cache-Control"] == "no-store"


@pytest_e2e
def test_a_database_failure_leaves_no_personal_data_in_the_log(system):
    """The failure the issue saw (a row PostgreSQL refused, logged whole), forced with
    a check constraint the row breaks: the client gets the contract's 500, the log
    says what failed, and neither carries the ID number, phone or address."""
    person = {"id_number": "031190007777", "phone": "0912000111", "address": "27 Phố Bí Mật, Lê Chân, Hải Phòng"}
    log_file = system.logdir / "intake.log"
    with system.engine("intake").begin() as conn:
        conn.execute(
            sa.text(
                "ALTER TABLE dossiers ADD CONSTRAINT test_refuses_this_phone "
                "CHECK (phone IS DISTINCT FROM '0912000111')"
            )
        )
    try:
        answer = post(system, "intake", "/api/dossiers", COUNTER, json=applicant(**person))
    finally:
        with system.engine("intake").begin() as conn:
            conn.execute(sa.text("ALTER TABLE dossiers DROP CONSTRAINT test_refuses_this_phone"))
    error = refused(answer, 500, "internal_error")
    assert person["id_number"] not in json.dumps(error)
    text = wait_for(
        lambda: (t := log_file.read_text(encoding="utf-8", errors="replace")) and "test_refuses_this_phone" in t and t,
        message="the failure in the log",
    )
    for value in person.values():
        assert value not in text, value


@pytest.mark.parametrize("key", ["k" * 201, "có dấu", "two words", ""])
def test_an_idempotency_key_that_could_not_be_kept_is_400(system, key):
    for service, path, body in (
        ("intake", "/api/dossiers", dossier_body()),
        ("postal", "/api/pickups", {"address": "1 Lạch Tray"}),
    ):
        answer = requests.post(
            system.url(service, path),
            json=body,
            timeout=10,
            headers={**COUNTER, "Idempotency-Key": key.encode("utf-8")},
        )
        assert answer.status_code == 400, (path, answer.text)
        assert "Idempotency-Key" in answer.json()["error"]["fields"], answer.text
