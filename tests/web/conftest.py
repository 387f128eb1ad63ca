"""The web screens tested as people use them: the whole installation with the web
service, staff accounts made with `motcua user add`, and Debian's Chromium driven by
Playwright. This folder runs in a pytest of its own without eventlet
(MOTCUA_TEST_EVENTLET=0, see the Makefile): Playwright's loop needs real sockets."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from shared.config import ROOT, SERVICES
from tests.system import AGENCY, System

PASSWORD = "mat-khau-kiem-thu-2026"
# username -> (role, agency, department, full name)
STAFF = {
    "quay.test": ("counter", AGENCY, None, "Nguyễn Thị Quầy"),
    "qldt.test": ("officer", None, "QLDT", "Trần Văn Quản Lý"),
    "lanhdao.test": ("officer", None, "LANHDAO", "Phạm Lãnh Đạo"),
    "tuphap.test": ("officer", None, "TUPHAP", "Lê Tư Pháp"),
    "quantri.test": ("admin", None, None, "Hoàng Quản Trị"),
}
CHROMIUM = os.environ.get("MOTCUA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("MOTCUA_SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
COUNTER_SCREEN = {"width": 1366, "height": 768}
PHONE_SCREEN = {"width": 390, "height": 844}


def add_user(system, username, role, password, agency=None, department=None, full_name=None):
    """`motcua user add ... --password-stdin`, as an administrator would run it."""
    command = [sys.executable, "-m", "shared.cli", "user", "add", "--username", username, "--role", role]
    for flag, value in (("--agency", agency), ("--department", department), ("--full-name", full_name)):
        if value:
            command += [flag, value]
    return subprocess.run(
        command + ["--password-stdin"],
        input=password + "\n",
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="session")
def system(amqp_uri, database_server, tmp_path_factory):
    """The installation with its web service; intake trusts the web on this machine as
    the proxy of the citizens' lookups (their own address counts against the limit), and
    the web trusts this machine as its own proxy: a test stands for a citizen elsewhere
    with `X-Forwarded-For: 203.0.113.x`."""
    server, prefix = database_server
    installation = System(amqp_uri, server, prefix + "web_", tmp_path_factory.mktemp("web"))
    installation.service_env["intake"] = {"MOTCUA_TRUSTED_PROXIES": "127.0.0.1"}
    installation.service_env["web"] = {"MOTCUA_TRUSTED_PROXIES": "127.0.0.1"}
    names = ("carrier-sim", *SERVICES, "web")
    try:
        for name in names:
            installation.start(name)
        installation.wait_healthy(list(names))
        for username, (role, agency, department, full_name) in STAFF.items():
            done = add_user(installation, username, role, PASSWORD, agency, department, full_name)
            assert done.returncode == 0, done.stderr
        yield installation
    finally:
        installation.stop_all()


@pytest.fixture(scope="session")
def web_url(system):
    return system.url("web", "")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set MOTCUA_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # as root in a container, without the network calls a closed machine refuses
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, web_url):
    """new_page(viewport=COUNTER_SCREEN) -> a page in a fresh browser context (own cookies)."""
    contexts = []

    def make(viewport=COUNTER_SCREEN):
        context = browser.new_context(viewport=viewport, base_url=web_url, locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username, password=PASSWORD):
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return page


@pytest.fixture
def signed_in(new_page):
    """signed_in("quay.test") -> a page signed in as that staff member, on their start page."""

    def make(username, viewport=COUNTER_SCREEN):
        return sign_in(new_page(viewport), username)

    return make


def check_accessible(page, name=None):
    """axe-core on the page as it stands: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{name or page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad
    )


def screenshot(page, name):
    """var/screenshots/<name>.png (README shows two of them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


class Staff:
    """Form posts without a browser (requests), for what a browser would not do:
    leave out the CSRF token, guess passwords."""

    def __init__(self, web_url):
        self.base = web_url
        self.http = requests.Session()

    def csrf(self, path="/dang-nhap"):
        import re

        page = self.http.get(self.base + path, timeout=10)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, username, password=PASSWORD, with_token=True):
        form = {"username": username, "password": password}
        if with_token:
            form["csrf_token"] = self.csrf()
        return self.http.post(self.base + "/dang-nhap", data=form, allow_redirects=False, timeout=30)
