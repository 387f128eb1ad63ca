"""intake's printable pages (templates/): the receipt (Form 01, "Giấy tiếp nhận hồ sơ
và hẹn trả kết quả") with a QR code that opens the citizen lookup for this dossier,
and the citizen's lookup form and answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import segno

from services.intake.domain.model import Dossier, ProcedureVersion, ReturnMethod
from shared import clock

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


def receipt(dossier: Dossier, procedure: ProcedureVersion, public_url: str, place: str = "Hải Phòng") -> str:
    """Form 01 of a received dossier (Dossier.require_received first)."""
    assert dossier.received_at is not None and dossier.due_at is not None
    qr = segno.make(lookup_link(public_url, dossier.code), error="m").svg_inline(scale=3)
    return_to = (
        "Bộ phận Một cửa (trả trực tiếp)"
        if dossier.return_method == ReturnMethod.COUNTER
        else f"Qua bưu chính công ích, địa chỉ: {dossier.delivery_address}"
    )
    return _RECEIPTS.get_template("receipt.html").render(
        d=dossier,
        p=procedure,
        qr=qr,
        agency=dossier.agency_code,
        place=place,
        received=clock.local(dossier.received_at),
        due=clock.local(dossier.due_at),
        channel=CHANNELS[dossier.channel],
        return_to=return_to,
        number=dossier.code.rsplit("-", 1)[1],
        print_script=PRINT_SCRIPT,
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
