"""The citizens' forms without the web framework: the lookup form and the online
submission form as the intake API's bodies, the API's field errors back onto the
form's fields, the timeline of a lookup answer, and the per-address limit of online
submissions. Pure functions and one small class, tested in tests/unit/web."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.web.form_errors import Errors, flatten

# the identifiers a dossier may be looked up with [CONTRACT "Applicants"]
IDENTIFIERS = ("id_number", "organisation_code", "passport_number")
IDENTIFIER_WORDS = {
    "id_number": "Số CCCD (công dân)",
    "organisation_code": "Mã số doanh nghiệp, tổ chức",
    "passport_number": "Số hộ chiếu (người nước ngoài)",
}
ONLINE_SERVICES = ("full", "partial")  # Decree 42/2022/NĐ-CP: toàn trình, một phần
ONLINE_SERVICE_WORDS = {"full": "Toàn trình", "partial": "Một phần"}
MAX_COPIES = 100
# the statuses after which nothing more happens to a dossier
FINAL = ("returned", "refused", "withdrawn")


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _no_spaces(value: Any) -> str:
    return re.sub(r"\s+", "", value) if isinstance(value, str) else ""


# --- the lookup (tra cứu) ---------------------------------------------------------------


@dataclass
class LookupForm:
    code: str
    kind: str  # which identifier: id_number, organisation_code or passport_number
    body: dict[str, str]  # POST /api/lookup
    errors: Errors  # the form's own problems: the API is not asked


def lookup_form(form: Mapping[str, str]) -> LookupForm:
    """The lookup as typed: `code` with either the contract's own field (`id_number`,
    `organisation_code` or `passport_number`) or the page's `kind` + `identifier`."""
    code = _no_spaces(form.get("code")).upper()
    direct = [(name, _no_spaces(form.get(name))) for name in IDENTIFIERS if _no_spaces(form.get(name))]
    if direct:
        kind, value = direct[0]
    else:
        chosen = form.get("kind") or ""
        kind = chosen if chosen in IDENTIFIERS else "id_number"
        value = _no_spaces(form.get("identifier"))
    errors: Errors = {}
    if not code:
        errors["code"] = ["Bắt buộc nhập mã hồ sơ (in trên giấy tiếp nhận) hoặc số đăng ký trực tuyến (TN-...)"]
    if not value:
        errors["identifier"] = ["Bắt buộc nhập số giấy tờ đã dùng khi nộp hồ sơ"]
    if len(direct) > 1:
        errors["identifier"] = ["Chỉ nhập một loại giấy tờ để tra cứu"]
    body = {"code": code, **dict(direct)} if direct else {"code": code, kind: value}
    return LookupForm(code=code, kind=kind, body=body, errors=errors)


def lookup_errors(fields: Mapping[str, Any]) -> Errors:
    """The API's field errors on the lookup page's two fields."""
    found: Errors = {}
    for name, messages in flatten(fields).items():
        found.setdefault("code" if name == "code" else "identifier", []).extend(messages)
    return found


STEP_WORDS = {
    "submitted": "Đăng ký hồ sơ, chờ bộ phận một cửa kiểm tra",
    "received": "Bộ phận một cửa tiếp nhận hồ sơ",
    "refused": "Hồ sơ không được tiếp nhận",
    "in_progress": "Chuyển cơ quan chuyên môn giải quyết",
    "supplement_requested": "Yêu cầu bổ sung giấy tờ",
    "awaiting_payment": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Hồ sơ đã được rút",
    "rejected": "Dừng giải quyết hồ sơ",
    "result_ready": "Đã có kết quả, chờ trả",
    "returned": "Đã trả kết quả",
}


@dataclass
class Step:
    label: str
    at: str | None  # ISO 8601, as the API answers
    state: str  # done | current | next
    note: str = ""


def timeline(answer: Mapping[str, Any]) -> list[Step]:
    """The steps of a lookup answer, oldest first: each status the dossier went
    through with its time (repeats of one status in a row are one step), then what
    comes next (the check at the counter, the appointment). With no `steps` in the
    answer, the reception and the return it names."""
    status = answer.get("status") or ""
    steps: list[tuple[str, str | None]] = []
    for step in answer.get("steps") or []:
        if not steps or steps[-1][0] != step.get("status"):
            steps.append((step.get("status") or "", step.get("at")))
    if not steps:
        if answer.get("received_at"):
            steps.append(("received", answer["received_at"]))
        if answer.get("returned_at"):
            steps.append(("returned", answer["returned_at"]))
        if status and (not steps or steps[-1][0] != status):
            steps.append((status, None))
    done = [Step(STEP_WORDS.get(s, s), at, "done") for s, at in steps]
    if done:
        done[-1].state = "current"
    later: list[Step] = []
    if status == "submitted":
        later.append(
            Step("Bộ phận một cửa kiểm tra hồ sơ; mã hồ sơ và ngày hẹn trả được cấp khi tiếp nhận", None, "next")
        )
    elif status not in FINAL and status != "rejected" and answer.get("appointment"):
        note = "đã hẹn lại" if answer.get("rescheduled") else ""
        if answer.get("overdue"):
            note = "đã quá hạn hẹn trả" + (", " + note if note else "")
        later.append(Step("Hẹn trả kết quả", answer["appointment"], "next", note))
    return done + later


def collect_words(answer: Mapping[str, Any]) -> dict[str, str]:
    """Where and how the citizen gets the result: {how, where, bring}."""
    collect = answer.get("collect") or {}
    agency = answer.get("agency") or {}
    if collect.get("method") == "postal":
        return {
            "how": "Nhận qua bưu chính",
            "where": "Bưu chính công ích chuyển kết quả đến địa chỉ bạn đã đăng ký khi nộp hồ sơ",
            "bring": "Xuất trình giấy tờ tùy thân khi nhận bưu phẩm.",
        }
    where = "Bộ phận tiếp nhận và trả kết quả (Bộ phận Một cửa)"
    if agency.get("name"):
        where += f", {agency['name']}"
        if agency.get("address"):
            where += f", {agency['address']}"
    elif collect.get("where"):
        where = collect["where"]
    return {
        "how": "Nhận trực tiếp tại Bộ phận Một cửa",
        "where": where,
        "bring": "Mang theo giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng giấy tờ tùy thân.",
    }


# --- the online submission (nộp hồ sơ trực tuyến) --------------------------------------------

APPLICANT_FIELDS = ("full_name", "id_number", "phone", "email", "address")


def offered_online(procedure: Mapping[str, Any]) -> bool:
    return procedure.get("online_service") in ONLINE_SERVICES


@dataclass
class SubmissionForm:
    body: dict[str, Any]  # POST /api/dossiers
    documents: dict[int, int]  # index in body["documents"] -> index in the procedure's list
    errors: Errors  # the form's own problems: the API is not asked


def submission_form(form: Mapping[str, str], procedure: Mapping[str, Any]) -> SubmissionForm:
    """The online submission of `procedure` (its API view) as typed. Field names are
    the API's, dotted (applicant.full_name, documents.0.copies, notify.sms); a document
    is sent when its box `doc.<i>` is ticked, under the catalogue's name, never one
    typed in."""
    errors: Errors = {}
    applicant: dict[str, Any] = {"kind": "citizen"}
    for name in APPLICANT_FIELDS:
        value = _clean(form.get(f"applicant.{name}"))
        if name == "id_number":
            value = _no_spaces(value)
        if value:
            applicant[name] = value
    documents: list[dict[str, Any]] = []
    positions: dict[int, int] = {}
    for i, name in enumerate(procedure.get("documents") or []):
        if not form.get(f"doc.{i}"):
            continue
        raw = _clean(form.get(f"documents.{i}.copies")) or "1"
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_COPIES:
            errors[f"documents.{i}.copies"] = [f"Số bản là một số từ 1 đến {MAX_COPIES}"]
            continue
        positions[len(documents)] = i
        documents.append({"name": name, "copies": int(raw)})
    methods = list(procedure.get("return_methods") or [])
    method = _clean(form.get("return_method"))
    if not method and len(methods) == 1:
        method = methods[0]
    if method not in methods:
        errors["return_method"] = ["Chọn một hình thức nhận kết quả"]
    body: dict[str, Any] = {
        "procedure_code": procedure.get("code"),
        "channel": "online",
        "applicant": applicant,
        "documents": documents,
        "return_method": method,
        "notify": {"sms": bool(form.get("notify.sms")), "email": bool(form.get("notify.email"))},
    }
    address = _clean(form.get("delivery_address"))
    if method == "postal" and address:
        body["delivery_address"] = address
    return SubmissionForm(body=body, documents=positions, errors=errors)


def submission_errors(fields: Mapping[str, Any], documents: Mapping[int, int]) -> Errors:
    """The API's field errors under the form's field names (a document's index in the
    body becomes its row on the form)."""
    found: Errors = {}
    for name, messages in flatten(fields).items():
        parts = name.split(".")
        if parts[0] == "documents" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) in documents:
            parts[1] = str(documents[int(parts[1])])
            name = ".".join(parts)
        found.setdefault(name, []).extend(messages)
    return found


def submission_values(form: Mapping[str, str], procedure: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the form shows again: the values typed (or the first showing's defaults)."""
    documents = (procedure or {}).get("documents") or []
    methods = (procedure or {}).get("return_methods") or []
    if not form:
        values: dict[str, Any] = {f"doc.{i}": True for i in range(len(documents))}
        values.update({f"documents.{i}.copies": "1" for i in range(len(documents))})
        values.update({"return_method": methods[0] if methods else "", "notify.sms": True, "notify.email": False})
        return values
    values = {f"applicant.{name}": _clean(form.get(f"applicant.{name}")) for name in APPLICANT_FIELDS}
    for i in range(len(documents)):
        values[f"doc.{i}"] = bool(form.get(f"doc.{i}"))
        values[f"documents.{i}.copies"] = _clean(form.get(f"documents.{i}.copies")) or "1"
    values["return_method"] = _clean(form.get("return_method"))
    values["delivery_address"] = _clean(form.get("delivery_address"))
    values["notify.sms"] = bool(form.get("notify.sms"))
    values["notify.email"] = bool(form.get("notify.email"))
    return values
