"""portal: the connector to the national public service portal (Cổng Dịch vụ công
quốc gia). Entrypoints only: they translate events, timers and HTTP into the use cases
of application.py (writes) or adapters/queries.py (reads).

- statuses out: each dossier_status_changed of intake is kept, then sent by the
  sender's timer, in order per dossier, until the portal has it;
- dossiers in: the portal's signed push and the poll keep each portal dossier once;
  a timer hands them to intake with their files;
- the catalogue: the nightly pull (and `motcua portal catalog-pull`) keeps the local
  catalogue in step with the national one.
"""

import json
import logging
from datetime import time

from eventlet import GreenPool

from services.portal import application
from services.portal.adapters import queries
from services.portal.adapters.repository import PortalWork
from services.portal.answers import DIFFERENCES, OVERVIEW, PULL, PULLS, PUSHED, STATUS, STATUSES
from services.portal.dependencies import ConnectorAdapter
from services.portal.domain.errors import PortalRefused, PortalUnavailable, UnknownDossier
from services.portal.domain.model import nightly_pull_due
from services.portal.schemas import CodeQuery, PullBody, StatusPath
from shared import clock, national_portal, scope
from shared.events import EventType
from shared.http import ApiError, api, http, json_response, read_body
from shared.messaging import handles
from shared.service import ServiceBase
from shared.timer import every

log = logging.getLogger(__name__)

PUSH_MAX_BYTES = 1024 * 1024  # a dossier's description; its files are fetched, never pushed


def portal_signature(service, request):
    """A pushed dossier is the portal's only when signed with the shared secret."""
    raw = read_body(request, PUSH_MAX_BYTES)
    if not national_portal.verify(service.config["PORTAL_SECRET"], request.headers, raw):
        log.warning("portal push refused: wrong signature")
        raise ApiError(401, "bad_signature", "Chữ ký không hợp lệ")


def pull_time(config) -> time:
    return time.fromisoformat(str(config.get("PORTAL_CATALOG_PULL_AT") or "01:00"))


class PortalService(ServiceBase):
    name = "portal"
    work = PortalWork

    connector = ConnectorAdapter()

    def _works(self):
        return self.db.work(self.work)

    @property
    def _longest(self) -> float:
        return float(self.config.get("PORTAL_RETRY_MAX_SECONDS") or 30)

    # --- statuses out ----------------------------------------------------------------

    @handles("intake", EventType.DOSSIER_STATUS_CHANGED)
    def on_status_changed(self, env, work):
        application.record_status(work, env["dossier_code"], env["data"], clock.now())

    @every("PORTAL_SEND_SECONDS", 0.5)
    def send(self):
        """Send what the portal is owed; while it is out of reach, wait longer each time."""
        outage, now = self.connector.outage, clock.now()
        if outage.waiting(now):
            return
        pool = GreenPool(int(self.config.get("PORTAL_SENDERS") or 8))
        done = application.send_owed(self._works, self.connector.portal, clock.now, self._longest, run=pool.imap)
        if done.unavailable:
            outage.failed(done.unavailable, clock.now(), self._longest)
            if outage.failures == 1:
                log.warning("national portal out of reach (%s): statuses wait, retrying with backoff", done.unavailable)
            return
        was_out = outage.over(clock.now())
        if was_out is not None:
            log.info("national portal reachable again after %.0f s", was_out.total_seconds())
        if done.sent or done.refused:
            log.info(
                "sent %d status(es) to the portal (%d already there), %d refused",
                done.sent,
                done.duplicates,
                done.refused,
            )

    # --- dossiers in -------------------------------------------------------------------

    @http("POST", national_portal.PUSH_PATH)
    @api(
        before=portal_signature,
        max_bytes=PUSH_MAX_BYTES,
        answers={200: PUSHED},
        summary="a dossier submitted on the national portal, pushed by it (no token: the "
        "X-Portal-Signature is the authentication; shared/national_portal.py); the same "
        "portal number again answers duplicate and changes nothing",
    )
    def pushed(self, request):
        try:
            dossier = json.loads(request.get_data())
        except ValueError:
            raise ApiError(400, "invalid_input", "Nội dung không phải JSON") from None
        problems = application.dossier_problems(dossier)
        if problems:
            raise ApiError(400, "invalid_input", "Hồ sơ từ Cổng thiếu thông tin", problems)
        with self._works() as work:
            new = application.take_arrival(work, dossier, "push", clock.now())
        return json_response(
            200, {"result": "accepted" if new else "duplicate", "portal_reference": dossier["portal_reference"]}
        )

    @every("PORTAL_SEND_SECONDS", 0.5)
    def deliver(self):
        application.deliver_arrivals(
            self._works, self.connector.portal, self.connector.intake, clock.now, self._longest
        )

    @every("PORTAL_POLL_SECONDS", 30)
    def poll(self):
        """What a push missed: the portal's list since the last poll."""
        if self.connector.outage.waiting(clock.now()):
            return
        try:
            new = application.poll(self._works, self.connector.portal, clock.now)
        except (PortalUnavailable, PortalRefused) as exc:
            log.warning("poll of the portal's dossiers failed: %s", exc)
            return
        if new:
            log.info("poll: %d portal dossier(s) no push had brought", new)

    # --- the catalogue ---------------------------------------------------------------

    @every("PORTAL_CATALOG_CHECK_SECONDS", 60)
    def nightly_pull(self):
        """Once a day from PORTAL_CATALOG_PULL_AT (Vietnam's time); tried again later
        when the portal or intake could not be reached."""
        now = clock.now()
        with self._works() as work:
            done, tried = work.ledger.last_pulls()
        if nightly_pull_due(clock.local(now), pull_time(self.config), done, tried):
            application.pull_catalogue(
                self._works, self.connector.portal, self.connector.intake, now, "nightly", dry_run=False
            )

    @http("POST", "/api/portal/catalog/pull")
    @api(roles=("admin",), body=PullBody, answers={200: PULL}, summary="pull the national catalogue now")
    def pull(self, request, claims, body):
        report = application.pull_catalogue(
            self._works,
            self.connector.portal,
            self.connector.intake,
            clock.now(),
            scope.caller(claims),
            body["dry_run"],
        )
        return json_response(200, report)

    @http("GET", "/api/portal/catalog/differences")
    @api(roles=("admin",), answers={200: DIFFERENCES}, errors=(503,), summary="the staleness report, read live")
    def differences(self, request):
        today = clock.local(clock.now()).date()
        comparison = application.compare_catalogues(self.connector.portal, self.connector.intake, today)
        return json_response(
            200,
            {
                "on": today.isoformat(),
                "differences": comparison.differences,
                "unmapped": comparison.unmapped,
                "expiring": list(comparison.expiring),
                "entries": len(comparison.entries),
            },
        )

    @http("GET", "/api/portal/catalog/pulls")
    @api(roles=("admin",), answers={200: PULLS}, summary="the last catalogue pulls and their reports")
    def pulls(self, request):
        with self.db.transaction() as session:
            return json_response(200, {"pulls": queries.pulls(session)})

    # --- what the portal was told ------------------------------------------------------

    @http("GET", "/api/portal/statuses")
    @api(roles=("counter", "admin"), query=CodeQuery, answers={200: STATUSES}, errors=(404,))
    def statuses(self, request, query):
        code = query["dossier_code"]
        with self.db.transaction() as session:
            records = queries.records_of(session, code)
            if not records:
                raise UnknownDossier(f"Chưa có trạng thái nào của hồ sơ {code} gửi Cổng Dịch vụ công quốc gia")
            return json_response(200, {"dossier_code": code, "statuses": [queries.status_view(r) for r in records]})

    @http("POST", "/api/portal/statuses/<string:dossier_key>/<int:seq>/resend")
    @api(roles=("admin",), path=StatusPath, answers={200: STATUS}, errors=(404,))
    def resend(self, request, dossier_key, seq):
        with self._works() as work:
            record = application.resend(work, dossier_key, seq)
            if record is None:
                raise UnknownDossier(f"Không có trạng thái {national_portal.status_id(dossier_key, seq)}")
            return json_response(200, queries.status_view(record))

    @http("GET", "/api/portal/overview")
    @api(roles=("admin",), answers={200: OVERVIEW}, summary="how far the portal is from the register")
    def overview(self, request):
        outage = self.connector.outage
        with self.db.transaction() as session:
            answer = queries.overview(session)
        answer["portal"] = {
            "reachable": outage.since is None,
            "since": outage.since.isoformat() if outage.since else None,
            "reason": outage.reason,
            "url": self.config["PORTAL_URL"],
        }
        return json_response(200, answer)
