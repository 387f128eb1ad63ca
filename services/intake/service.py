"""intake: the one-stop counter (Bộ phận Một cửa). Entrypoints only: HTTP and events
become calls of application.py (writes, in one unit of work) or adapters/queries.py
(reads)."""

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import eventlet
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.intake import answers, application, dependencies
from services.intake.adapters import catalogue_report, idempotency, pages, queries, register, register_book, statistics
from services.intake.adapters.repository import IntakeWork
from services.intake.domain import policies
from services.intake.domain.errors import DossierIncomplete, DossierNotFound, FileNotFound
from services.intake.domain.model import PAYMENT_DAYS, Actor
from services.intake.schemas import (
    DEMO_CATALOGUE,
    Acceptance,
    BookQuery,
    CalendarDaysQuery,
    CalendarOverrideBody,
    CatalogueFile,
    CatalogueReportQuery,
    DayPath,
    DayQuery,
    DossierListQuery,
    DueQuery,
    Expiry,
    FileForm,
    FileLinkQuery,
    FilePath,
    Guidance,
    ImportQuery,
    LookupPageQuery,
    LookupQuery,
    Reason,
    Submission,
    SummaryQuery,
    Supplement,
    catalogue_file,
)
from shared import clock, exports, file_links, logs, scope, uploads
from shared.domain import DomainError, NotFound
from shared.errors import http_error
from shared.events import EventType
from shared.files import FileCorrupted, FileMissing, sweep
from shared.http import (
    ApiError,
    api,
    client_address,
    describe,
    error_response,
    html_response,
    http,
    json_response,
    load,
    read_body,
)
from shared.messaging import handles
from shared.openapi import Media, multipart_body
from shared.service import ServiceBase
from shared.timer import every

log = logging.getLogger(__name__)

STAFF = ("counter", "officer", "admin")
CATALOGUE_MAX_BYTES = 8 * 1024 * 1024  # a province's whole catalogue in one file
LOOKUP_MAX_BYTES = 4 * 1024  # a code and an ID number

# what the register follows of the other services
PROCESSING_EVENTS = (
    EventType.PROCESSING_STARTED,
    EventType.DOSSIER_TRANSFERRED,
    EventType.SUPPLEMENT_REQUESTED,
    EventType.DOSSIER_REJECTED,
    EventType.DEADLINE_EXTENDED,
    EventType.DOSSIER_OVERDUE,
    EventType.RESULT_READY,
)
POSTAL_EVENTS = (
    EventType.SHIPMENT_CREATED,
    EventType.SHIPMENT_DELIVERED,
    EventType.SHIPMENT_FAILED,
    EventType.SHIPMENT_RETURNED,
)


def actor_of(claims):
    return Actor(sub=claims["sub"], role=claims["role"], agency=claims.get("agency"))


def admit_lookup(service, request):
    """The lookup's rate limits come before anything of the request is read."""
    dependencies.admit(service.lookups, client_address(request, service.lookups.trusted_proxies))


class IntakeService(ServiceBase):
    name = "intake"
    work = IntakeWork

    lookups = dependencies.LookupLimiter()
    dossier_scope = scope.DossierScope()
    files = dependencies.Files()
    processing_rpc = RpcProxy("processing")  # the result files processing refers to (the sweep)

    # --- dossiers -------------------------------------------------------------

    @http("POST", "/api/dossiers")
    @api(
        roles=("counter", "portal"),
        body=Submission,
        idempotent=True,
        answers={201: answers.SUBMISSION, 200: answers.SUBMISSION},
        errors=(403, 409, 422),
    )
    def submit(self, request, claims, body, sent):
        data, body = body, sent  # the Idempotency-Key is checked against the body as sent
        key, caller = request.headers.get("Idempotency-Key"), scope.caller(claims)
        with self.db.work(self.work) as work:
            earlier = idempotency.claim(work.session, caller, key, body)
            if earlier:
                return json_response(*earlier)
            if data.get("portal_reference"):
                dossier, procedure, new = application.submit_from_portal(
                    work, data, actor_of(claims), clock.now(), self.pay_days
                )
            else:
                dossier, procedure = application.submit(work, data, actor_of(claims), clock.now(), self.pay_days)
                new = True
            answer = queries.submission_answer(dossier, procedure)
            idempotency.remember(work.session, caller, key, 201 if new else 200, answer)
        if not new:
            return json_response(200, answer)
        with logs.about(dossier.code, dossier.correlation_id):  # the code, or the reference until reception
            log.info(
                "dossier %s for procedure %s (applicant %s %s)",
                dossier.status,
                procedure.code,
                dossier.applicant_kind,
                logs.mask_id(dossier.identifier()),
            )
        return json_response(201, answer)

    @http("GET", "/api/dossiers")
    @api(
        roles=STAFF,
        query=DossierListQuery,
        answers={200: answers.DOSSIER_LIST},
        errors=(422,),
        summary="the register's search in the reader's scope (shared.scope), newest first, a page at a time",
    )
    def list_dossiers(self, request, claims, query):
        with self.db.transaction() as session:
            page = register.search(session, claims, **query)
        return json_response(200, page)

    @http("GET", "/api/dossiers/<string:code>")
    @api(roles=STAFF, answers={200: answers.DOSSIER}, errors=(403,))
    def get_dossier(self, request, code, claims):
        departments = self.dossier_scope.departments_for(claims, code)  # before the transaction: no connection held
        with self.db.transaction() as session:
            dossier = queries.readable_dossier(session, code, claims, departments)
            return json_response(200, queries.dossier_view(session, dossier))

    def _counter_action(self, claims, action):
        """A counter action (application.accept, refuse, ...) and the dossier after it."""
        with self.db.work(self.work) as work:
            dossier = action(work, actor_of(claims), clock.now())
            view = queries.dossier_view(work.session, dossier)
        return json_response(200, view)

    # an empty body is an empty form (accept with nothing missing)
    @http("POST", "/api/dossiers/<string:code>/accept")
    @api(
        roles=("counter",), body=Acceptance, body_optional=True, answers={200: answers.DOSSIER}, errors=(403, 409, 422)
    )
    def accept(self, request, code, claims, body):
        try:
            return self._counter_action(
                claims,
                lambda work, actor, now: application.accept(
                    work,
                    code,
                    body["missing_documents"],
                    body["note"],
                    actor,
                    now,
                    link=file_links.signer(now),
                    pay_days=self.pay_days,
                ),
            )
        except DossierIncomplete:
            # the refusal changed nothing; the guidance is kept on its own for Form 02
            with self.db.work(self.work) as work:
                application.keep_guidance(
                    work, code, body["missing_documents"], body["note"], actor_of(claims), clock.now()
                )
            raise

    @http("POST", "/api/dossiers/<string:code>/refuse")
    @api(roles=("counter",), body=Reason, answers={200: answers.DOSSIER}, errors=(403, 409))
    def refuse(self, request, code, claims, body):
        return self._counter_action(
            claims, lambda work, actor, now: application.refuse(work, code, body["reason"], actor, now)
        )

    # {code} is the dossier code or the submission reference, on every dossier URL. The
    # portal supplements and withdraws the online dossiers it submitted (Decree
    # 61/2018/NĐ-CP Art. 17); anyone else's answer the 404 of a code that does not exist.
    @http("POST", "/api/dossiers/<string:code>/supplement")
    @api(roles=("counter", "portal"), body=Supplement, answers={200: answers.DOSSIER}, errors=(403, 409, 422))
    def supplement(self, request, code, claims, body):
        return self._counter_action(
            claims,
            lambda work, actor, now: application.supplement(
                work, code, body["documents"], actor, now, link=file_links.signer(now)
            ),
        )

    @http("POST", "/api/dossiers/<string:code>/withdraw")
    @api(roles=("counter", "portal"), body=Reason, answers={200: answers.DOSSIER}, errors=(403, 409))
    def withdraw(self, request, code, claims, body):
        return self._counter_action(
            claims, lambda work, actor, now: application.withdraw(work, code, body["reason"], actor, now)
        )

    @http("POST", "/api/dossiers/<string:code>/return")
    @api(roles=("counter",), answers={200: answers.DOSSIER}, errors=(403, 409))
    def hand_back(self, request, code, claims):
        return self._counter_action(claims, lambda work, actor, now: application.hand_back(work, code, actor, now))

    # --- files ----------------------------------------------------------

    @http("POST", "/api/dossiers/<string:code>/files")
    @multipart_body(FileForm)
    @api(
        roles=("counter", "portal"),
        answers={201: answers.FILE},
        errors=(403, 408, 409, 411, 413, 415, 422),
        summary="attach a file (PDF, JPEG, PNG; at most 20 MB, 100 MB a dossier) to a dossier that can take papers",
    )
    def upload_file(self, request, code, claims):
        """The counter (its agency's dossiers: 403 for another's) or the portal (the
        online dossiers it submitted: 404 for anyone else's). Everything that can be
        checked is checked before the body is read; the file part streams into the
        store (type sniffed, hash and size counted on the way), then the row refers to
        it. A refusal after the store answered leaves the content unreferenced: the
        sweep removes it after 24 hours."""
        actor = actor_of(claims)
        uploads.refuse_early(request, policies.MAX_FILE_BYTES)
        with self.db.work(self.work) as work:
            named = application.check_attachable(work, code, actor)

        def before_file(fields):
            if fields.get("document"):
                application.check_document(named, fields["document"])

        upload = uploads.receive(
            request, lambda reader: self.files.put(reader, policies.MAX_FILE_BYTES), before_file=before_file
        )
        form = load(FileForm, {"file": "-", "document": upload.fields.get("document")})
        stored, now = upload.stored, clock.now()
        with self.db.work(self.work) as work:
            file = application.attach_file(
                work,
                code,
                actor,
                document=form["document"],
                name=upload.filename,
                sha256=stored.sha256,
                size=stored.size,
                media_type=stored.media_type,
                now=now,
                link=file_links.signer(now),
            )
            answer, dossier_code = queries.file_view(file), file.dossier_code
        with logs.about(dossier_code):
            log.info("file %s (%s, %d bytes) attached", answer["id"], stored.media_type, stored.size)
        return json_response(201, answer)

    @http("GET", "/api/files/<string:id>")
    @api(
        path=FilePath,
        query=FileLinkQuery,
        answers={
            200: Media(
                {"application/pdf": None, "image/jpeg": None, "image/png": None},
                description="the file's bytes, checked against its SHA-256 while streaming",
            )
        },
        errors=(401, 403, 404),
        summary="a dossier's file: for staff whose scope includes the dossier (Bearer token), "
        "or through a signed link (?expires=&signature=, 15 minutes) without a token",
    )
    def get_file(self, request, id, query):
        now = clock.now()
        if query["signature"] is not None or query["expires"] is not None:
            if not file_links.valid(id, query["expires"], query["signature"], now):
                raise ApiError(403, "invalid_link", "Liên kết tải tệp không hợp lệ hoặc đã hết hạn")
            claims = None
        else:
            claims = self.auth.require(request, *STAFF)
        with self.db.transaction() as session:
            file = queries.dossier_file(session, id)
            code, sha256, size, media_type, name = file.dossier_code, file.sha256, file.size, file.media_type, file.name
        if claims is not None:  # exactly the dossier's read scope; out of it, the file does not exist
            departments = self.dossier_scope.departments_for(claims, code)
            with self.db.transaction() as session:
                try:
                    queries.readable_dossier(session, code, claims, departments)
                except DossierNotFound:
                    raise FileNotFound(f"Không tìm thấy tệp {id}") from None
        return self._file_response(id, code, sha256, size, media_type, name)

    def _file_response(self, id, code, sha256, size, media_type, name):
        """A stored file as a download (attachment), verified while it streams."""
        if not self.files.exists(sha256):
            log.error("ALARM: file %s of dossier %s is missing from the store (%s)", id, code, sha256)
            raise FileMissing(f"Tệp {id} không còn trong kho lưu trữ; đã báo cho quản trị viên", {"file": [id]})
        answer = Response(self._verified(id, code, sha256), status=200, mimetype=media_type, direct_passthrough=True)
        answer.headers["Content-Length"] = str(size)
        answer.headers["Cache-Control"] = "no-store"
        answer.headers["Content-Disposition"] = uploads.content_disposition(name)
        return answer

    def _verified(self, file_id, code, sha256):
        """The stored bytes, each chunk held back until the next arrives: when the last
        does not hash to the file's name, it is never sent, so the client sees a short
        body (the headers are gone already) and the connection is closed."""
        held = None
        try:
            for chunk in self.files.open(sha256):
                if held is not None:
                    yield held
                held = chunk
        except FileCorrupted:
            log.error(
                "ALARM: file %s of dossier %s does not match its SHA-256 %s: download cut short", file_id, code, sha256
            )
            raise
        except Exception:
            log.exception("reading file %s of dossier %s failed: download cut short", file_id, code)
            raise
        if held is not None:
            yield held

    @every("FILES_SWEEP_SECONDS", 3600)
    def sweep_files(self):
        """Stored files no dossier's file and no case's result (processing's, asked over
        RPC: the store is shared) refers to after 24 hours are deleted."""

        def in_processing(candidates):
            with eventlet.Timeout(PROCESSING_RPC_SECONDS):
                return self.processing_rpc.referenced_files.call_async(candidates).result()

        removed = sweep_unreferenced(self.db, self.files, also_referenced=in_processing)
        if removed:
            log.info("file sweep: %d unreferenced files deleted", len(removed))

    @http("GET", "/api/dossiers/<string:code>/receipt")
    @api(roles=("counter", "admin"), answers={200: Media("text/html")}, errors=(403, 409))
    def receipt(self, request, code, claims):
        with self.db.transaction() as session:
            dossier = queries.readable_dossier(session, code, claims)
            dossier.require_received()
            html = pages.receipt(
                dossier,
                queries.procedure_of(session, dossier),
                self.config["PUBLIC_URL"],
                queries.agency_of(session, dossier),
            )
        return html_response(html, inline_scripts=pages.SCRIPTS)

    @http("GET", "/api/dossiers/<string:code>/forms/02")
    @api(
        roles=("counter", "admin"),
        answers={200: Media("text/html")},
        errors=(403, 409),
        summary="Form 02: the request to complete the dossier, every item with its reason",
    )
    def form_02(self, request, code, claims):
        with self.db.transaction() as session:
            dossier = queries.readable_dossier(session, code, claims)
            dossier.require_form("02")
            html = pages.supplement_request(
                dossier, queries.procedure_of(session, dossier), queries.agency_of(session, dossier)
            )
        return html_response(html, inline_scripts=pages.SCRIPTS)

    @http("GET", "/api/dossiers/<string:code>/forms/03")
    @api(
        roles=("counter", "admin"),
        answers={200: Media("text/html")},
        errors=(403, 409),
        summary="Form 03: the refusal to receive the dossier, with its reason",
    )
    def form_03(self, request, code, claims):
        with self.db.transaction() as session:
            dossier = queries.readable_dossier(session, code, claims)
            dossier.require_form("03")
            refused = queries.last_transition(session, dossier, "refused")
            html = pages.refusal(
                dossier,
                queries.procedure_of(session, dossier),
                queries.agency_of(session, dossier),
                officer=refused.actor if refused else "",
                refused_at=refused.at if refused else dossier.status_at,
            )
        return html_response(html, inline_scripts=pages.SCRIPTS)

    @http("POST", "/api/guidance")
    @api(roles=("counter",), body=Guidance, answers={200: answers.GUIDANCE}, errors=(422,))
    def guidance(self, request, body):
        with self.db.work(self.work) as work:
            procedure, missing = application.guidance(
                work, body["procedure_code"], body["documents"], body["missing_documents"], clock.now().date()
            )
        return json_response(
            200,
            {
                "form": "02",
                "procedure": {"code": procedure.code, "name": procedure.name, "version": procedure.version},
                "complete": not missing,
                "missing_documents": missing,
            },
        )

    # --- the citizen ------------------------------------------------------------

    def _lookup(self, code, field, value):
        def look():
            with self.db.transaction() as session:
                return queries.lookup(session, code, field, value)

        return dependencies.guarded(self.lookups, code, look)

    @http("POST", "/api/lookup")
    @api(
        before=admit_lookup,
        body=LookupQuery,
        max_bytes=LOOKUP_MAX_BYTES,
        answers={200: answers.LOOKUP},
        errors=(404, 429),
    )
    def lookup(self, request, body):
        return json_response(200, self._lookup(body["code"], body["field"], body["value"]))

    @http("POST", "/api/lookup/result")
    @api(
        before=admit_lookup,
        body=LookupQuery,
        max_bytes=LOOKUP_MAX_BYTES,
        answers={200: Media("application/pdf", description="the result file, checked against its SHA-256")},
        errors=(404, 429),
        summary="the citizen downloads the electronic result (a fully online procedure's, once ready) "
        "with the code and the identifier of the lookup; the lookup's 404 otherwise",
    )
    def lookup_result(self, request, body):
        """The same limits as the lookup: a wrong code or identifier counts against the
        code; a right one with nothing to download answers the same 404."""
        code, field, value = body["code"], body["field"], body["value"]

        def look():
            with self.db.transaction() as session:
                file = queries.lookup_result(session, code, field, value)
                if file is None:
                    return None
                return file.id, file.dossier_code, file.sha256, file.size, file.media_type, file.name

        found = dependencies.guarded(self.lookups, code, look)
        if found is None:
            raise DossierNotFound(queries.LOOKUP_NOT_FOUND)
        file_id, dossier_code, sha256, size, media_type, name = found
        with logs.about(dossier_code):
            log.info("electronic result %s downloaded by the applicant", file_id)
        return self._file_response(file_id, dossier_code, sha256, size, media_type, name)

    @http("GET", "/api/lookup")
    @api(errors=(405,), summary="refused: the lookup is POST /api/lookup")
    def lookup_by_url(self, request):
        """Refused on purpose: a CCCD in a URL stays in proxy and access logs, browser
        history and Referer headers."""
        answer = error_response(
            405,
            "method_not_allowed",
            'Tra cứu hồ sơ bằng phương thức POST với nội dung JSON {"code", "id_number"}; '
            "không đưa số CCCD vào địa chỉ URL",
        )
        answer.headers["Allow"] = "POST"
        return answer

    @http("GET", "/tra-cuu")
    @describe(query=LookupPageQuery, answers={200: Media("text/html")}, summary="the citizen's lookup page")
    def lookup_page(self, request):
        return html_response(pages.lookup_page(request.args.get("code")))

    @http("POST", "/tra-cuu")
    @describe(
        form=LookupQuery,
        answers={s: Media("text/html") for s in (200, 400, 404, 408, 413, 429)},
        summary="the citizen's lookup form, answered as a page",
    )
    def lookup_form(self, request):
        """The citizen's form (form-encoded), answered as a page."""
        code = ""
        try:
            dependencies.admit(self.lookups, client_address(request, self.lookups.trusted_proxies))
            form = parse_qs(read_body(request, LOOKUP_MAX_BYTES).decode("utf-8", "replace"), max_num_fields=10)
            code = (form.get("code") or [""])[0].strip()
            given = {"code": code}
            for name in queries.LOOKUP_FIELDS:  # the one identifier the citizen typed
                value = (form.get(name) or [""])[0].strip()
                if value:
                    given[name] = value
            if len(given) == 1:
                given["id_number"] = ""  # none typed: "12 chữ số", as before
            data = load(LookupQuery, given)
            view = self._lookup(data["code"], data["field"], data["value"])
        except ApiError as exc:
            answer = html_response(pages.lookup_page(code, error=exc), status=exc.status)
            answer.headers.update(exc.headers)  # a 429's Retry-After
            return answer
        except DomainError as exc:
            status, error_code, message, fields = http_error(exc)
            problem = ApiError(status, error_code, message, fields)
            return html_response(pages.lookup_page(code, error=problem), status=status)
        except ValueError:  # more fields than any form of ours has
            problem = ApiError(400, "invalid_input", "Biểu mẫu không hợp lệ")
            return html_response(pages.lookup_page(code, error=problem), status=400)
        except Exception:  # no @api here: the page must not become nameko's plain-text error
            log.exception("unexpected error in lookup_form")
            problem = ApiError(500, "internal_error", "Lỗi hệ thống; vui lòng thử lại sau")
            return html_response(pages.lookup_page(code, error=problem), status=500)
        return html_response(pages.lookup_result_page(view))

    # --- the catalogue ----------------------------------------------------------

    @http("GET", "/api/procedures")
    @api(query=DayQuery, answers={200: answers.PROCEDURES})
    def procedures(self, request, query):
        day = query["at"] or clock.now().date()
        with self.db.transaction() as session:
            listed = [queries.procedure_view(v) for v in queries.listed_on(session, day)]
        return json_response(200, {"at": day, "procedures": listed})

    @http("GET", "/api/procedures/<string:code>")
    @api(query=DayQuery, answers={200: answers.PROCEDURE_VERSIONS})
    def procedure(self, request, code, query):
        day = query["at"] or clock.now().date()
        with self.db.transaction() as session:
            versions = queries.versions_of(session, code)
            if not versions:
                raise NotFound(f"Thủ tục {code} không có trong danh mục")
            current = next((v for v in versions if v.effective_on(day)), None)
            return json_response(
                200,
                {
                    "code": code,
                    "at": day,
                    "in_effect": queries.procedure_view(current) if current else None,
                    "versions": [queries.procedure_view(v) for v in versions],
                },
            )

    # loaded with CatalogueFile by catalogue_file (400 invalid_catalogue, as the CLI answers);
    # ?dry_run=true answers the same diff (or the same refusal) and changes nothing
    @http("POST", "/api/procedures/import")
    @api(
        roles=("admin",),
        body=CatalogueFile,
        raw_body=True,
        query=ImportQuery,
        max_bytes=CATALOGUE_MAX_BYTES,
        answers={200: answers.IMPORT},
        errors=(422,),
    )
    def import_catalogue(self, request, body, query):
        document = catalogue_file(body)
        dry_run = query["dry_run"]
        with self.db.work(self.work) as work:
            answer = application.import_catalogue(
                work, document["procedures"], clock.now().date(), agencies=document["agencies"], dry_run=dry_run
            )
        return json_response(200, {**answer, "dry_run": dry_run})

    @http("POST", "/api/procedures/<string:code>/expire")
    @api(roles=("admin",), body=Expiry, answers={200: answers.PROCEDURE})
    def expire_procedure(self, request, code, body):
        with self.db.work(self.work) as work:
            version = application.expire_procedure(work, code, body["last_day"])
            return json_response(200, queries.procedure_view(version))

    # --- the calendar -----------------------------------------------------------

    @http("GET", "/api/calendar/due")
    @api(roles=(), query=DueQuery, answers={200: answers.DUE}, errors=(422,))
    def due(self, request, query):
        code, received_at = query["procedure_code"], clock.local(query["received_at"] or clock.now())
        with self.db.work(self.work) as work:
            procedure, due_at = application.appointment(work, code, received_at)
        return json_response(
            200,
            {
                "procedure_code": code,
                "procedure_version": procedure.version,
                "received_at": received_at,
                "due_at": due_at,
            },
        )

    @http("GET", "/api/calendar/days")
    @api(roles=("admin", "counter"), query=CalendarDaysQuery, answers={200: answers.CALENDAR_DAYS})
    def calendar_days(self, request, query):
        with self.db.transaction() as session:
            return json_response(200, queries.calendar_days(session, query["year"]))

    @http("GET", "/api/calendar/overrides")
    @api(roles=("admin", "counter"), answers={200: answers.OVERRIDES})
    def calendar_overrides(self, request):
        with self.db.transaction() as session:
            return json_response(200, queries.calendar_overrides(session))

    @http("PUT", "/api/calendar/overrides/<string:day>")
    @api(roles=("admin",), path=DayPath, body=CalendarOverrideBody, answers={200: answers.OVERRIDE_SET})
    def set_calendar_override(self, request, day, claims, body):
        with self.db.work(self.work) as work:
            override, version = application.set_calendar_override(
                work, day, body["kind"], body["note"], claims["sub"], clock.now()
            )
            return json_response(200, {"version": version, **queries.override_view(override)})

    @http("DELETE", "/api/calendar/overrides/<string:day>")
    @api(roles=("admin",), path=DayPath, answers={200: answers.OVERRIDE_REMOVED})
    def remove_calendar_override(self, request, day):
        with self.db.work(self.work) as work:
            version = application.remove_calendar_override(work, day)
        return json_response(200, {"version": version, "removed": day})

    # --- the tracking book and the catalogue report ------------------------------------

    @http("GET", "/api/register/book")
    @api(
        roles=("counter", "admin"),
        query=BookQuery,
        answers={
            200: Media(
                {
                    "text/html": None,
                    "application/json": answers.BOOK,
                    "text/csv": None,
                    exports.XLSX_TYPE: None,
                },
                description="format=html (printable, A4 landscape), json, csv or xlsx",
            )
        },
        errors=(422,),
        summary="the tracking book (Sổ theo dõi hồ sơ, Form 06): the dossiers received from `from` to `to`, "
        "oldest first; a counter's own agency, an admin's `agency` or every agency",
    )
    def tracking_book(self, request, claims, query):
        agency, start, end = register_book.scoped_agency(claims, query["agency"]), query["start"], query["end"]
        with self.db.transaction() as session:
            rows = register_book.book(session, agency, start, end)
            named = register_book.agency_named(session, agency)
        if query["format"] == "html":
            html = register_book.page(rows, named, start, end, clock.now())
            return html_response(html, inline_scripts=pages.SCRIPTS)
        if query["format"] == "json":
            of = {"code": named.code, "name": named.name} if named else None
            return json_response(200, {"from": start, "to": end, "agency": of, "rows": rows})
        return exports.download(query["format"], f"so-theo-doi-ho-so-{start}-{end}", [register_book.table(rows)])

    @http("GET", "/api/procedures/report")
    @api(
        roles=("counter", "admin"),
        query=CatalogueReportQuery,
        answers={
            200: Media(
                {"application/json": answers.CATALOGUE_REPORT, "text/csv": None, exports.XLSX_TYPE: None},
                description="format=json, csv (the counts by agency and field) or xlsx (a sheet per list)",
            )
        },
        errors=(422,),
        summary="the catalogue report on `on` (today by default): expired versions still used or offered, "
        "versions coming into effect, unused procedures, online and postal services counted",
    )
    def procedures_report(self, request, claims, query):
        on = query["on"] or clock.now().date()
        with self.db.transaction() as session:
            answer = catalogue_report.report(session, on, register_book.scoped_agency(claims, query["agency"]))
        if query["format"] == "json":
            return json_response(200, answer)
        return exports.download(query["format"], f"bao-cao-danh-muc-thu-tuc-{on}", catalogue_report.tables(answer))

    # --- statistics ------------------------------------------------------------------

    @http("GET", "/api/reports/summary")
    @api(
        roles=("counter", "admin"),
        query=SummaryQuery,
        answers={
            200: Media(
                {"application/json": answers.SUMMARY, "text/csv": None, exports.XLSX_TYPE: None},
                description="format=json, csv (the table) or xlsx (the table, and a sheet of charts)",
            )
        },
        errors=(422,),
        summary="Biểu 06 (Circular 01/2020/TT-VPCP) from `from` to `to`: received, resolved ahead / on time / "
        "late, withdrawn, refused, rejected, still in progress, by field, procedure, agency, channel, "
        "department or month; a counter's own agency, an admin's `agency` or every agency",
    )
    def report_summary(self, request, claims, query):
        agency, start, end = register_book.scoped_agency(claims, query["agency"]), query["start"], query["end"]
        with self.db.transaction() as session:
            report = statistics.summary(session, start, end, agency, query["group_by"])
        if query["format"] == "json":
            return json_response(200, report)
        return exports.download(query["format"], f"bieu-06-{start}-{end}", statistics.summary_tables(report))

    # --- events from the other services ------------------------------------------

    @handles("postal", EventType.PICKUP_COMPLETED)
    def pickup_completed(self, env, work):
        """A dossier collected by post, handed over at the counter (consumer
        `intake.pickup_completed`, as before)."""
        data = env["data"]
        submission = load(Submission, {**data["submission"], "channel": "postal"})
        application.register_pickup(
            work,
            submission,
            data["pickup_id"],
            clock.local(data["handed_over_at"]),
            data.get("waybill"),
            clock.now(),
            self.pay_days,
        )

    @handles("processing", *PROCESSING_EVENTS)
    @handles("postal", *POSTAL_EVENTS)
    def follow(self, env, work):
        """The register follows processing and postal (one queue per event type)."""
        application.follow(work, env["event_type"], env["dossier_code"], env["data"], env["occurred_at"], self.pay_days)

    @handles("payments", EventType.PAYMENT_CONFIRMED)
    def payment_confirmed(self, env, work):
        """A fee paid: before processing, the dossier goes to processing now
        (dossier_received, the appointment counted from the payment); before return,
        the counter may hand the result over."""
        now = clock.now()
        dossier = application.confirm_payment(work, env["dossier_code"], env["data"], now, link=file_links.signer(now))
        with logs.about(dossier.code, dossier.correlation_id):
            log.info(
                "payment %s confirmed (%s): dossier %s", env["data"]["stage"], env["data"]["method"], dossier.status
            )

    @every("PAYMENT_EXPIRY_SECONDS", 3600)
    def expire_unpaid(self):
        """Dossiers not paid by their pay-by day end withdrawn (dossier_withdrawn)."""
        with self.db.work(self.work) as work:
            expired = application.expire_unpaid(work, clock.now())
        for code in expired:
            with logs.about(code):
                log.info("withdrawn: the fees due before processing were not paid in time")

    @property
    def pay_days(self):
        """Calendar days to pay from the request (config PAYMENT_DAYS)."""
        return int(self.config.get("PAYMENT_DAYS") or PAYMENT_DAYS)


FILES_GRACE = timedelta(hours=24)
PROCESSING_RPC_SECONDS = 30


def sweep_unreferenced(sessions, store, grace=FILES_GRACE, also_referenced=None):
    """Delete what the store holds, older than `grace`, that no dossier_files row names
    and `also_referenced(candidates)` does not return (processing's result files: the
    store is shared; when it cannot answer, it raises and nothing more is deleted) (the
    timer and `motcua files sweep`); the SHA-256s deleted. Ages are the store's
    own (file times, object dates): the wall clock's, never the business clock's
    (MOTCUA_CLOCK_OFFSET_SECONDS), which may be set elsewhere for a demonstration."""
    now = datetime.now(UTC)

    def referenced(candidates):
        with sessions.transaction() as session:
            kept = set(queries.referenced(session, candidates))
        if also_referenced is not None:
            kept |= set(also_referenced(list(candidates)))
        return kept

    return sweep(store, referenced, now, grace)


def on_start(sessions, config):
    """Run once by the runner after migrations."""
    if config.get("SEED_DEMO_CATALOG"):
        document = catalogue_file(json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8")))
        with sessions.work(IntakeWork) as work:
            added = application.seed_catalogue(
                work, document["procedures"], clock.now().date(), agencies=document["agencies"]
            )
        if added:
            log.info("loaded %d demo procedures into an empty catalogue", added)
