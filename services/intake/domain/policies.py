"""intake's legal constants and pure rule functions, each with its source. The
lifecycle's own order (statuses, what may follow what) lives with the dossier in
model.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from shared.events import SUBMISSION_REFERENCE_PREFIX

# --- dossier codes [Circular 01/2018/TT-VPCP Art. 19] ---------------------------------
# <agency code>-<YYMMDD>-<NNNN>: the sequence restarts at 0001 every day for each agency.
CODE_DAY_FORMAT = "%y%m%d"
CODE_SEQUENCE_DIGITS = 4


def code_day(moment: datetime) -> str:
    """The day part of a dossier code received at `moment`."""
    return moment.strftime(CODE_DAY_FORMAT)


def dossier_code(agency_code: str, day: str, number: int) -> str:
    return f"{agency_code}-{day}-{number:0{CODE_SEQUENCE_DIGITS}d}"


# --- submission references [CONTRACT "Submission references and codes"] ----------------
# An online or postal submission is not received yet, so it has no code: it is known by
# its own number, TN-<YYMMDD of submission>-<8 letters> (shared.events). "TN" is no
# agency code and the letters are never a 4-digit sequence, so a reference is never
# read as a dossier code; the letters are random (24^8 ≈ 1.1e11), so references
# cannot be enumerated like the sequential codes.
REFERENCE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: never read as 1 or 0
REFERENCE_TOKEN_LENGTH = 8


def submission_reference(moment: datetime, token: str) -> str:
    """The reference of a submission made at `moment`, `token` being
    REFERENCE_TOKEN_LENGTH random REFERENCE_LETTERS."""
    return f"{SUBMISSION_REFERENCE_PREFIX}{code_day(moment)}-{token}"


# --- online dossiers are answered online [Decree 61/2018/NĐ-CP Art. 17] ----------------


def online_contact_problems(phone: str | None, email: str | None, sms: bool, by_email: bool) -> list[str]:
    """What an online submission lacks to be answered by SMS or e-mail: at least one
    contact with its channel chosen. Empty when it has one."""
    if (sms and phone) or (by_email and email):
        return []
    if not phone and not email:
        return ["Hồ sơ trực tuyến cần số điện thoại hoặc email để nhận thông báo"]
    return ["Chọn nhận thông báo qua SMS (có số điện thoại) hoặc qua email (có email)"]


# --- online service levels [Decree 42/2022/NĐ-CP Art. 11] ------------------------------
# "toàn trình" (full): everything online, the result included; "một phần" (partial):
# submitted online, some step in person. The levels of Decree 43/2011 map onto them.
ONLINE_SERVICES = ("full", "partial", "none")
ONLINE_SERVICE_OF_LEVEL = {4: "full", 3: "partial", 2: "none", 1: "none"}
LEVEL_OF_ONLINE_SERVICE = {"full": 4, "partial": 3, "none": 2}  # a new-format file's level, for old readers


def online_service_of_level(level: int) -> str:
    return ONLINE_SERVICE_OF_LEVEL[level]


def accepts_online(online_service: str) -> bool:
    """Only procedures offered online, fully or partly, take online submissions."""
    return online_service in ("full", "partial")


def returns_electronically(online_service: str) -> bool:
    """Only a fully online procedure may return its result electronically."""
    return online_service == "full"


# --- one-time complete guidance [Decree 61/2018/NĐ-CP Art. 15-20; Form 02] -----------


def _key(name: str) -> str:
    return name.strip().casefold()


def missing_documents(
    required: Sequence[str], handed_in: Iterable[Mapping[str, Any]], marked: Sequence[str]
) -> list[str]:
    """Every document of the procedure that the officer marked missing or that the
    dossier does not contain, plus anything else the officer marked; all at once, in
    the procedure's order."""
    present = {_key(d["name"]) for d in handed_in}
    marked_keys = {_key(m) for m in marked}
    missing = [d for d in required if _key(d) in marked_keys or _key(d) not in present]
    known = {_key(d) for d in required}
    return missing + [m for m in marked if _key(m) not in known]


MISSING = "Chưa có trong hồ sơ"
NOT_VALID = "Chưa đạt yêu cầu (cán bộ tiếp nhận đánh dấu)"


def guidance_items(
    required: Sequence[str], handed_in: Iterable[Mapping[str, Any]], marked: Sequence[str]
) -> list[dict[str, str]]:
    """The items of Form 02 with their reasons: every missing document (as
    missing_documents), said to be absent or marked by the officer."""
    handed = list(handed_in)
    present = {_key(d["name"]) for d in handed}
    return [
        {"name": name, "reason": NOT_VALID if _key(name) in present else MISSING}
        for name in missing_documents(required, handed, marked)
    ]


# --- the catalogue: versions of one procedure never overlap -----------------------------

# What makes two versions "the same procedure text"; validity dates are compared apart.
CONTENT = (
    "name",
    "field",
    "level",
    "online_service",
    "agency_code",
    "duration_days",
    "route",
    "fees",  # the fee schedule's items and its exemptions: another schedule is another text
    "fee_exemptions",
    "documents",
    "return_methods",
    "supplement_clock",
    "cutoff",
    "legal_basis",
)


def overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return a_from <= (b_to or date.max) and b_from <= (a_to or date.max)


def period(effective_from: date, effective_to: date | None) -> str:
    end = f"{effective_to:%d/%m/%Y}" if effective_to else "nay"
    return f"{effective_from:%d/%m/%Y} - {end}"


def duplicates_in_file(entries: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Entries of one file naming the same procedure for overlapping periods, by index."""
    problems: dict[str, list[str]] = {}
    for i, entry in enumerate(entries):
        for j in range(i):
            other = entries[j]
            if other["code"] == entry["code"] and overlap(
                other["effective_from"], other["effective_to"], entry["effective_from"], entry["effective_to"]
            ):
                problems.setdefault(str(i), []).append(
                    f"Thủ tục {entry['code']} xuất hiện hai lần với thời gian hiệu lực chồng nhau "
                    f"(mục {j}: {period(other['effective_from'], other['effective_to'])})"
                )
    return problems


# --- applicants (người nộp hồ sơ) [CONTRACT "Applicants"] ------------------------------
# A citizen is identified by the CCCD (12 digits) [Circular 59/2021/TT-BCA]; an
# organisation by its enterprise or organisation code, which is its tax code: 10
# digits, 13 for a branch or dependent unit (10 + 3) [Law on Enterprises 2020;
# Circular 105/2020/TT-BTC; articles not checked against the texts]; a foreigner by the
# passport and its nationality (ISO 3166-1 alpha-2). Anyone may act for another person
# under a written authorisation [Civil Code 2015], which is then listed.
CITIZEN, ORGANISATION, FOREIGNER = "citizen", "organisation", "foreigner"
IDENTIFIER_OF_KIND = {CITIZEN: "id_number", ORGANISATION: "organisation_code", FOREIGNER: "passport_number"}
LOOKUP_IDENTIFIERS = tuple(IDENTIFIER_OF_KIND.values())

# ISO 3166-1 alpha-2: the 249 officially assigned codes (as listed by the tz database's
# iso3166.tab, which follows the ISO 3166 Maintenance Agency)
_ISO_3166_ALPHA_2 = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW "
    "BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI "
    "FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN "
    "IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME "
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF "
    "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE "
    "YT ZA ZM ZW"
)
COUNTRIES = frozenset(_ISO_3166_ALPHA_2.split())


def identifier_field(kind: str) -> str:
    """The identifier an applicant of this kind files (and looks the dossier up) with."""
    return IDENTIFIER_OF_KIND[kind]


def display_name(applicant: Mapping[str, Any]) -> str:
    """The name forms and letters address ("Kính gửi"): a person's full name, an
    organisation's name."""
    return str(applicant.get("name") if applicant.get("kind") == ORGANISATION else applicant.get("full_name") or "")


# --- attachments: the scanned or uploaded papers [Decree 61/2018/NĐ-CP Art. 17] ----------
# The counter scans the paper dossier into the system; an online dossier arrives as
# files. Limits of this system (no legal text fixes them): a file at most 20 MB, a
# dossier's files at most 100 MB in all.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DOSSIER_FILES_BYTES = 100 * 1024 * 1024
MAX_FILE_NAME_LENGTH = 200
# what a file is when it is none of the dossier's named papers
OTHER_DOCUMENT = "Giấy tờ khác"
DEFAULT_FILE_NAME = "tep-dinh-kem"


def document_of_file(document: str, named: Iterable[str]) -> str | None:
    """The document a file is declared as, spelled as the dossier names it: one of
    `named` (the procedure version's documents, the papers listed in the dossier, the
    items of its request to complete it) compared without case or surrounding spaces,
    or OTHER_DOCUMENT; None when it names none of them."""
    wanted = " ".join(document.split()).casefold()
    for name in [*named, OTHER_DOCUMENT]:
        if " ".join(name.split()).casefold() == wanted and wanted:
            return name
    return None


def clean_file_name(name: str | None) -> str:
    """The file name as sent, kept for the download's Content-Disposition: no folder
    (either separator), no control characters, at most MAX_FILE_NAME_LENGTH characters
    (the extension kept), DEFAULT_FILE_NAME when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip().strip(".").strip()
    if not base:
        return DEFAULT_FILE_NAME
    if len(base) > MAX_FILE_NAME_LENGTH:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            base = stem[: MAX_FILE_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_FILE_NAME_LENGTH]
    return base
