"""How the pages say things: statuses, days, times and amounts in Vietnamese."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared import clock

STATUS = {
    "submitted": "Chờ tiếp nhận",
    "received": "Đã tiếp nhận",
    "refused": "Không được tiếp nhận",
    "in_progress": "Đang xử lý",
    "supplement_requested": "Cần bổ sung giấy tờ",
    "awaiting_payment": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Đã rút hồ sơ",
    "rejected": "Dừng xử lý",
    "result_ready": "Đã có kết quả",
    "returned": "Đã trả kết quả",
}
CHANNEL = {"counter": "Tại quầy", "online": "Trực tuyến", "postal": "Qua bưu chính"}
RETURN_METHOD = {"counter": "Nhận tại bộ phận một cửa", "postal": "Nhận qua bưu chính"}
ROLE = {"counter": "Cán bộ một cửa", "officer": "Chuyên viên phòng ban", "admin": "Quản trị"}


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(clock.TZ)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).astimezone(clock.TZ)
        except ValueError:
            return None
    return None


def day(value: Any) -> str:
    """dd/mm/yyyy of a day or a moment (ISO text as the APIs answer, or a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, str) and len(value) == 10:
        try:
            return f"{date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    moment = _moment(value)
    return f"{moment:%d/%m/%Y}" if moment else ""


def moment(value: Any) -> str:
    """HH:MM dd/mm/yyyy, Vietnam's time."""
    found = _moment(value)
    return f"{found:%H:%M %d/%m/%Y}" if found else ""


def status(value: Any) -> str:
    return STATUS.get(str(value), str(value or ""))


def money(value: Any) -> str:
    """75.000 đ"""
    try:
        return f"{int(value):,}".replace(",", ".") + " đ"
    except (TypeError, ValueError):
        return ""


# The statistics (Biểu 06): how figures are grouped, and the figures of a row.
GROUP_BY = {
    "field": "Lĩnh vực",
    "procedure": "Thủ tục",
    "agency": "Cơ quan",
    "channel": "Kênh nộp",
    "department": "Phòng ban",
    "month": "Tháng",
}
# the summary's columns as Biểu 06 groups them: (group, ((figure, heading), ...))
SUMMARY_COLUMNS = (
    (
        "Số hồ sơ nhận giải quyết",
        (
            ("carried_over", "Kỳ trước chuyển sang"),
            ("received", "Tiếp nhận trong kỳ"),
            ("received_online", "Trực tuyến"),
            ("received_counter", "Trực tiếp"),
            ("received_postal", "Bưu chính"),
        ),
    ),
    (
        "Số hồ sơ đã giải quyết",
        (
            ("resolved", "Tổng số"),
            ("resolved_ahead", "Trước hạn"),
            ("resolved_on_time", "Đúng hạn"),
            ("resolved_late", "Quá hạn"),
        ),
    ),
    (
        "Số hồ sơ đang giải quyết",
        (("in_progress", "Tổng số"), ("in_progress_within", "Trong hạn"), ("in_progress_overdue", "Quá hạn")),
    ),
    (
        "Khác",
        (
            ("withdrawn", "Rút hồ sơ"),
            ("refused", "Từ chối tiếp nhận"),
            ("rejected", "Dừng xử lý"),
            ("supplements_requested", "Yêu cầu bổ sung"),
            ("extensions", "Gia hạn"),
        ),
    ),
)


def percent(rate: Any) -> str:
    """0.857 -> 85,7 % (a rate of 0..1; nothing for none)."""
    if rate is None or rate == "":
        return ""
    text = f"{float(rate) * 100:.1f}".replace(".", ",")
    return (text[:-2] if text.endswith(",0") else text) + " %"


# A procedure version's fee schedule (intake's `fees`): the kind and the moment of each item.
FEE_KIND = {"le_phi": "Lệ phí", "phi": "Phí"}
FEE_WHEN = {
    "at_submission": "Khi nộp hồ sơ",
    "before_processing": "Trước khi giải quyết",
    "before_return": "Trước khi trả kết quả",
}


# Fees and their payment (payments' obligations and orders).
PAYMENT_STAGE = {
    "before_processing": "trước khi giải quyết hồ sơ",
    "before_return": "trước khi trả kết quả",
}
PAYMENT_METHOD = {"cash": "Tiền mặt", "card": "Thẻ", "online": "Trực tuyến", "postal": "Qua bưu chính"}
COUNTER_METHODS = (("cash", "Tiền mặt"), ("card", "Thẻ"))
ORDER_STATUS = {
    "created": "Chờ thanh toán",
    "paid": "Đã thanh toán",
    "failed": "Không thành công",
    "refunded": "Đã hoàn tiền",
}


def grouped(value: Any) -> str:
    """75000 -> 75.000 (whole đồng, thousands grouped by dots)."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


def dong(value: Any) -> str:
    """75.000 đồng"""
    shown = grouped(value)
    return shown + " đồng" if shown else ""


# The national public service portal connector (services/portal).
PORTAL_STATUS_STATE = {"sent": "Đã gửi", "waiting": "Đang chờ gửi", "parked": "Bị giữ lại"}
ARRIVAL_STATE = {
    "new": "Mới nhận, chưa chuyển vào hệ thống",
    "submitted": "Đã chuyển vào hệ thống, đang lấy tệp",
    "done": "Đã chuyển đủ hồ sơ và tệp",
    "refused": "Hệ thống không nhận",
}
ARRIVAL_VIA = {"push": "Cổng gửi đến", "poll": "Hệ thống tự lấy về"}
PULL_OUTCOME = {
    "applied": "Đã cập nhật danh mục",
    "nothing_to_do": "Danh mục đã khớp, không có gì cần cập nhật",
    "refused": "Danh mục thủ tục không nhận bản cập nhật",
    "unreachable": "Không đọc được danh mục",
}
DIFF_KIND = {
    "only_national": "Chỉ có trên CSDL quốc gia",
    "only_local": "Không còn trên CSDL quốc gia",
    "expired_upstream": "Đã hết hiệu lực trên CSDL quốc gia",
    "different": "Khác nội dung",
}
# the values the staleness report compares (services/portal/domain/catalogue.py COMPARED)
CATALOGUE_FIELD = {
    "name": "Tên thủ tục",
    "field": "Lĩnh vực",
    "online_service": "Dịch vụ công trực tuyến",
    "duration_days": "Thời hạn giải quyết",
    "documents": "Thành phần hồ sơ",
    "fees": "Phí, lệ phí",
    "agency_code": "Cơ quan thực hiện",
    "legal_basis": "Căn cứ pháp lý",
    "effective_to": "Có hiệu lực đến hết ngày",
}
