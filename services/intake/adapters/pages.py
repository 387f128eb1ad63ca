"""intake's printable pages (templates/, A4 when printed): the receipt (Form 01, "Giấy
tiếp nhận hồ sơ và hẹn trả kết quả") with a QR code that opens the citizen lookup for
this dossier, the request to complete a dossier (Form 02) and the refusal (Form 03)
of Circular 01/2018/TT-VPCP, and the citizen's lookup form and answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import segno

from services.intake.domain import policies
from services.intake.domain.model import Agency, Dossier, ProcedureVersion, ReturnMethod
from shared import clock, logs

TEMPLATES = Path(__file__).parent.parent / "templates"
_RECEIPTS = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)

# The receipt's one script, allowed by its hash in the Content-Security-Policy (no inline handlers).
PRINT_SCRIPT = 'document.getElementById("print").addEventListener("click", function () { window.print(); });'
SCRIPTS = (PRINT_SCRIPT,)

CHANNELS = {"counter": "trực tiếp", "online": "trực tuyến", "postal": "bưu chính công ích"}


def lookup_link(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/tra-cuu?{urlencode({'code': code})}"


def _forms_context(dossier: Dossier, agency: Agency, day: datetime) -> dict[str, Any]:
    behalf = dossier.on_behalf_of or {}
    return {
        "d": dossier,
        "agency": agency,
        "day": clock.local(day),
        "mask": logs.mask_id,
        "behalf_name": policies.display_name(behalf) if behalf else "",
        "print_script": PRINT_SCRIPT,
    }


def receipt(dossier: Dossier, procedure: ProcedureVersion, public_url: str, agency: Agency) -> str:
    """Form 01 of a received dossier (Dossier.require_received first): the agency's
    name, address and place name as configured, the sets received."""
    # no appointment yet while the fees due before processing are not paid: it counts from the payment
    assert dossier.received_at is not None
    qr = segno.make(lookup_link(public_url, dossier.code), error="m").svg_inline(scale=3)
    return_to = (
        "Bộ phận Một cửa (trả trực tiếp)"
        if dossier.return_method == ReturnMethod.COUNTER
        else f"Qua bưu chính công ích, địa chỉ: {dossier.delivery_address}"
    )
    return _RECEIPTS.get_template("receipt.html").render(
        **_forms_context(dossier, agency, dossier.received_at),
        p=procedure,
        qr=qr,
        received=clock.local(dossier.received_at),
        due=clock.local(dossier.due_at) if dossier.due_at else None,
        channel=CHANNELS[dossier.channel],
        return_to=return_to,
        number=dossier.code.rsplit("-", 1)[-1],
        signer=dossier.applicant_name,
    )


def supplement_request(dossier: Dossier, procedure: ProcedureVersion, agency: Agency) -> str:
    """Form 02, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ": every item to complete with
    its reason, from the counter's guidance or a department's request
    (Dossier.require_form("02") first)."""
    request = dossier.supplement_request or {}
    requested = clock.local(datetime.fromisoformat(request["requested_at"]))
    from_counter = request.get("from") == "counter"
    contact = "Bộ phận tiếp nhận và trả kết quả" + (f", {agency.address}" if agency.address else "")
    if dossier.channel == "online":
        contact += " hoặc qua Cổng dịch vụ công"
    return _RECEIPTS.get_template("form02.html").render(
        **_forms_context(dossier, agency, requested),
        p=procedure,
        number=dossier.code,
        requested=requested,
        items=request.get("items", []),
        note=request.get("note") or "",
        by_whom="Bộ phận tiếp nhận và trả kết quả" if from_counter else f"Đơn vị xử lý {request.get('by', '')} -",
        guide=request.get("by", "") if from_counter else "",
        contact=contact,
    )


def refusal(dossier: Dossier, procedure: ProcedureVersion, agency: Agency, officer: str, refused_at: datetime) -> str:
    """Form 03, "Phiếu từ chối tiếp nhận giải quyết hồ sơ", with the reason
    (Dossier.require_form("03") first)."""
    return _RECEIPTS.get_template("form03.html").render(
        **_forms_context(dossier, agency, refused_at),
        p=procedure,
        number=dossier.code,
        officer=officer,
    )


def _local(moment: datetime) -> str:
    return clock.local(moment).strftime("%H giờ %M phút, ngày %d/%m/%Y")


def lookup_page(code: str | None, error: Any = None) -> str:
    """The citizen's form: POSTed, so the CCCD never appears in a URL (history, logs,
    Referer). `error` has a `message` and `fields`."""
    return _PAGES.get_template("lookup.html").render(code=code or "", error=error)


def lookup_result_page(view: dict[str, Any]) -> str:
    local: Callable[[datetime], str] = _local
    return _PAGES.get_template("lookup_result.html").render(v=view, local=local)
