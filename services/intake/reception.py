"""Receiving dossiers at the one-stop counter and keeping the register.

Plain functions over a session: the service class only translates HTTP and events
into these calls.
"""
import json
import uuid

import sqlalchemy as sa

from shared import calendar_store, clock, logs, scope
from shared.db import dialect_insert
from shared.http import ApiError, load, request_hash, to_json
from shared.reliability import emit
from services.intake import calendar_admin, catalog, codes, lifecycle
from services.intake.models import Dossier, DossierHistory, IdempotentRequest, Procedure
from services.intake.schemas import Submission

SOURCE = "intake"


def claim_idempotency_key(session, caller, key, body):
    """None when this key is new (it is now held by this transaction), else the
    first answer (status, body); 409 when the key was used for a different request.

    The key is claimed by an INSERT before any work: a concurrent retry with the
    same key waits on it (PostgreSQL) and then replays the committed answer, and a
    request that fails rolls its claim back with everything else."""
    if not key:
        return None
    claimed = session.execute(dialect_insert(session)(IdempotentRequest.__table__).values(
        caller=caller, key=key, request_hash=request_hash(body), status=0, response="", created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["caller", "key"])).rowcount
    if claimed:
        return None
    record = session.get(IdempotentRequest, (caller, key))
    if record.request_hash != request_hash(body):
        raise ApiError(409, "idempotency_key_reused", "Idempotency-Key này đã dùng cho một yêu cầu khác")
    if not record.status:
        raise ApiError(409, "request_in_progress", "Yêu cầu với Idempotency-Key này đang được xử lý")
    return record.status, json.loads(record.response)


def remember_answer(session, caller, key, status, response):
    if key:
        table = IdempotentRequest.__table__
        session.execute(table.update().where(table.c.caller == caller, table.c.key == key)
                        .values(status=status, response=to_json(response)))


def submit(session, data, claims):
    """A dossier handed in over HTTP: a counter officer's submission is received at
    once; the portal's (online) and a postal one typed in at the counter wait as
    `submitted` for the counter's check."""
    channel, role = data["channel"], claims["role"]
    if role == "counter" and channel == "online":
        raise ApiError(403, "forbidden", "Hồ sơ trực tuyến chỉ nộp qua Cổng dịch vụ công",
                       {"channel": ["Cán bộ một cửa nhận kênh counter hoặc postal"]})
    if role == "portal" and channel != "online":
        raise ApiError(403, "forbidden", "Cổng dịch vụ công chỉ nộp hồ sơ trực tuyến",
                       {"channel": ["Cổng dịch vụ công chỉ dùng kênh online"]})
    return register(session, data, claims["sub"], agency=claims.get("agency") if role == "counter" else None)


def register(session, data, actor, agency=None, handed_over_at=None, pickup_id=None, note=None):
    """Put a dossier in the register under the procedure version in effect (on the
    hand-over day for a postal collection). Counter dossiers are received now."""
    now = clock.now()
    channel = data["channel"]
    procedure = catalog.in_effect(session, data["procedure_code"], (handed_over_at or now).date())
    if data["return_method"] not in procedure.return_methods:
        raise ApiError(422, "return_method_not_allowed",
                       f"Thủ tục {procedure.code} không trả kết quả qua hình thức {data['return_method']}",
                       {"return_method": [f"Cho phép: {', '.join(procedure.return_methods)}"]})
    agency = agency or procedure.agency_code
    applicant = data["applicant"]
    code = codes.next_code(session, agency, now)
    dossier = Dossier(
        code=code, agency_code=agency, procedure_id=procedure.id, procedure_code=procedure.code,
        procedure_version=procedure.version, channel=channel, status="submitted", status_at=now,
        applicant_name=applicant["full_name"], id_number=applicant["id_number"],
        phone=applicant.get("phone"), email=applicant.get("email"), address=applicant.get("address"),
        documents=data["documents"], return_method=data["return_method"],
        delivery_address=data.get("delivery_address"), notify_sms=data["notify"].get("sms", False),
        notify_email=data["notify"].get("email", False), submitted_at=now, correlation_id=str(uuid.uuid4()),
        pickup_id=pickup_id, handed_over_at=handed_over_at)
    session.add(dossier)
    if channel == "counter":
        receive(session, dossier, procedure, actor, now, note="kênh counter")
    else:
        session.add(DossierHistory(dossier_code=code, status="submitted", at=now, actor=actor,
                                   note=note or f"kênh {channel}"))
    return dossier, procedure


def receive(session, dossier, procedure, actor, now, note=""):
    """Reception (tiếp nhận): the legal reception time starts the deadline. For a
    postal collection it is the signed hand-over, not the counter's check."""
    dossier.received_at = dossier.handed_over_at or now
    dossier.due_at = calendar_admin.appointment(calendar_store.load(session), procedure, dossier.received_at)
    dossier.received_by = actor
    dossier.status, dossier.status_at = "received", now
    session.add(DossierHistory(dossier_code=dossier.code, status="received", at=now, actor=actor, note=note))
    with logs.about(dossier.code, dossier.correlation_id):
        emit_received(session, dossier, procedure)


def emit_received(session, dossier, procedure):
    emit(session, SOURCE, "dossier_received", dossier.code, {
        "procedure_code": procedure.code, "procedure_version": procedure.version,
        "procedure_name": procedure.name, "channel": dossier.channel,
        "received_at": dossier.received_at, "due_at": dossier.due_at, "route": procedure.route,
        "supplement_clock": procedure.supplement_clock, "return_method": dossier.return_method,
        "postal_address": dossier.delivery_address, **citizen_contacts(dossier),
    }, correlation_id=dossier.correlation_id)


def citizen_contacts(dossier):
    """What notify needs to reach the citizen (it keeps them; later events carry none)."""
    return {"contacts": {"phone": dossier.phone, "email": dossier.email, "full_name": dossier.applicant_name},
            "notify": {"sms": dossier.notify_sms, "email": dossier.notify_email}}


def submission_answer(dossier, procedure):
    return {"code": dossier.code, "status": dossier.status, "received_at": dossier.received_at,
            "due_at": dossier.due_at,
            "procedure": {"code": procedure.code, "name": procedure.name, "version": procedure.version}}


def get_dossier(session, code, lock=False):
    query = sa.select(Dossier).where(Dossier.code == code)
    if lock:
        query = query.with_for_update()
    dossier = session.scalars(query).first()
    if dossier is None:
        raise ApiError(404, "not_found", f"Không tìm thấy hồ sơ {code}")
    return dossier


def readable_dossier(session, code, claims, departments=()):
    """The dossier when the reader's scope covers it (shared.scope), else the same
    404 as for a code that does not exist: a crawl of sequential codes learns nothing."""
    dossier = session.scalars(sa.select(Dossier).where(Dossier.code == code)).first()
    if dossier is None or not scope.allowed(claims, dossier.agency_code, departments):
        raise scope.not_found(scope.dossier_not_found(code))
    return dossier


def move(session, dossier, status, at, actor, note=""):
    """Apply a status if the lifecycle allows it now; False when it is stale."""
    if not lifecycle.may_move(dossier.status, dossier.status_at, status, at):
        return False
    dossier.status = status
    dossier.status_at = at
    session.add(DossierHistory(dossier_code=dossier.code, status=status, at=at, actor=actor, note=note))
    return True


def dossier_view(session, dossier):
    history = session.scalars(sa.select(DossierHistory).where(DossierHistory.dossier_code == dossier.code)
                              .order_by(DossierHistory.at, DossierHistory.id)).all()
    return {
        "code": dossier.code, "agency_code": dossier.agency_code, "status": dossier.status,
        "status_number": lifecycle.portal_number(dossier.status), "channel": dossier.channel,
        "procedure": {"code": dossier.procedure_code, "version": dossier.procedure_version},
        "applicant": {"full_name": dossier.applicant_name, "id_number": logs.mask_id(dossier.id_number)},
        "documents": dossier.documents,
        "submitted_at": dossier.submitted_at, "handed_over_at": dossier.handed_over_at,
        "received_at": dossier.received_at, "due_at": dossier.due_at, "returned_at": dossier.returned_at,
        "return_method": dossier.return_method, "reason": dossier.closing_reason,
        "flags": {"overdue": dossier.overdue, "rescheduled": dossier.rescheduled,
                  "return_method": dossier.return_method, "postal_status": dossier.postal_status},
        "history": [{"status": h.status, "at": h.at, "actor": h.actor, "note": h.note} for h in history],
    }


def counter_dossier(session, code, claims, *statuses, action=""):
    """The dossier locked for a counter action, when its agency and status allow it."""
    check_code_agency(code, claims)
    dossier = get_dossier(session, code, lock=True)
    check_agency(dossier, claims)
    if dossier.status not in statuses:
        raise ApiError(409, "wrong_status", f"Hồ sơ {code} đang ở trạng thái {dossier.status}: không thể {action}",
                       {"status": [dossier.status]})
    return dossier


def missing_documents(procedure, documents, marked):
    """One-time complete guidance (Form 02): every document of the procedure that the
    officer marked missing or that the dossier does not contain, plus anything else
    the officer marked; all at once, in the procedure's order."""
    present = {d["name"].strip().casefold() for d in documents}
    marked_keys = {m.strip().casefold() for m in marked}
    missing = [d for d in procedure.documents
               if d.strip().casefold() in marked_keys or d.strip().casefold() not in present]
    known = {d.strip().casefold() for d in procedure.documents}
    return missing + [m for m in marked if m.strip().casefold() not in known]


def guidance_error(procedure, missing):
    return ApiError(422, "dossier_incomplete",
                    f"Hồ sơ chưa đầy đủ: cần bổ sung {len(missing)} giấy tờ (Mẫu 02, hướng dẫn một lần)",
                    {"missing_documents": missing, "procedure_code": [f"{procedure.code} - {procedure.name}"]})


def guidance(session, data):
    """Form 02 for a dossier checked before it is submitted; nothing is written."""
    procedure = catalog.in_effect(session, data["procedure_code"], clock.now().date())
    missing = missing_documents(procedure, data["documents"], data["missing_documents"])
    return {"form": "02", "procedure": {"code": procedure.code, "name": procedure.name,
                                        "version": procedure.version},
            "complete": not missing, "missing_documents": missing}


def accept(session, code, data, claims):
    """The counter accepts an online or postal dossier (Form 01), or answers with the
    complete list of what is missing (Form 02) and receives nothing."""
    dossier = counter_dossier(session, code, claims, "submitted", action="tiếp nhận")
    procedure = session.get(Procedure, dossier.procedure_id)
    if data["missing_documents"]:
        raise guidance_error(procedure, missing_documents(procedure, dossier.documents, data["missing_documents"]))
    receive(session, dossier, procedure, claims["sub"], clock.now(), note=data["note"] or f"kênh {dossier.channel}")
    return dossier, procedure


def refuse(session, code, reason, claims):
    """Refusal with its reason (Form 03, từ chối tiếp nhận)."""
    dossier = counter_dossier(session, code, claims, "submitted", action="từ chối")
    now = clock.now()
    move(session, dossier, "refused", now, claims["sub"], reason)
    dossier.closing_reason = reason
    # never received, so notify has no contacts yet: they travel with the refusal
    emit(session, SOURCE, "dossier_refused", code, {"reason": reason, **citizen_contacts(dossier)},
         correlation_id=dossier.correlation_id)
    return dossier


def supplement(session, code, data, claims):
    """The citizen brings what processing asked for: the complete dossier is received
    now and processing resumes (`dossier_supplemented`)."""
    dossier = counter_dossier(session, code, claims, "supplement_requested", action="nhận bổ sung")
    now = clock.now()
    dossier.documents = [*dossier.documents, *data["documents"]]
    names = ", ".join(d["name"] for d in data["documents"])
    # the request's own time may be ahead of this clock; the supplement still comes after it
    move(session, dossier, "in_progress", max(now, dossier.status_at), claims["sub"], f"bổ sung: {names}")
    emit(session, SOURCE, "dossier_supplemented", code, {"received_at": now, "documents": data["documents"]},
         correlation_id=dossier.correlation_id)
    return dossier


WITHDRAWABLE = ("submitted", "received", "in_progress", "supplement_requested", "awaiting_payment")


def withdraw(session, code, reason, claims):
    """The citizen withdraws the dossier (rút hồ sơ) before a result exists."""
    dossier = counter_dossier(session, code, claims, *WITHDRAWABLE, action="rút")
    was_received = dossier.received_at is not None
    move(session, dossier, "withdrawn", clock.now(), claims["sub"], reason)
    dossier.closing_reason = reason
    if was_received:  # processing only knows received dossiers
        emit(session, SOURCE, "dossier_withdrawn", code, {"reason": reason}, correlation_id=dossier.correlation_id)
    return dossier


def register_pickup(session, env):
    """A dossier collected by post and handed over at the counter: registered as
    `submitted` (channel postal), once per pickup, received as of the hand-over."""
    data = env["data"]
    if session.scalar(sa.select(Dossier.code).where(Dossier.pickup_id == data["pickup_id"])):
        return None
    submission = load(Submission, {**data["submission"], "channel": "postal"})
    handed = data["handed_over_at"].astimezone(clock.TZ)
    dossier, _ = register(session, submission, "postal", handed_over_at=handed, pickup_id=data["pickup_id"],
                          note=f"bưu chính bàn giao {handed:%H:%M %d/%m/%Y}, vận đơn {data.get('waybill') or '-'}")
    return dossier


def hand_back(session, code, claims):
    """The counter hands the result over (trả kết quả): only for a result that is
    ready for counter return, or came back from a failed postal delivery."""
    check_code_agency(code, claims)
    dossier = get_dossier(session, code, lock=True)
    check_agency(dossier, claims)
    back_from_post = dossier.postal_status == "returned_to_counter"
    if dossier.status != "result_ready" or (dossier.return_method != "counter" and not back_from_post):
        raise ApiError(409, "not_ready_for_counter_return",
                       f"Hồ sơ {code} đang ở trạng thái {dossier.status}, chưa thể trả tại quầy")
    now = clock.now()
    move(session, dossier, "returned", now, claims["sub"], "trả kết quả tại quầy")
    dossier.returned_at = now
    emit(session, SOURCE, "dossier_returned", code, {"returned_at": now, "where": "counter"},
         correlation_id=dossier.correlation_id)
    return dossier


def check_code_agency(code, claims):
    """A counter acting on another agency's code is refused before any lookup, so
    the answer is the same whether that dossier exists or not."""
    agency = scope.agency_of(code)
    if claims["role"] == "counter" and agency is not None and claims.get("agency") != agency:
        raise ApiError(403, "other_agency", "Hồ sơ thuộc cơ quan khác")


def check_agency(dossier, claims):
    if claims["role"] == "counter" and claims.get("agency") != dossier.agency_code:
        raise ApiError(403, "other_agency", "Hồ sơ thuộc cơ quan khác")


# --- the register follows the other services' events -------------------------

STATUS_OF_EVENT = {
    "processing_started": "in_progress",
    "dossier_transferred": "in_progress",
    "supplement_requested": "supplement_requested",
    "dossier_rejected": "rejected",
    "result_ready": "result_ready",
}


def follow(session, env):
    """Update the register from another service's event. Unknown dossiers are
    reported by raising, so the event is retried and then parked, not dropped."""
    dossier = get_dossier(session, env["dossier_code"], lock=True)
    event_type, data, at = env["event_type"], env["data"], env["occurred_at"]
    if event_type in STATUS_OF_EVENT:
        moved = move(session, dossier, STATUS_OF_EVENT[event_type], at, "processing", data.get("department", ""))
        if moved and data.get("dossier_due_at"):  # the deadline restarted or moved after a supplement
            dossier.due_at = data["dossier_due_at"]
    elif event_type == "dossier_overdue":
        dossier.overdue = True
    elif event_type == "deadline_extended":
        dossier.rescheduled = True
        dossier.due_at = data["new_due_at"]
    elif event_type == "shipment_created":
        dossier.postal_status = dossier.postal_status or "shipped"
    elif event_type == "shipment_failed":
        if dossier.postal_status in (None, "shipped", "delivery_failed"):
            dossier.postal_status = "delivery_failed"
    elif event_type == "shipment_returned":
        if dossier.status != "returned":
            dossier.postal_status = "returned_to_counter"
    elif event_type == "shipment_delivered":
        dossier.postal_status = "delivered"
        if move(session, dossier, "returned", data["delivered_at"], "postal", "bưu chính đã phát"):
            dossier.returned_at = data["delivered_at"]
            emit(session, SOURCE, "dossier_returned", dossier.code,
                 {"returned_at": data["delivered_at"], "where": "postal"}, correlation_id=dossier.correlation_id)
