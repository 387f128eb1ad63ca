"""Sign-in, sign-out, the start page, the static files and /health."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from services.web import application
from services.web.adapters.repository import WebWork
from services.web.domain.errors import AccountLocked
from services.web.pages.base import HERE, Pages, home_of, page, safe_next
from shared import health, metrics
from shared.http import describe, http

STATIC = HERE / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class AccountPages(Pages):
    @http("GET", "/health")
    @describe(summary="the web service's database answers")
    def health(self, request: Any) -> Response:
        return health.check(self.db, None)

    @http("GET", "/metrics")
    @describe(summary="Prometheus metrics of the web process (page timings)")
    def metrics(self, request: Any) -> Response:
        return metrics.process_response(request)

    @http("GET", "/static/<string:name>")
    def static(self, request: Any, name: str) -> Response:
        path = STATIC / Path(name).name
        if path.suffix not in STATIC_TYPES or not path.is_file():
            return Response("Không có tệp này", status=404, mimetype="text/plain")
        # the file names carry their version (htmx-2.0.11.min.js): cached for a year
        cache = "public, max-age=31536000, immutable" if path.name.count(".") > 1 else "public, max-age=3600"
        return Response(path.read_bytes(), mimetype=STATIC_TYPES[path.suffix], headers={"Cache-Control": cache})

    @http("GET", "/")
    @page()
    def start(self, request: Any, view: Any) -> Response:
        if view.user is not None:
            return view.redirect(home_of(view.user))
        return view.render("start.html")

    @http("GET", "/dang-nhap")
    @page()
    def sign_in_form(self, request: Any, view: Any) -> Response:
        if view.user is not None:
            return view.redirect(safe_next(request.args.get("next"), home_of(view.user)))
        return view.render("sign_in.html", next=safe_next(request.args.get("next"), ""), username="")

    @http("POST", "/dang-nhap")
    @page()
    def sign_in(self, request: Any, view: Any) -> Response:
        username = view.form.get("username", "").strip().lower()
        password = view.form.get("password", "")
        target = view.form.get("next", "")
        with self.db.work(WebWork) as work:
            attempt = application.sign_in(
                work,
                self.hasher,
                username,
                password,
                view.now,
                view.idle(),
                view.longest(),
            )
        if attempt.refusal is not None:
            status = 423 if isinstance(attempt.refusal, AccountLocked) else 401
            return view.render(
                "sign_in.html",
                status=status,
                message=attempt.refusal.message,
                next=safe_next(target, ""),
                username=username,
            )
        account, key = attempt.account, attempt.key
        assert account is not None and key is not None  # no refusal: signed in
        view.start_session(key)
        return view.redirect(safe_next(target, home_of(account)), flash=f"Xin chào {account.full_name}")

    @http("POST", "/dang-xuat")
    @page()
    def sign_out(self, request: Any, view: Any) -> Response:
        with self.db.work(WebWork) as work:
            application.sign_out(work, view.session_key)
        view.end_session()
        return view.redirect("/dang-nhap", flash="Bạn đã đăng xuất")
