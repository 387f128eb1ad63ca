"""The counter's forms and intake's API, both ways, without any framework: a form as
posted (field name -> text) becomes the JSON body intake takes, and intake's `fields`
errors (nested like the body: {"applicant": {"id_number": [...]}}) become the form's
field names ("applicant.id_number") so each message shows beside its field.

Form field names are the body's paths with dots: `applicant.kind`,
`applicant.representative.id_number`, `documents.0.copies`, `notify.sms`. A document
row of the form whose copies are 0 (not brought) or whose name is blank is not sent,
so `rows` remembers which form row each sent document came from.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.web.form_errors import flatten

CHANNEL = "counter"
# applicant kinds (CONTRACT "Applicants") and the fields of each, as the form shows them
KINDS = {
    "citizen": "Công dân Việt Nam",
    "organisation": "Tổ chức, doanh nghiệp",
    "foreigner": "Người nước ngoài",
}
KIND_FIELDS = {
    "citizen": ("full_name", "id_number"),
    "organisation": ("name", "organisation_code", "representative.full_name", "representative.id_number"),
    "foreigner": ("full_name", "passport_number", "nationality"),
}
CONTACT_FIELDS = ("phone", "email", "address")
MAX_COPIES_TEXT = 6  # "100" is the API's most; anything longer is not a number of copies
WHOLE_NUMBER = "Phải là số nguyên"
EXEMPTION_FIELDS = ("fee_exemption.code", "fee_exemption.reason")
EXEMPTION_REASON_NEEDED = "Nhập lý do hoặc giấy tờ chứng minh người nộp thuộc đối tượng được miễn"
# intake's field names that are not the body's paths, as the form calls them
API_NAMES = {"exemption_code": "fee_exemption.code"}


@dataclass
class Conversion:
    """A form turned into an API body; `errors` are problems found before asking the
    API (a number that is not one), by form field name."""

    body: dict[str, Any]
    rows: list[int] = field(default_factory=list)  # documents[i] of the body came from form row rows[i]
    errors: dict[str, list[str]] = field(default_factory=dict)


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _checked(form: Mapping[str, Any], name: str) -> bool:
    return _text(form, name) not in ("", "0", "false", "off")


def _whole(text: str, default: int) -> int | None:
    """A whole number typed in a form ("" is the default), None when it is not one."""
    if text == "":
        return default
    if len(text) > MAX_COPIES_TEXT or not text.isascii() or not text.lstrip("-").isdigit():
        return None
    return int(text)


def kind_of(form: Mapping[str, Any]) -> str:
    kind = _text(form, "applicant.kind")
    return kind if kind in KINDS else "citizen"


def applicant(form: Mapping[str, Any]) -> dict[str, Any]:
    """The applicant of the kind chosen: only that kind's fields and the contacts; a
    blank field is left out (the API names what is missing)."""
    kind = kind_of(form)
    body: dict[str, Any] = {"kind": kind}
    for name in (*KIND_FIELDS[kind], *CONTACT_FIELDS):
        value = _text(form, f"applicant.{name}")
        if not value:
            continue
        if "." in name:
            outer, inner = name.split(".", 1)
            body.setdefault(outer, {})[inner] = value
        else:
            body[name] = value
    return body


def documents(
    form: Mapping[str, Any], prefix: str = "documents"
) -> tuple[list[dict[str, Any]], list[int], dict[str, list[str]]]:
    """([{name, copies}], form rows they came from, errors): rows with a name and at
    least one copy (blank copies: 1)."""
    sent: list[dict[str, Any]] = []
    rows: list[int] = []
    errors: dict[str, list[str]] = {}
    for row in rows_of(form, prefix):
        name = _text(form, f"{prefix}.{row}.name")
        copies = _whole(_text(form, f"{prefix}.{row}.copies"), 1)
        if copies is None:
            errors[f"{prefix}.{row}.copies"] = [WHOLE_NUMBER]
            continue
        if not name or copies == 0:
            continue
        sent.append({"name": name, "copies": copies})
        rows.append(row)
    return sent, rows, errors


def rows_of(form: Mapping[str, Any], prefix: str = "documents") -> list[int]:
    """The indexes of the rows the form has (`prefix`.N.name or .copies), in order."""
    found = set()
    for name in form:
        parts = str(name).split(".")
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and len(parts[1]) < 4:
            found.add(int(parts[1]))
    return sorted(found)


def fee_exemption(form: Mapping[str, Any]) -> dict[str, str] | None:
    """The category chosen in "Miễn lệ phí" and its reason; None when "Không miễn"."""
    code = _text(form, "fee_exemption.code")
    return {"code": code, "reason": _text(form, "fee_exemption.reason")} if code else None


def submission(form: Mapping[str, Any], procedure_code: str) -> Conversion:
    """The reception form -> the body of intake's POST /api/dossiers (channel counter)."""
    sent, rows, errors = documents(form)
    return_method = _text(form, "return_method")
    body: dict[str, Any] = {
        "procedure_code": procedure_code,
        "channel": CHANNEL,
        "applicant": applicant(form),
        "documents": sent,
        "return_method": return_method,
        "notify": {"sms": _checked(form, "notify.sms"), "email": _checked(form, "notify.email")},
    }
    if return_method == "postal":  # an address only goes with a postal return
        body["delivery_address"] = _text(form, "delivery_address") or None
    exemption = fee_exemption(form)
    if exemption is not None:
        body["fee_exemption"] = exemption
        if not exemption["reason"]:  # the exemption is granted on a paper shown: say which
            errors["fee_exemption.reason"] = [EXEMPTION_REASON_NEEDED]
    sets = _whole(_text(form, "sets"), 1)
    if sets is None:
        errors["sets"] = [WHOLE_NUMBER]
    else:
        body["sets"] = sets
    return Conversion(body, rows, errors)


def form_errors(
    fields: Mapping[str, Any] | None, rows: Sequence[int] = (), prefix: str = "", documents_at: str = "documents"
) -> dict[str, list[str]]:
    """intake's `fields` -> {form field name: [messages]}: the body's documents[i]
    become the form's row `documents_at`.rows[i] (documents.2.copies,
    supplement.0.copies); `prefix` names a form whose other fields are the body's
    under it (refuse.reason); an unknown exemption's `exemption_code` is the select
    fee_exemption.code."""
    placed: dict[str, list[str]] = {}
    for name, messages in flatten(fields or {}).items():
        path = name.split(".")
        if len(path) >= 2 and path[0] == "documents" and path[1].isdigit():
            index = int(path[1])
            row = rows[index] if index < len(rows) else index
            name = ".".join([documents_at, str(row), *path[2:]])
        elif prefix:
            name = f"{prefix}.{name}"
        else:
            name = API_NAMES.get(name, name)
        placed.setdefault(name, []).extend(messages)
    return placed


def reception_fields(kind: str, rows: Iterable[int], postal: bool, exemptions: bool = False) -> list[str]:
    """Every field name the reception form shows, for `unplaced` (`exemptions`: the
    procedure lists categories exempted from the lệ phí)."""
    names = [f"applicant.{n}" for n in (*KIND_FIELDS[kind], *CONTACT_FIELDS)]
    names += ["applicant.kind", "applicant", "applicant.representative", "documents", "return_method", "notify"]
    names += ["notify.sms", "notify.email", "sets"]
    for row in rows:
        names += [f"documents.{row}", f"documents.{row}.name", f"documents.{row}.copies"]
    if postal:
        names.append("delivery_address")
    if exemptions:
        names += ["fee_exemption", *EXEMPTION_FIELDS]
    return names


def blank_reception(procedure: Mapping[str, Any]) -> dict[str, str]:
    """The form as first shown: a citizen, every document of the procedure with one
    copy, one spare row, the first return method the procedure allows."""
    form = {"applicant.kind": "citizen", "sets": "1", "idempotency_key": new_idempotency_key()}
    names = list(procedure.get("documents") or [])
    for row, name in enumerate(names):
        form[f"documents.{row}.name"] = name
        form[f"documents.{row}.copies"] = "1"
    form[f"documents.{len(names)}.name"] = ""
    form[f"documents.{len(names)}.copies"] = "1"
    methods = procedure.get("return_methods") or ["counter"]
    form["return_method"] = methods[0]
    return form


# --- the counter's actions on a dossier ------------------------------------------------


def acceptance(form: Mapping[str, Any]) -> dict[str, Any]:
    """The accept form -> {missing_documents, note}: the documents ticked as missing."""
    missing = form.getlist("accept.missing") if hasattr(form, "getlist") else form.get("accept.missing") or []
    if isinstance(missing, str):
        missing = [missing]
    body: dict[str, Any] = {"missing_documents": [m.strip() for m in missing if m.strip()]}
    note = _text(form, "accept.note")
    if note:  # a note, when given, is 1 to 1000 characters
        body["note"] = note
    return body


def reason(form: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """A refusal's or withdrawal's form -> {reason}; none typed, none sent (the API
    answers that it is required)."""
    text = _text(form, f"{prefix}.reason")
    return {"reason": text} if text else {}


def supplement(form: Mapping[str, Any]) -> Conversion:
    """The supplement form (rows supplement.N.name / .copies, supplement.note) ->
    {documents, note}; a blank row is not sent."""
    sent, rows, errors = documents(form, "supplement")
    body: dict[str, Any] = {"documents": sent}
    note = _text(form, "supplement.note")
    if note:
        body["note"] = note
    return Conversion(body, rows, errors)


# --- searching --------------------------------------------------------------------------


def folded(text: str | None) -> str:
    """Text as a search compares it: no case, no accents, đ as d, single spaces."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def matching_procedures(procedures: Iterable[Mapping[str, Any]], q: str | None) -> list[Mapping[str, Any]]:
    """The procedures whose code or name contains `q` (no case or accents), every one
    when `q` is blank; by code."""
    wanted = folded(q)
    found = [p for p in procedures if not wanted or wanted in folded(p.get("code")) or wanted in folded(p.get("name"))]
    return sorted(found, key=lambda p: str(p.get("code")))
