"""Printable forms of Decree 61/2018 as HTML: the apology with a new date (Form 04)
and the control slip (Form 05), from the views of adapters.queries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.clock import TZ

TIMELINESS = {"ahead": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn", None: ""}
PARTY = {"MOTCUA": "Bộ phận Một cửa"}


def moment(value: datetime | None) -> str:
    if value is None:
        return ""
    value = value.astimezone(TZ)
    return f"{value:%H} giờ {value:%M} phút, ngày {value:%d/%m/%Y}"


def day(value: datetime | None) -> str:
    if value is None:
        return ""
    value = value.astimezone(TZ)
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}"


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
)
_env.filters.update(moment=moment, day=day, timeliness=TIMELINESS.get, party=lambda p: PARTY.get(p, p))


def render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)
