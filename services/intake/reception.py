"""Receiving dossiers at the one-stop counter and keeping the register.

Plain functions over a session: the service class only translates HTTP and events
into these calls.
"""
import hashlib
import json
import uuid

import sqlalchemy as sa

from shared import calendar_store, clock, logs
from shared.calendar import parse_time
from shared.http import ApiError, to_json
from shared.reliability import emit
from services.intake import catalog, codes, lifecycle
from services.intake.models import Dossier, DossierHistory, IdempotentRequest

SOURCE = "intake"


def request_hash(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def replay_idempotent(session, caller, key, body):
    """(status, response) stored for this key, None when it is new; 409 when the
    key was used for a different request."""
    if not key:
        return None
    record = session.get(IdempotentRequest, (caller, key))
    if record is None:
        return None
    if record.request_hash != request_hash(body):
        raise ApiError(409, "idempotency_key_reused", "Idempotency-Key này đã dùng cho một yêu cầu khác")
    return record.status, json.loads(record.response)


def remember_idempotent(session, caller, key, body, status, response):
    if key:
        session.add(IdempotentRequest(caller=caller, key=key, request_hash=request_hash(body), status=status,
                                      response=to_json(response),
                                      created_at=clock.now()))


def submit(session, data, claims, calendar=None):
    """Register a dossier. A counter submission is received at once (code, due date,
    dossier_received); online and postal ones wait as `submitted` for the counter."""
    calendar = calendar or calendar_store.load(session)
    now = clock.now()
    channel = data["channel"]
    if channel == "counter" and claims["role"] != "counter":
        raise ApiError(403, "forbidden", "Chỉ cán bộ một cửa được tiếp nhận hồ sơ tại quầy")
    if channel != "counter" and claims["role"] not in ("portal", "counter"):
        raise ApiError(403, "forbidden", "Không được nộp hồ sơ qua kênh này")
    procedure = catalog.in_effect(session, data["procedure_code"], now.date())
    if data["return_method"] not in procedure.return_methods:
        raise ApiError(422, "return_method_not_allowed",
                       f"Thủ tục {procedure.code} không trả kết quả qua hình thức {data['return_method']}",
                       {"return_method": [f"Cho phép: {', '.join(procedure.return_methods)}"]})
    agency = claims.get("agency") if claims["role"] == "counter" else procedure.agency_code
    applicant = data["applicant"]
    correlation_id = str(uuid.uuid4())
    code = codes.next_code(session, agency, now)
    received = channel == "counter"
    dossier = Dossier(
        code=code, agency_code=agency, procedure_id=procedure.id, procedure_code=procedure.code,
        procedure_version=procedure.version, channel=channel, status="received" if received else "submitted",
        status_at=now, applicant_name=applicant["full_name"], id_number=applicant["id_number"],
        phone=applicant.get("phone"), email=applicant.get("email"), address=applicant.get("address"),
        documents=data["documents"], return_method=data["return_method"],
        delivery_address=data.get("delivery_address"), notify_sms=data["notify"].get("sms", False),
        notify_email=data["notify"].get("email", False), submitted_at=now, correlation_id=correlation_id,
        received_at=now if received else None,
        due_at=calendar.due_at(now, procedure.duration_days, parse_time(procedure.cutoff)) if received else None,
        received_by=claims["sub"] if received else None)
    session.add(dossier)
    session.add(DossierHistory(dossier_code=code, status=dossier.status, at=now, actor=claims["sub"],
                               note=f"kênh {channel}"))
    with logs.about(code, correlation_id):
        if received:
            emit_received(session, dossier, procedure)
    return dossier, procedure


def emit_received(session, dossier, procedure):
    emit(session, SOURCE, "dossier_received", dossier.code, {
        "procedure_code": procedure.code, "procedure_version": procedure.version,
        "procedure_name": procedure.name, "channel": dossier.channel,
        "received_at": dossier.received_at, "due_at": dossier.due_at, "route": procedure.route,
        "supplement_clock": procedure.supplement_clock, "return_method": dossier.return_method,
        "postal_address": dossier.delivery_address,
        "contacts": {"phone": dossier.phone, "email": dossier.email, "full_name": dossier.applicant_name},
        "notify": {"sms": dossier.notify_sms, "email": dossier.notify_email},
    }, correlation_id=dossier.correlation_id)


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
        "code": dossier.code, "status": dossier.status, "status_number": lifecycle.portal_number(dossier.status),
        "channel": dossier.channel,
        "procedure": {"code": dossier.procedure_code, "version": dossier.procedure_version},
        "applicant": {"full_name": dossier.applicant_name, "id_number": logs.mask_id(dossier.id_number)},
        "received_at": dossier.received_at, "due_at": dossier.due_at, "returned_at": dossier.returned_at,
        "return_method": dossier.return_method,
        "flags": {"overdue": dossier.overdue, "rescheduled": dossier.rescheduled,
                  "return_method": dossier.return_method, "postal_status": dossier.postal_status},
        "history": [{"status": h.status, "at": h.at, "actor": h.actor, "note": h.note} for h in history],
    }


def hand_back(session, code, claims):
    """The counter hands the result over (trả kết quả): only for a result that is
    ready for counter return, or came back from a failed postal delivery."""
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
        move(session, dossier, STATUS_OF_EVENT[event_type], at, "processing", data.get("department", ""))
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
