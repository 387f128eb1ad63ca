"""Accounts: `motcua user add`, sign-in and lockout, CSRF, the session cookie."""

import uuid

from tests.web.conftest import PASSWORD, Staff, add_user, check_accessible, screenshot, sign_in


def test_an_account_added_by_command_signs_in_and_lands_on_its_screen(system, web_url, new_page):
    username = f"quay.{uuid.uuid4().hex[:6]}"
    done = add_user(system, username, "counter", "mot-mat-khau-dai", agency="000.00.06.H56", full_name="Vũ Thị Mai")
    assert done.returncode == 0, done.stderr
    assert f"added {username} (counter, 000.00.06.H56)" in done.stdout
    listed = add_user(system, username, "counter", "mot-mat-khau-dai", agency="000.00.06.H56")
    assert listed.returncode != 0 and "đã có" in listed.stderr  # the same name twice: refused, nothing changed

    page = sign_in(new_page(), username, "mot-mat-khau-dai")
    assert page.url == web_url + "/quay"
    assert "Vũ Thị Mai" in page.locator("header").inner_text()


def test_a_short_password_or_a_counter_without_agency_is_refused_with_its_reason(system):
    short = add_user(system, "ngan.qua", "admin", "ngan")
    assert short.returncode != 0 and "password" in short.stderr
    no_agency = add_user(system, "khong.coquan", "counter", "mot-mat-khau-dai")
    assert no_agency.returncode != 0 and "agency" in no_agency.stderr


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(system, web_url):
    username = f"khoa.{uuid.uuid4().hex[:6]}"
    assert add_user(system, username, "admin", "dung-mat-khau-roi").returncode == 0
    staff = Staff(web_url)
    statuses = [staff.sign_in(username, "sai-mat-khau").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = staff.sign_in(username, "dung-mat-khau-roi")
    assert locked.status_code == 423 and "tạm khóa" in locked.text
    assert "motcua_session" not in staff.http.cookies


def test_a_form_posted_without_its_csrf_token_is_refused(system, web_url):
    staff = Staff(web_url)
    staff.csrf()  # the browser cookie exists; only the form field is missing
    refused = staff.sign_in("quay.test", with_token=False)
    assert refused.status_code == 403 and "Biểu mẫu đã hết hạn" in refused.text
    forged = staff.http.post(
        web_url + "/dang-nhap",
        data={"username": "quay.test", "password": PASSWORD, "csrf_token": "0" * 64},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403 and "motcua_session" not in staff.http.cookies
    # signed in, a form of the session needs the session's token: the one from before sign-in is refused
    before = staff.csrf()
    assert staff.sign_in("quay.test").status_code == 303
    sign_out = staff.http.post(web_url + "/dang-xuat", data={"csrf_token": before}, allow_redirects=False, timeout=10)
    assert sign_out.status_code == 403


def test_the_session_cookie_is_httponly_and_strict(system, web_url):
    answer = Staff(web_url).sign_in("quay.test")
    assert answer.status_code == 303 and answer.headers["Location"] == "/quay"
    cookie = next(c for c in answer.headers["Set-Cookie"].split(", motcua") if "motcua_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_page_of_staff_sends_a_stranger_to_sign_in_and_back(system, web_url, new_page):
    page = new_page()
    page.goto("/quan-tri")
    assert page.url.startswith(web_url + "/dang-nhap?next=/quan-tri")
    check_accessible(page, "sign-in")
    screenshot(page, "dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("quantri.test")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(web_url + "/quan-tri")


def test_sign_out_ends_the_session(system, web_url, signed_in):
    page = signed_in("quantri.test")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(web_url + "/dang-nhap")
    page.goto("/quan-tri")
    assert "/dang-nhap" in page.url
