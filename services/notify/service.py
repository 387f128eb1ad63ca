"""notify: messages to citizens (SMS and e-mail). Thin entrypoints only."""
import logging

from nameko.timer import timer
from nameko.dependency_providers import Config

from shared import health, logs
from shared.auth import Auth
from shared.db import Database
from shared.http import ApiError, api, http, json_response
from shared.messaging import handles
from shared.reliability import first_time
from shared.relay import OutboxRelay
from services.notify import messages
from services.notify.dependencies import TemplateStore

log = logging.getLogger(__name__)


class NotifyService:
    name = "notify"

    config = Config()
    db = Database()
    relay = OutboxRelay()
    auth = Auth()
    templates = TemplateStore()

    @http("GET", "/health")
    def health(self, request):
        return health.check(self.db, self.config["AMQP_URI"])

    def _notify(self, env, remember=False):
        with logs.about(env["dossier_code"], env.get("correlation_id")):
            with self.db.transaction() as session:
                if not first_time(session, f"notify.{env['event_type']}", env):
                    return
                if remember:
                    messages.remember_recipient(session, env)
                ids = messages.compose(session, env, self.templates)
            self._deliver(ids)

    def _deliver(self, ids):
        for message_id in ids:
            with self.db.transaction() as session:
                message = messages.deliver_locally(session, message_id)
            if message:
                log.info("%s message for %s delivered", message.channel, message.event_type)

    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        self._notify(env, remember=True)

    @handles("processing", "result_ready")
    def on_result_ready(self, env):
        self._notify(env)

    @handles("intake", "dossier_returned")
    def on_dossier_returned(self, env):
        self._notify(env)

    @timer(interval=5)
    def sweep(self):
        """Deliver messages that a crash left in `created`."""
        with self.db.transaction() as session:
            ids = messages.stuck(session, float(self.config.get("SWEEP_SECONDS", 5)))
        self._deliver(ids)

    @http("GET", "/api/notifications")
    @api
    def notifications(self, request):
        self.auth.require(request, "counter", "officer", "admin")
        code = request.args.get("dossier_code")
        if not code:
            raise ApiError(400, "invalid_input", "Cần mã hồ sơ", {"dossier_code": ["Bắt buộc"]})
        with self.db.transaction() as session:
            return json_response(200, {"dossier_code": code, "notifications": messages.listing(session, code)})
