"""Valid data of every citizen-facing event, for notify's tests."""

from datetime import date, datetime

from shared import clock

TZ = clock.TZ

SAMPLES = {
    "dossier_received": {
        "procedure_code": "2.000635",
        "procedure_version": 1,
        "procedure_name": "Chứng thực bản sao",
        "channel": "counter",
        "received_at": datetime(2026, 11, 26, 8, tzinfo=TZ),
        "due_at": datetime(2026, 11, 27, 16, tzinfo=TZ),
        "route": [{"department": "TUPHAP", "days": 1}],
        "return_method": "counter",
        "contacts": {"full_name": "Nguyễn Thị Hoa", "phone": "0912345678", "email": "hoa@example.vn"},
        "notify": {"sms": True, "email": True},
    },
    "dossier_refused": {"reason": "Thiếu tờ khai"},
    "payment_requested": {
        "stage": "before_processing",
        "amount": 75000,
        "items": [{"name": "Lệ phí cấp giấy phép xây dựng", "amount": 75000, "kind": "le_phi"}],
        "pay_by": date(2026, 12, 11),
        "agency_code": "000.00.06.H56",
        "procedure_code": "1.001776",
        "online": True,
        "contacts": {"full_name": "Nguyễn Thị Hoa", "phone": "0912345678", "email": "hoa@example.vn"},
        "notify": {"sms": True, "email": True},
    },
    "supplement_requested": {
        "items": [{"name": "Bản sao CCCD", "reason": "mờ"}],
        "requested_at": datetime(2026, 11, 26, 9, tzinfo=TZ),
    },
    "dossier_rejected": {"reason": "Không thuộc thẩm quyền"},
    "deadline_extended": {
        "reason": "Chờ ý kiến Sở",
        "old_due_at": datetime(2026, 11, 27, 16, tzinfo=TZ),
        "new_due_at": datetime(2026, 12, 1, 16, tzinfo=TZ),
    },
    "result_ready": {
        "finished_at": datetime(2026, 11, 27, 10, tzinfo=TZ),
        "summary": "Đã chứng thực",
        "return_method": "postal",
    },
    "shipment_created": {"waybill": "EB123456789VN", "expected_delivery": date(2026, 11, 30)},
    "shipment_delivered": {"delivered_at": datetime(2026, 11, 30, 10, tzinfo=TZ), "waybill": "EB123456789VN"},
    "shipment_returned": {"waybill": "EB123456789VN"},
    "dossier_returned": {"returned_at": datetime(2026, 11, 27, 10, tzinfo=TZ), "where": "counter"},
}


def received(phone=None, email=None, **overrides):
    """dossier_received data with the given contacts (None: channel not chosen)."""
    data = {**SAMPLES["dossier_received"], **overrides}
    data["contacts"] = {"full_name": "Nguyễn Thị Hoa", "phone": phone, "email": email}
    data["notify"] = {"sms": bool(phone), "email": bool(email)}
    return data
