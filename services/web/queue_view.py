"""What a department's screens make of processing's answers, without the framework:
the queue's rows classified overdue / due soon / on time with the counts, the
officer's own items, the supplement rows of the decision form, the apology's new
date, and the APIs' field errors under the forms' own field names.

"Due soon" is processing's own flag: due within ONE WORKING DAY of now on the
working-day calendar (holidays and make-up days included; policies.DUE_SOON_DAYS),
the last moment to send the apology with a new date (Form 04). The page's legend
says so. Overdue: the due moment has passed (now > due_at)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from services.web.form_errors import rename
from shared.clock import TZ

OVERDUE, DUE_SOON, ON_TIME = "overdue", "due-soon", "on-time"
STATE_WORDS = {OVERDUE: "Quá hạn", DUE_SOON: "Sắp đến hạn", ON_TIME: "Trong hạn"}
TASK_STATUS = {"waiting": "Chờ nhận", "claimed": "Đang xử lý", "done": "Đã xử lý", "cancelled": "Đã hủy"}
DECISION = {
    "approve": "Đồng ý, chuyển bước tiếp theo",
    "transfer": "Chuyển liên thông",
    "request_supplement": "Yêu cầu bổ sung",
    "reject": "Từ chối giải quyết",
}
TIMELINESS = {"ahead": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
COUNTER = "MOTCUA"  # the one-stop counter, first and last party of every control slip
# Rows of the supplement form: shown at first, and at most.
SUPPLEMENT_ROWS, MAX_SUPPLEMENT_ROWS = 3, 30
# The apology's new date names a day; the moment is that day's close of business unless a time is given.
CLOSE_OF_BUSINESS = time(17, 0)


def moment(value: Any) -> datetime | None:
    """An API's ISO moment (or a datetime) as an aware datetime; None when absent."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            return None
        return found if found.tzinfo else found.replace(tzinfo=TZ)
    return None


def classify(item: Mapping[str, Any], now: datetime) -> str:
    """overdue once its due moment has passed (by the API's flag or the page's own
    clock); due soon by processing's flag (one working day, see the module's note)."""
    due = moment(item.get("due_at"))
    if item.get("overdue") or (due is not None and due < now):
        return OVERDUE
    if item.get("due_soon"):
        return DUE_SOON
    return ON_TIME


@dataclass
class Row:
    """One open item of the queue as the table shows it."""

    item: Mapping[str, Any]
    state: str
    mine: bool
    held_by: str | None  # another holder, when someone else has it
    not_yet: bool  # waiting but not available yet (a paper dossier after the cut-off)

    @property
    def code(self) -> str:
        return str(self.item["dossier_code"])

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]


@dataclass
class QueueView:
    department: str
    rows: list[Row]
    counts: dict[str, int]
    total: int  # open items of the department (the table may show fewer)
    mine: list[Row] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def queue_view(answer: Mapping[str, Any], me: str, now: datetime) -> QueueView:
    """processing's queue answer (earliest due first) for the officer `me`: each row
    classified, the officer's own items apart, and the counts: waiting, being
    processed, overdue, due soon (over every open item, as the API counts them) and
    mine (of the rows listed)."""
    rows = []
    for item in answer.get("items") or ():
        claimed = item.get("status") == "claimed"
        holder = item.get("claimed_by") if claimed else None
        available = moment(item.get("available_at"))
        rows.append(
            Row(
                item=item,
                state=classify(item, now),
                mine=claimed and holder == me,
                held_by=holder if holder and holder != me else None,
                not_yet=not claimed and available is not None and available > now,
            )
        )
    counts = dict(answer.get("counts") or {})
    total = int(counts.get("open", len(rows)))
    claimed = int(counts.get("claimed", sum(1 for r in rows if r.item.get("status") == "claimed")))
    mine = [r for r in rows if r.mine]
    return QueueView(
        department=str(answer.get("department", "")),
        rows=rows,
        total=total,
        mine=mine,
        counts={
            "waiting": total - claimed,
            "claimed": claimed,
            "overdue": int(counts.get("overdue", sum(1 for r in rows if r.state == OVERDUE))),
            "due_soon": int(counts.get("due_soon", sum(1 for r in rows if r.state == DUE_SOON))),
            "mine": len(mine),
        },
    )


def current_step(tasks: Sequence[Mapping[str, Any]], department: str, me: str) -> dict[str, Any] | None:
    """The step of the dossier the officer's department works on: the open one (the
    officer's own first), else the department's latest; None when it never had one."""
    ours = [t for t in tasks if t.get("department") == department]
    held = [t for t in ours if t.get("status") == "claimed" and t.get("claimed_by") == me]
    open_ = [t for t in ours if t.get("status") in ("waiting", "claimed")]
    for found in (held, open_, ours):
        if found:
            return dict(found[-1])
    return None


@dataclass
class SupplementRows:
    """The supplement form's rows as typed, the items to ask for, and what is wrong."""

    rows: list[dict[str, str]]
    items: list[dict[str, str]]
    errors: dict[str, list[str]]
    row_of_item: list[int]  # the form's row of each item sent to the API

    def api_errors(self, flat: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """The API's errors on items.<i>.<field> as the form's rows."""
        names = {}
        for index, row in enumerate(self.row_of_item):
            for part in ("name", "reason"):
                names[f"items.{index}.{part}"] = f"items.{row}.{part}"
        return rename(flat, names)


def supplement_rows(pairs: Iterable[tuple[str, str]], more: bool = False) -> SupplementRows:
    """The rows of the form (fields items.<row>.name / items.<row>.reason): an empty
    row is left out; a row with a name and no reason (or the reverse) is named by
    its field; at least one item. `more`: one empty row added (the "add a row"
    button, which sends nothing to the API)."""
    found: dict[int, dict[str, str]] = {}
    for key, value in pairs:
        match = re.fullmatch(r"items\.(\d{1,3})\.(name|reason)", key)
        if match and int(match.group(1)) < MAX_SUPPLEMENT_ROWS:
            found.setdefault(int(match.group(1)), {"name": "", "reason": ""})[match.group(2)] = value.strip()
    rows = [found[i] for i in sorted(found)]
    items, row_of_item, errors = [], [], {}
    for index, row in enumerate(rows):
        if not row["name"] and not row["reason"]:
            continue
        if not row["name"]:
            errors[f"items.{index}.name"] = ["Cần nêu tên giấy tờ cần bổ sung"]
        if not row["reason"]:
            errors[f"items.{index}.reason"] = ["Cần nêu lý do cần bổ sung giấy tờ này"]
        items.append(dict(row))
        row_of_item.append(index)
    if not items:
        errors["items"] = ["Cần liệt kê ít nhất một giấy tờ cần bổ sung (tên và lý do)"]
    wanted = max(len(rows), SUPPLEMENT_ROWS) + (1 if more else 0)
    rows += [{"name": "", "reason": ""} for _ in range(min(wanted, MAX_SUPPLEMENT_ROWS) - len(rows))]
    return SupplementRows(rows=rows, items=items, errors=errors, row_of_item=row_of_item)


def new_due_at(day: str, at: str = "") -> tuple[str | None, dict[str, list[str]]]:
    """The apology's new date from the form (YYYY-MM-DD, optional HH:MM, Vietnam's
    time) as the API's ISO moment, or the form's errors."""
    errors: dict[str, list[str]] = {}
    try:
        chosen_day = date.fromisoformat(day.strip())
    except ValueError:
        errors["new_date"] = ["Chọn ngày hẹn mới (ngày/tháng/năm)"]
    try:
        chosen_time = time.fromisoformat(at.strip()) if at.strip() else CLOSE_OF_BUSINESS
    except ValueError:
        errors["new_time"] = ["Giờ hẹn có dạng giờ:phút, ví dụ 17:00"]
    if errors:
        return None, errors
    return datetime.combine(chosen_day, chosen_time.replace(second=0, microsecond=0), TZ).isoformat(), {}


def transfer_choices(known: Iterable[str], procedures: Iterable[Mapping[str, Any]], own: str) -> list[str]:
    """Where a dossier may be transferred: the departments processing knows and those
    of the catalogue's routes, without the officer's own."""
    found = {str(d) for d in known}
    for procedure in procedures:
        found.update(str(step.get("department")) for step in procedure.get("route") or () if step.get("department"))
    found.discard(own)
    found.discard(COUNTER)
    return sorted(found)
