"""Tables as downloads: CSV (UTF-8 with a byte-order mark, so that spreadsheet programs
read Vietnamese correctly) and XLSX (openpyxl), with native charts in the XLSX.

A table is a title, its columns (key, heading) and its rows (dicts by key). The same
table gives every format, so a CSV and an XLSX of one report always hold the same
figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from werkzeug.wrappers import Response

from shared import clock

FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Chart:
    """A native chart of a sheet: one series per value column, the categories from
    `category` (a column key). `kind` is "bar" or "line"."""

    title: str
    category: str
    values: Sequence[str]
    kind: str = "bar"
    y_title: str = ""


@dataclass
class Table:
    title: str
    columns: Sequence[tuple[str, str]]  # (key, heading)
    rows: Sequence[Mapping[str, Any]]
    charts: Sequence[Chart] = field(default_factory=tuple)

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.columns]


def cell(value: Any) -> Any:
    """A value as a spreadsheet holds it: times in Vietnam's time, without a zone
    (XLSX has none), enums as their strings, lists joined."""
    if isinstance(value, datetime):
        return clock.local(value).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date) or value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


def _text(value: Any) -> str:
    value = cell(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading for _, heading in table.columns])
    for row in table.rows:
        writer.writerow([_text(row.get(key)) for key in table.keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(tables: Iterable[Table]) -> bytes:
    """One sheet per table (headings in bold, dates formatted), with its charts to the
    right of the rows."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title))
        sheet.append([heading for _, heading in table.columns])
        for heading_cell in sheet[1]:
            heading_cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([cell(row.get(key)) for key in table.keys])
        for column in sheet.iter_cols(min_row=2):
            for value_cell in column:
                if isinstance(value_cell.value, datetime):
                    value_cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(value_cell.value, date):
                    value_cell.number_format = "dd/mm/yyyy"
        for i, chart in enumerate(table.charts):
            _add_chart(sheet, table, chart, anchor_row=1 + 16 * i)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(title: str) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


def _add_chart(sheet: Any, table: Table, chart: Chart, anchor_row: int) -> None:
    if not table.rows:
        return
    keys = table.keys
    drawn = BarChart() if chart.kind == "bar" else LineChart()
    drawn.title = chart.title
    drawn.y_axis.title = chart.y_title
    last = len(table.rows) + 1
    for key in chart.values:
        column = keys.index(key) + 1
        drawn.add_data(Reference(sheet, min_col=column, min_row=1, max_row=last), titles_from_data=True)
    category = keys.index(chart.category) + 1
    drawn.set_categories(Reference(sheet, min_col=category, min_row=2, max_row=last))
    drawn.width, drawn.height = 18, 8
    anchor_column = len(keys) + 2
    sheet.add_chart(drawn, f"{get_column_letter(anchor_column)}{anchor_row}")


def download(format: str, filename: str, tables: Sequence[Table]) -> Response:
    """The answer of `?format=csv|xlsx` (the first table for CSV), as an attachment
    named `filename` plus the extension."""
    if format == "csv":
        body, media_type = csv_bytes(tables[0]), "text/csv; charset=utf-8"
    elif format == "xlsx":
        body, media_type = xlsx_bytes(tables), XLSX_TYPE
    else:
        raise ValueError(f"not a download format: {format}")
    return Response(
        body,
        status=200,
        mimetype=None,
        headers={
            "Content-Type": media_type,
            "Content-Disposition": f'attachment; filename="{filename}.{format}"',
            "Cache-Control": "no-store",
        },
    )
