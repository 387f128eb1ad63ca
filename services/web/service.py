"""web: the office's screens. Pages render on the server (Jinja2, htmx served here)
and call the other services' public APIs with the signed-in person's token; this
service keeps only the staff accounts and their sessions. Each area's pages are a
mixin in services/web/pages/."""

import logging

from nameko.dependency_providers import Config

from services.web import application
from services.web.adapters.passwords import Argon2Hasher
from services.web.adapters.repository import WebWork
from services.web.backends import Backends
from services.web.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from services.web.pages.account import AccountPages
from services.web.pages.admin import AdminPages
from services.web.pages.citizen import CitizenPages
from services.web.pages.counter import CounterPages
from services.web.pages.department import DepartmentPages
from services.web.pages.payments import PaymentPages
from services.web.pages.portal import PortalPages
from services.web.pages.register import RegisterPages
from shared import clock, config
from shared.db import Database

log = logging.getLogger(__name__)


class WebService(
    AccountPages, CounterPages, DepartmentPages, CitizenPages, AdminPages, RegisterPages, PaymentPages, PortalPages
):
    name = "web"
    config = Config()
    db = Database()
    backends = Backends()
    hasher = Argon2Hasher()


def on_start(sessions, cfg):
    """Run once by the runner after migrations: development mode's demo accounts."""
    if not config.development_mode():
        return
    with sessions.work(WebWork) as work:
        for demo in DEMO_ACCOUNTS:
            if work.accounts.get(demo["username"]) is None:
                application.add_account(
                    work,
                    WebService.hasher,
                    username=demo["username"],
                    full_name=demo["full_name"],
                    role=demo["role"],
                    agency=demo.get("agency"),
                    department=demo.get("department"),
                    password=DEMO_PASSWORD,
                    now=clock.now(),
                )
    log.info("demo accounts ready (password %s): %s", DEMO_PASSWORD, ", ".join(d["username"] for d in DEMO_ACCOUNTS))
