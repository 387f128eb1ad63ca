"""intake's aggregates: the dossier in the register (sổ theo dõi hồ sơ), the
procedure of the national catalogue with its versions (danh mục thủ tục hành
chính), and the administrators' calendar overrides.

Operations take the moment and the actor as arguments (they never read a clock),
refuse with the exceptions of errors.py and record the events of events.py; the
unit of work writes those to the outbox with the change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from services.intake.domain import policies
from services.intake.domain.errors import (
    ChannelNotAllowed,
    DossierFilesTooLarge,
    DossierIncomplete,
    FormNotAvailable,
    NoOverride,
    NotReadyForCounterReturn,
    NotReceived,
    NotTakingPapers,
    NoVersionInEffect,
    OnlineContactMissing,
    OnlineServiceNotOffered,
    OtherAgency,
    PaymentDue,
    ProcedureExpired,
    ProcedureNotYetEffective,
    ReturnMethodNotAllowed,
    UnknownDocument,
    UnknownProcedure,
    WrongStatus,
)
from services.intake.domain.events import (
    NOT_A_DOSSIER,
    AgencyRef,
    CalendarChanged,
    Channels,
    Contacts,
    DossierFilesAdded,
    DossierReceived,
    DossierRefused,
    DossierReturned,
    DossierStatusChanged,
    DossierSupplemented,
    DossierWithdrawn,
    FeeLine,
    FileRef,
    PaymentRequested,
)
from services.intake.domain.fees import FeeSchedule, FeeWhen, after_exemption
from shared.calendar import WorkingCalendar
from shared.clock import TZ
from shared.domain import Aggregate
from shared.events import EventType


class DossierStatus(StrEnum):
    """The citizen-facing status [Decree 61/2018/NĐ-CP Art. 15-20]; the number the
    national portal uses is in STATUSES."""

    SUBMITTED = "submitted"  # Mới đăng ký
    RECEIVED = "received"  # Được tiếp nhận
    REFUSED = "refused"  # Không được tiếp nhận
    IN_PROGRESS = "in_progress"  # Đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # Yêu cầu bổ sung giấy tờ
    AWAITING_PAYMENT = "awaiting_payment"  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # Công dân yêu cầu rút hồ sơ
    REJECTED = "rejected"  # Dừng xử lý
    RESULT_READY = "result_ready"  # Đã xử lý xong
    RETURNED = "returned"  # Đã trả kết quả


class Channel(StrEnum):
    """How the dossier came in (kênh nộp)."""

    COUNTER = "counter"  # trực tiếp
    ONLINE = "online"  # trực tuyến, through the public service portal
    POSTAL = "postal"  # bưu chính công ích


class ReturnMethod(StrEnum):
    COUNTER = "counter"
    POSTAL = "postal"


class OnlineService(StrEnum):
    """How much of a procedure is offered online [Decree 42/2022/NĐ-CP Art. 11]: "toàn
    trình" (everything online, the result too), "một phần" (submitted online, some step
    in person), or not at all. The old levels 1-4 of Decree 43/2011 map onto it
    (policies.online_service_of_level)."""

    FULL = "full"  # dịch vụ công trực tuyến toàn trình
    PARTIAL = "partial"  # dịch vụ công trực tuyến một phần
    NONE = "none"


class Outcome(StrEnum):
    """What the counter or the post handed back [Decree 61/2018/NĐ-CP Art. 19-20]: the
    result, or the refusal notice of a rejected dossier with the original papers."""

    RESULT = "result"
    REJECTED = "rejected"


class PostalStatus(StrEnum):
    """Where the result is on its way by post."""

    SHIPPED = "shipped"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED_TO_COUNTER = "returned_to_counter"
    DELIVERED = "delivered"


class Role(StrEnum):
    COUNTER = "counter"  # cán bộ Bộ phận Một cửa
    OFFICER = "officer"
    PORTAL = "portal"  # Cổng dịch vụ công
    ADMIN = "admin"


class OverrideKind(StrEnum):
    DAY_OFF = "day_off"  # nghỉ thêm
    WORKING_DAY = "working_day"  # ngày làm bù


# status -> (number at the national portal, stage). A status never moves back: a later
# stage wins over an earlier one, and within a stage the newer event wins.
STATUSES: dict[DossierStatus, tuple[int, int]] = {
    DossierStatus.SUBMITTED: (1, 0),
    DossierStatus.RECEIVED: (2, 1),
    DossierStatus.IN_PROGRESS: (4, 2),
    DossierStatus.SUPPLEMENT_REQUESTED: (5, 2),
    # received, waiting for the fees due before processing (no department has it yet)
    DossierStatus.AWAITING_PAYMENT: (6, 1),
    DossierStatus.RESULT_READY: (9, 3),
    DossierStatus.REFUSED: (3, 9),
    DossierStatus.WITHDRAWN: (7, 9),
    # a rejection goes back to the applicant like a result [Decree 61/2018 Art. 19-20]:
    # not final until handed back (returned, outcome rejected)
    DossierStatus.REJECTED: (8, 3),
    DossierStatus.RETURNED: (10, 9),
}
FINAL_STAGE = 9
OPEN_STATUSES = tuple(status for status, (_, stage) in STATUSES.items() if stage != FINAL_STAGE)

# the citizen may withdraw (rút hồ sơ) until a result exists
WITHDRAWABLE = (
    DossierStatus.SUBMITTED,
    DossierStatus.RECEIVED,
    DossierStatus.IN_PROGRESS,
    DossierStatus.SUPPLEMENT_REQUESTED,
    DossierStatus.AWAITING_PAYMENT,
)

# Files are added while the dossier can still take papers: the counter scans
# the papers it holds until a department decides (submitted, received, in progress:
# processing starts within a second of reception, so a counter scanning after it must
# still be able to), and whatever the applicant brings when asked to complete it; the
# applicant (the portal) adds papers only before reception or when asked to complete
# the dossier [Decree 61/2018/NĐ-CP Art. 17].
TAKES_PAPERS: dict[str, tuple[DossierStatus, ...]] = {
    "counter": (
        DossierStatus.SUBMITTED,
        DossierStatus.RECEIVED,
        DossierStatus.IN_PROGRESS,
        DossierStatus.SUPPLEMENT_REQUESTED,
    ),
    "portal": (DossierStatus.SUBMITTED, DossierStatus.SUPPLEMENT_REQUESTED),
}
# files added in these statuses are announced at once (dossier_files_added); those of a
# submitted dossier go with dossier_received, those of a supplement with dossier_supplemented
ANNOUNCED_AT_ONCE = (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS)

# what the return step hands back, by the status it ends [Decree 61/2018/NĐ-CP Art. 19-20]
HANDED_BACK: dict[DossierStatus, Outcome] = {
    DossierStatus.RESULT_READY: Outcome.RESULT,
    DossierStatus.REJECTED: Outcome.REJECTED,
}

# The financial obligation [Decree 61/2018/NĐ-CP Art. 15-20: fees collected at the
# one-stop counter]: what is owed at each stage of the dossier's life, after the
# applicant's exemption. What is due at submission is collected by the counter with
# the dossier (Form 01 lists it) and holds nothing up; what is due before processing
# keeps the dossier from every department until it is paid.
PAYMENT_STAGES: dict[str, tuple[FeeWhen, ...]] = {
    FeeWhen.BEFORE_PROCESSING: (FeeWhen.BEFORE_PROCESSING,),
    FeeWhen.BEFORE_RETURN: (FeeWhen.BEFORE_RETURN,),
}
PAYMENT_DAYS = 15  # calendar days from the request to pay (config PAYMENT_DAYS)
UNPAID_REASON = "Quá hạn thực hiện nghĩa vụ tài chính"


def money(amount: int) -> str:
    """75000 -> "75.000 đồng"."""
    return f"{amount:,} đồng".replace(",", ".")


# what processing's events mean for the citizen-facing status
STATUS_OF_EVENT: dict[str, DossierStatus] = {
    EventType.PROCESSING_STARTED: DossierStatus.IN_PROGRESS,
    EventType.DOSSIER_TRANSFERRED: DossierStatus.IN_PROGRESS,
    EventType.SUPPLEMENT_REQUESTED: DossierStatus.SUPPLEMENT_REQUESTED,
    EventType.DOSSIER_REJECTED: DossierStatus.REJECTED,
    EventType.RESULT_READY: DossierStatus.RESULT_READY,
}


def portal_number(status: str) -> int:
    return STATUSES[DossierStatus(status)][0]


def may_move(current: str, current_at: datetime, new: str, new_at: datetime) -> bool:
    """True when an event saying `new` (as of new_at) should replace `current`:
    events from other services may arrive late or twice."""
    current_stage, new_stage = STATUSES[DossierStatus(current)][1], STATUSES[DossierStatus(new)][1]
    if current_stage == FINAL_STAGE:
        return False
    if new_stage != current_stage:
        return new_stage > current_stage
    return new_at >= current_at  # e.g. in_progress again: the next department took it


@dataclass(frozen=True)
class Actor:
    """Who acts: `sub` goes into the audit trail; a counter officer's `agency`
    bounds what it may act on."""

    sub: str
    role: str
    agency: str | None = None

    def require_agency(self, agency: str | None) -> None:
        """A counter acting on another agency's dossier (or code) is refused; checked
        on the code before any lookup, so the answer is the same whether it exists."""
        if self.role == Role.COUNTER and agency is not None and self.agency != agency:
            raise OtherAgency("Hồ sơ thuộc cơ quan khác")

    def require_channel(self, channel: str) -> None:
        """The counter files counter and postal dossiers; the portal online ones."""
        if self.role == Role.COUNTER and channel == Channel.ONLINE:
            raise ChannelNotAllowed(
                "Hồ sơ trực tuyến chỉ nộp qua Cổng dịch vụ công",
                {"channel": ["Cán bộ một cửa nhận kênh counter hoặc postal"]},
            )
        if self.role == Role.PORTAL and channel != Channel.ONLINE:
            raise ChannelNotAllowed(
                "Cổng dịch vụ công chỉ nộp hồ sơ trực tuyến", {"channel": ["Cổng dịch vụ công chỉ dùng kênh online"]}
            )


class ApplicantKind(StrEnum):
    """Who may hand a dossier in [CONTRACT "Applicants"; policies: the identifiers]."""

    CITIZEN = "citizen"  # công dân, căn cước công dân (CCCD)
    ORGANISATION = "organisation"  # tổ chức, doanh nghiệp: mã số doanh nghiệp / mã số thuế
    FOREIGNER = "foreigner"  # người nước ngoài: hộ chiếu, quốc tịch


@dataclass(frozen=True)
class Applicant:
    """Who hands the dossier in (người nộp hồ sơ): a citizen, an organisation with its
    legal representative, or a foreigner; `on_behalf_of` is the person or organisation
    represented under the authorisation named in `authorisation` (giấy ủy quyền)."""

    full_name: str  # the display name: a person's full name, an organisation's name
    id_number: str | None = None  # CCCD, 12 digits: personal data [Decree 13/2023/NĐ-CP]
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    kind: str = ApplicantKind.CITIZEN
    organisation_code: str | None = None
    passport_number: str | None = None  # personal data too
    nationality: str | None = None  # ISO 3166-1 alpha-2
    representative: dict[str, Any] | None = None  # an organisation's {full_name, id_number}
    on_behalf_of: dict[str, Any] | None = None  # an applicant of any kind, as submitted
    authorisation: str | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Applicant:
        """The applicant of a (validated) submission."""
        kind = ApplicantKind(data.get("kind") or ApplicantKind.CITIZEN)
        behalf = data.get("on_behalf_of")
        return cls(
            full_name=policies.display_name({**data, "kind": kind}),
            id_number=data.get("id_number") if kind == ApplicantKind.CITIZEN else None,
            phone=data.get("phone"),
            email=data.get("email"),
            address=data.get("address"),
            kind=kind,
            organisation_code=data.get("organisation_code") if kind == ApplicantKind.ORGANISATION else None,
            passport_number=data.get("passport_number") if kind == ApplicantKind.FOREIGNER else None,
            nationality=data.get("nationality") if kind == ApplicantKind.FOREIGNER else None,
            representative=dict(data["representative"]) if kind == ApplicantKind.ORGANISATION else None,
            on_behalf_of={"kind": ApplicantKind.CITIZEN, **behalf} if behalf else None,
            authorisation=data.get("authorisation") if behalf else None,
        )

    def identifier(self) -> tuple[str, str | None]:
        """The identifier this applicant filed with: (field, value)."""
        field = policies.identifier_field(self.kind)
        return field, getattr(self, field)


# The title the head of an agency signs with when none is configured.
DEFAULT_HEAD_TITLE = "THỦ TRƯỞNG CƠ QUAN"


@dataclass(eq=False)
class Agency:
    """A receiving agency's configuration (cơ quan tiếp nhận): the name and address its
    forms print, the place name of their dates ("Hải Phòng, ngày ... tháng ... năm ..."),
    and the title of its head, who signs its letters (Form 04)."""

    code: str
    name: str
    address: str = ""
    place: str = ""
    head_title: str = DEFAULT_HEAD_TITLE

    @classmethod
    def unconfigured(cls, code: str) -> Agency:
        """An agency nobody configured: its code stands for its name."""
        return cls(code=code, name=code)

    def reference(self) -> AgencyRef:
        return AgencyRef(code=self.code, name=self.name, head_title=self.head_title, place=self.place)

    def update(
        self, name: str, address: str | None = None, place: str | None = None, head_title: str | None = None
    ) -> bool:
        """A new configuration; what is None keeps its value. True when anything changed."""
        before = (self.name, self.address, self.place, self.head_title)
        self.name = name
        self.address = self.address if address is None else address
        self.place = self.place if place is None else place
        self.head_title = self.head_title if head_title is None else head_title
        return before != (self.name, self.address, self.place, self.head_title)


# --- the catalogue ---------------------------------------------------------------------

# What makes two versions "the same procedure text" (policies.CONTENT), with whether it
# may be submitted by post: a file changing only that makes a new version too.
VERSION_CONTENT = (*policies.CONTENT, "postal_reception")


@dataclass(eq=False)
class ProcedureVersion:
    """One version of a procedure of the national catalogue (thủ tục hành chính)."""

    code: str
    version: int
    name: str
    field: str  # lĩnh vực
    level: int  # online service level 1-4 [Decree 43/2011; "toàn trình" = 4, Decree 42/2022]
    agency_code: str
    duration_days: int  # working days
    route: list[dict[str, Any]]
    documents: list[str]
    return_methods: list[str]
    supplement_clock: str  # restart | pause
    cutoff: str | None  # HH:MM: received later counts from the next working day
    effective_from: date
    effective_to: date | None = None
    fees: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # the schedule's items (fees.FeeItem)
    fee_exemptions: list[dict[str, str]] = dataclasses.field(default_factory=list)  # [{code, name}]
    legal_basis: str = ""
    id: int | None = None
    online_service: str = OnlineService.NONE  # [Decree 42/2022/NĐ-CP]; `level` is the old scale
    # submitted by post too [Decision 45/2016/QĐ-TTg: any procedure, unless the applicant must come in person]
    postal_reception: bool = True

    def fee_schedule(self) -> FeeSchedule:
        return FeeSchedule.of(self.fees, self.fee_exemptions)

    @property
    def fee(self) -> int:
        """The total of the fee schedule's items, đồng (the one amount a screen shows)."""
        return self.fee_schedule().total

    def effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def cutoff_time(self) -> time | None:
        return time.fromisoformat(self.cutoff) if self.cutoff else None

    def appointment(self, calendar: WorkingCalendar, received_at: datetime) -> datetime:
        """The appointment (ngày hẹn trả) of a dossier received at `received_at`:
        `duration_days` working days on the calendar, from the next working morning
        when received after the cut-off."""
        return calendar.due_at(received_at, self.duration_days, self.cutoff_time())

    def allow_channel(self, channel: str) -> None:
        """Only a procedure offered online (fully or partly) takes online submissions
        [Decree 42/2022/NĐ-CP]."""
        if channel == Channel.ONLINE and not policies.accepts_online(self.online_service):
            raise OnlineServiceNotOffered(
                f"Thủ tục {self.code} không cung cấp dịch vụ công trực tuyến; "
                "nộp tại bộ phận một cửa hoặc qua bưu chính",
                {"channel": [f"Thủ tục {self.code}: dịch vụ trực tuyến {self.online_service}"]},
            )

    def returns_electronically(self) -> bool:
        """Whether the result may be returned electronically: only a fully online
        procedure [Decree 42/2022/NĐ-CP]. No return method is electronic yet
        (counter | postal): the rule waits here for one."""
        return policies.returns_electronically(self.online_service)

    def allow_return(self, method: str) -> None:
        if method not in self.return_methods:
            raise ReturnMethodNotAllowed(
                f"Thủ tục {self.code} không trả kết quả qua hình thức {method}",
                {"return_method": [f"Cho phép: {', '.join(self.return_methods)}"]},
            )

    def same_content(self, entry: Mapping[str, Any]) -> bool:
        return all(getattr(self, name) == entry[name] for name in VERSION_CONTENT)


class Procedure(Aggregate):
    """A procedure code with all its versions. Two versions never overlap in
    validity, so exactly one (or none) is in effect on any day; history is never
    deleted: a change is a new version, the one before it closed the day before."""

    def __init__(self, code: str, versions: Sequence[ProcedureVersion] = ()) -> None:
        self.code = code
        self.versions = sorted(versions, key=lambda v: v.effective_from)
        self.added: list[ProcedureVersion] = []  # new versions, for the repository to keep

    def version_on(self, day: date) -> ProcedureVersion | None:
        return next((v for v in self.versions if v.effective_on(day)), None)

    def in_effect(self, day: date) -> ProcedureVersion:
        """The version in effect on `day`; refused saying why when there is none."""
        if not self.versions:
            raise UnknownProcedure(
                f"Thủ tục {self.code} không có trong danh mục", {"procedure_code": ["Không có trong danh mục thủ tục"]}
            )
        version = self.version_on(day)
        if version is not None:
            return version
        later = [v for v in self.versions if v.effective_from > day]
        if later:
            raise ProcedureNotYetEffective(
                f"Thủ tục {self.code} chỉ có hiệu lực từ {later[0].effective_from:%d/%m/%Y}",
                {"procedure_code": [f"Chưa có hiệu lực (từ {later[0].effective_from:%d/%m/%Y})"]},
            )
        last_day = self.versions[-1].effective_to
        assert last_day is not None  # none in effect and none later: the last one ended
        raise ProcedureExpired(
            f"Thủ tục {self.code} đã hết hiệu lực từ {last_day + timedelta(days=1):%d/%m/%Y}",
            {"procedure_code": [f"Đã hết hiệu lực (đến hết {last_day:%d/%m/%Y})"]},
        )

    def expire(self, last_day: date) -> ProcedureVersion:
        """An administrator ends the validity of the version in effect on `last_day`."""
        version = self.version_on(last_day)
        if version is None:
            raise NoVersionInEffect(f"Thủ tục {self.code} không có phiên bản nào hiệu lực vào {last_day:%d/%m/%Y}")
        version.effective_to = last_day
        return version

    def plan_import(self, indexed: Sequence[tuple[int, Mapping[str, Any]]]) -> ImportPlan:
        """What importing these entries of a file (with their index in it) would do,
        changing nothing: the plan's actions apply it."""
        plan = ImportPlan()
        periods = {id(v): (v.effective_from, v.effective_to) for v in self.versions}  # as they will be
        next_version = max((v.version for v in self.versions), default=0) + 1
        for i, entry in sorted(indexed, key=lambda item: item[1]["effective_from"]):
            start, end = entry["effective_from"], entry["effective_to"]
            match = next((v for v in self.versions if v.effective_from == start and v.same_content(entry)), None)
            item = {"code": self.code, "name": entry["name"]}
            if match is not None:
                if match.effective_to == end:
                    plan.answer["unchanged"].append({**item, "version": match.version})
                    continue
                clash = [v for v in self.versions if v is not match and policies.overlap(*periods[id(v)], start, end)]
                if clash:
                    plan.problem(
                        i, f"Thời gian hiệu lực {policies.period(start, end)} chồng lên phiên bản {clash[0].version}"
                    )
                    continue
                periods[id(match)] = (start, end)
                plan.actions.append(partial(_close, match, end))
                bucket = "expired" if end else "changed"
                plan.answer[bucket].append({**item, "version": match.version, "effective_to": end})
                continue
            # New text (or new validity): a new version, closing the open one before it.
            closes = None
            refused = False
            for v in self.versions:
                v_from, v_to = periods[id(v)]
                if not policies.overlap(v_from, v_to, start, end):
                    continue
                if v_from < start and end is None and (v_to is None or v_to >= start) and closes is None:
                    closes = v
                    continue
                refused = True
                plan.problem(
                    i,
                    f"Thời gian hiệu lực {policies.period(start, end)} chồng lên phiên bản {v.version} "
                    f"({v_from:%d/%m/%Y} - {v_to:%d/%m/%Y})"
                    if v_to
                    else f"Thời gian hiệu lực {policies.period(start, end)} chồng lên phiên bản {v.version} "
                    f"(từ {v_from:%d/%m/%Y})",
                )
            if refused:
                continue
            if closes is not None:
                closed_on = start - timedelta(days=1)
                periods[id(closes)] = (periods[id(closes)][0], closed_on)
                plan.actions.append(partial(_close, closes, closed_on))
            new = ProcedureVersion(
                code=self.code,
                version=next_version,
                **{name: entry[name] for name in VERSION_CONTENT},
                effective_from=start,
                effective_to=end,
            )
            plan.actions.append(partial(self._add, new))
            bucket = "changed" if self.versions else "added"
            plan.answer[bucket].append(
                {**item, "version": next_version, **({"replaces_version": closes.version} if closes else {})}
            )
            next_version += 1
        return plan

    def _add(self, version: ProcedureVersion) -> None:
        self.versions.append(version)
        self.versions.sort(key=lambda v: v.effective_from)
        self.added.append(version)


def _close(version: ProcedureVersion, last_day: date | None) -> None:
    version.effective_to = last_day


IMPORT_BUCKETS = ("added", "changed", "expired", "unchanged", "missing_from_source")


@dataclass
class ImportPlan:
    """What an import would do: the answer's buckets, the problems by entry index,
    and the actions that apply it (all or none)."""

    answer: dict[str, list[dict[str, Any]]] = dataclasses.field(
        default_factory=lambda: {bucket: [] for bucket in IMPORT_BUCKETS}
    )
    problems: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    actions: list[Callable[[], None]] = dataclasses.field(default_factory=list)

    def problem(self, index: int, text: str) -> None:
        self.problems.setdefault(str(index), []).append(text)

    def merge(self, other: ImportPlan) -> None:
        for bucket, items in other.answer.items():
            self.answer[bucket].extend(items)
        for index, texts in other.problems.items():
            self.problems.setdefault(index, []).extend(texts)
        self.actions.extend(other.actions)

    def apply(self) -> None:
        for action in self.actions:
            action()


# --- the register --------------------------------------------------------------------


@dataclass(eq=False)
class Transition:
    """One entry of the dossier's audit trail: a status with its time and actor."""

    dossier_code: str
    status: str
    at: datetime
    actor: str
    note: str = ""
    id: int | None = None


class FileKind(StrEnum):
    PAPER = "paper"  # a paper of the dossier (scanned at the counter, uploaded online)
    RESULT = "result"  # the electronic result processing announced with result_ready


RESULT_DOCUMENT = "Kết quả giải quyết"  # the document a result file is


@dataclass(eq=False)
class DossierFile:
    """A file of the dossier: the content lives in the file store under its
    SHA-256 (content-addressed, written once, stored before this row refers to it);
    `announced` once an event listed it."""

    id: str
    dossier_code: str
    document: str  # which paper of the dossier it is (policies.document_of_file)
    name: str  # the file name as sent, cleaned (policies.clean_file_name)
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str  # the uploader's `sub`
    announced: bool = False
    kind: str = "paper"  # FileKind: a paper of the dossier, or its electronic result

    def reference(self, link: Callable[[str], str]) -> FileRef:
        """The event's reference to it; `link(id)` gives the signed link's path."""
        return FileRef(
            id=self.id,
            document=self.document,
            sha256=self.sha256,
            size=self.size,
            type=self.media_type,
            url=link(self.id),
        )


def no_link(file_id: str) -> str:
    """The authenticated path of a file (where no signed link is made, e.g. the unit tier)."""
    return f"/api/files/{file_id}"


@dataclass(eq=False)
class DossierDepartment:
    """A department that has or had a task of the dossier (processing said so): its
    officers may read the dossier (shared.scope). The dossier's submission time comes
    along so that an officer's search reads its department's dossiers newest first."""

    dossier_code: str
    department: str
    submitted_at: datetime


@dataclass(eq=False)
class Dossier(Aggregate):
    """A dossier in the register with its citizen-facing status, flags and deadlines."""

    code: str
    agency_code: str
    procedure_id: int | None
    procedure_code: str
    procedure_version: int
    channel: str
    status: str
    status_at: datetime
    applicant_name: str
    id_number: str | None  # a citizen's CCCD; other kinds file another identifier
    documents: list[dict[str, Any]]
    return_method: str
    submitted_at: datetime
    correlation_id: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    delivery_address: str | None = None
    notify_sms: bool = False
    notify_email: bool = False
    received_at: datetime | None = None
    due_at: datetime | None = None
    returned_at: datetime | None = None
    overdue: bool = False
    rescheduled: bool = False
    postal_status: str | None = None
    received_by: str | None = None
    # A postal collection: the carrier's pickup (one dossier per pickup) and the signed
    # hand-over, which is the legal reception time [Decision 45/2016/QĐ-TTg].
    pickup_id: str | None = None
    handed_over_at: datetime | None = None
    closing_reason: str | None = None  # refusal (Form 03) or withdrawal
    # who the applicant is beyond the name (issue 13, CONTRACT "Applicants"); id_number
    # above is a citizen's CCCD only
    applicant_kind: str = ApplicantKind.CITIZEN
    organisation_code: str | None = None
    passport_number: str | None = None
    nationality: str | None = None
    representative: dict[str, Any] | None = None
    on_behalf_of: dict[str, Any] | None = None
    authorisation: str | None = None
    sets: int = 1  # số bộ hồ sơ (Form 01)
    # the latest request to complete the dossier (Form 02): {"by", "requested_at",
    # "items": [{"name", "reason"}]}, from the counter's guidance or a department
    supplement_request: dict[str, Any] | None = None
    # issue 13 [Circular 01/2018/TT-VPCP Art. 19]: an online or postal submission's own
    # number. Until reception `code` holds it; the legal code is given at acceptance.
    reference: str | None = None
    # the national portal's own number of a dossier submitted there (one dossier per number)
    portal_reference: str | None = None
    status_seq: int = 0  # how many times the status changed (dossier_status_changed.seq)
    submitted_by: str | None = None  # the `sub` of whoever submitted it (the portal client)
    outcome: str | None = None  # what was handed back (Outcome), once returned
    # the applicant's exemption {code, reason} (fees.after_exemption), as submitted
    fee_exemption: dict[str, Any] | None = None
    # what is owed per stage: {stage: {amount, items, pay_by, paid_at, order_id, method}}
    payments: dict[str, Any] | None = None
    # the entries of the audit trail this change adds (the stored trail is read, not loaded)
    trail: list[Transition] = dataclasses.field(default_factory=list)
    # the files of the dossier (dossier_files), in the order uploaded
    files: list[DossierFile] = dataclasses.field(default_factory=list)
    # the departments that have or had a task of it (processing_started, dossier_transferred)
    departments: list[DossierDepartment] = dataclasses.field(default_factory=list)

    @classmethod
    def register(
        cls,
        *,
        code: str,
        agency_code: str,
        procedure: ProcedureVersion,
        channel: str,
        applicant: Applicant,
        documents: list[dict[str, Any]],
        return_method: str,
        delivery_address: str | None,
        notify: Channels,
        actor: str,
        now: datetime,
        correlation_id: str,
        calendar: WorkingCalendar,
        handed_over_at: datetime | None = None,
        pickup_id: str | None = None,
        note: str | None = None,
        sets: int = 1,
        agency: Agency | None = None,
        reference: str | None = None,
        fee_exemption: Mapping[str, Any] | None = None,
        pay_days: int = PAYMENT_DAYS,
        portal_reference: str | None = None,
    ) -> Dossier:
        """Put a dossier in the register under `procedure` (the version in effect).
        A counter dossier is received at once under its `code`; an online or postal one
        waits as `submitted` for the counter's check, known by its `reference` only
        (the code comes with reception) [Circular 01/2018/TT-VPCP Art. 19]."""
        procedure.allow_channel(channel)
        procedure.allow_return(return_method)
        if fee_exemption is not None:  # a code the version does not list is refused (422)
            after_exemption(procedure.fee_schedule(), fee_exemption["code"])
        if channel == Channel.ONLINE:
            require_online_contact(applicant, notify)
        if channel != Channel.COUNTER:
            if reference is None:
                raise ValueError("an online or postal submission needs its reference")
            code = reference
        dossier = cls(
            code=code,
            reference=reference if channel != Channel.COUNTER else None,
            portal_reference=portal_reference,
            submitted_by=actor,
            agency_code=agency_code,
            procedure_id=procedure.id,
            procedure_code=procedure.code,
            procedure_version=procedure.version,
            channel=Channel(channel),
            status=DossierStatus.SUBMITTED,
            status_at=now,
            applicant_name=applicant.full_name,
            id_number=applicant.id_number,
            phone=applicant.phone,
            email=applicant.email,
            address=applicant.address,
            applicant_kind=applicant.kind,
            organisation_code=applicant.organisation_code,
            passport_number=applicant.passport_number,
            nationality=applicant.nationality,
            representative=applicant.representative,
            on_behalf_of=applicant.on_behalf_of,
            authorisation=applicant.authorisation,
            sets=sets,
            documents=list(documents),
            return_method=ReturnMethod(return_method),
            delivery_address=delivery_address,
            notify_sms=notify.sms,
            notify_email=notify.email,
            submitted_at=now,
            correlation_id=correlation_id,
            pickup_id=pickup_id,
            handed_over_at=handed_over_at,
            fee_exemption=dict(fee_exemption) if fee_exemption else None,
        )
        if channel == Channel.COUNTER:
            dossier.receive(procedure, calendar, actor, now, note="kênh counter", agency=agency, pay_days=pay_days)
        else:
            dossier._log(DossierStatus.SUBMITTED, now, actor, note or f"kênh {channel}")
        return dossier

    # --- reading ---------------------------------------------------------------------

    def identifier(self) -> str | None:
        """The identifier the applicant filed with: CCCD, enterprise code or passport."""
        value: str | None = getattr(self, policies.identifier_field(self.applicant_kind))
        return value

    def contacts(self) -> Contacts:
        return Contacts(phone=self.phone, email=self.email, full_name=self.applicant_name)

    def channels(self) -> Channels:
        return Channels(sms=self.notify_sms, email=self.notify_email)

    def require_received(self) -> None:
        """The receipt (Form 01) exists once the dossier is received."""
        if self.received_at is None:
            raise NotReceived(f"Hồ sơ {self.code} chưa được tiếp nhận nên chưa có giấy tiếp nhận")

    @property
    def legal_code(self) -> str | None:
        """The dossier code [Circular 01/2018/TT-VPCP Art. 19], None before reception."""
        return None if self.reference is not None and self.code == self.reference else self.code

    def submitted_by_portal(self, sub: str) -> bool:
        """An online dossier this portal client submitted (it may supplement and
        withdraw it) [Decree 61/2018/NĐ-CP Art. 17]."""
        return self.channel == Channel.ONLINE and self.submitted_by is not None and self.submitted_by == sub

    # --- the counter's actions -----------------------------------------------------------

    def receive(
        self,
        procedure: ProcedureVersion,
        calendar: WorkingCalendar,
        actor: str,
        now: datetime,
        note: str = "",
        agency: Agency | None = None,
        link: Callable[[str], str] = no_link,
        pay_days: int = PAYMENT_DAYS,
    ) -> None:
        """Reception (tiếp nhận): the legal reception time starts the deadline. For a
        postal collection it is the signed hand-over, not the counter's check. The
        event lists the files uploaded before (an online dossier's).

        With fees due before processing the dossier is received (its code, Form 01)
        but waits in `awaiting_payment`: the processing time starts when the payment is
        confirmed (confirm_payment), so there is no appointment yet and the
        departments are told nothing until then (payment_requested instead of
        dossier_received)."""
        self.received_at = self.handed_over_at or now
        self.received_by = actor
        if self._request_payment(FeeWhen.BEFORE_PROCESSING, procedure, now, pay_days):
            self.due_at = None
            self.status, self.status_at = DossierStatus.AWAITING_PAYMENT, now
            self._log(DossierStatus.AWAITING_PAYMENT, now, actor, note or "chờ thực hiện nghĩa vụ tài chính")
            return
        self.due_at = procedure.appointment(calendar, self.received_at)
        self.status, self.status_at = DossierStatus.RECEIVED, now
        self._log(DossierStatus.RECEIVED, now, actor, note)
        self._announce_reception(procedure, agency, link)

    def _announce_reception(
        self, procedure: ProcedureVersion, agency: Agency | None, link: Callable[[str], str]
    ) -> None:
        """dossier_received: what processing needs to queue the dossier, and notify to
        tell the citizen (received_at the legal reception, due_at the appointment)."""
        assert self.received_at is not None and self.due_at is not None
        self.record(
            DossierReceived(
                dossier_code=self.code,
                correlation_id=self.correlation_id,
                procedure_code=procedure.code,
                procedure_version=procedure.version,
                procedure_name=procedure.name,
                channel=self.channel,
                received_at=self.received_at,
                due_at=self.due_at,
                route=procedure.route,
                supplement_clock=procedure.supplement_clock,
                return_method=self.return_method,
                postal_address=self.delivery_address,
                contacts=self.contacts(),
                notify=self.channels(),
                applicant_name=self.applicant_name,
                applicant_kind=self.applicant_kind,
                agency=(agency or Agency.unconfigured(self.agency_code)).reference(),
                reference=self.reference,
                files=self._announce(link),
                result_electronic=procedure.returns_electronically(),
            )
        )

    def accept(
        self,
        procedure: ProcedureVersion,
        calendar: WorkingCalendar,
        actor: str,
        now: datetime,
        missing: Sequence[str] = (),
        note: str = "",
        agency: Agency | None = None,
        next_code: Callable[[datetime], str] | None = None,
        link: Callable[[str], str] = no_link,
        pay_days: int = PAYMENT_DAYS,
    ) -> None:
        """The counter accepts an online or postal dossier (Form 01), or answers with
        the complete list of what is missing (Form 02) and receives nothing. Accepted,
        the dossier gets its code now, dated the day of reception (`next_code(received
        at)`), so a refused or incomplete submission never uses a number
        [Circular 01/2018/TT-VPCP Art. 19]."""
        self._require_status(DossierStatus.SUBMITTED, action="tiếp nhận")
        if missing:
            raise incomplete(procedure, policies.missing_documents(procedure.documents, self.documents, missing))
        if next_code is not None and self.legal_code is None:
            self.code = next_code(self.handed_over_at or now)
            for file in self.files:  # the files follow the key (the table: ON UPDATE CASCADE)
                file.dossier_code = self.code
        self.receive(
            procedure,
            calendar,
            actor,
            now,
            note=note or f"kênh {self.channel}",
            agency=agency,
            link=link,
            pay_days=pay_days,
        )

    def keep_guidance(
        self, procedure: ProcedureVersion, marked: Sequence[str], note: str, actor: str, now: datetime
    ) -> None:
        """The counter's one-time guidance at its check (Form 02) is kept, so the form
        can be printed and handed out; the dossier stays `submitted`."""
        self._require_status(DossierStatus.SUBMITTED, action="hướng dẫn bổ sung")
        items = policies.guidance_items(procedure.documents, self.documents, marked)
        self.supplement_request = {
            "from": "counter",
            "by": actor,
            "requested_at": now.isoformat(),
            "items": items,
            "note": note,
        }
        self._log(
            DossierStatus.SUBMITTED, now, actor, f"hướng dẫn bổ sung (Mẫu 02): {len(items)} giấy tờ", changed=False
        )

    def require_form(self, form: str) -> None:
        """Form 02 exists once the dossier was asked to be completed (by the counter's
        guidance or a department); Form 03 once it was refused [Circular 01/2018/TT-VPCP]."""
        if form == "02" and not self.supplement_request:
            raise FormNotAvailable(
                f"Hồ sơ {self.code} chưa có yêu cầu bổ sung nên chưa có Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
            )
        if form == "03" and self.status != DossierStatus.REFUSED:
            raise FormNotAvailable(
                f"Hồ sơ {self.code} không bị từ chối tiếp nhận nên không có Phiếu từ chối tiếp nhận"
                f" (trạng thái {self.status})",
                {"status": [str(self.status)]},
            )

    def refuse(self, reason: str, actor: str, now: datetime) -> None:
        """Refusal with its reason (Form 03, từ chối tiếp nhận)."""
        self._require_status(DossierStatus.SUBMITTED, action="từ chối")
        self._move(DossierStatus.REFUSED, now, actor, reason)
        self.closing_reason = reason
        self.record(
            DossierRefused(
                dossier_code=self.code,
                correlation_id=self.correlation_id,
                reason=reason,
                contacts=self.contacts(),
                notify=self.channels(),
            )
        )

    def supplement(
        self, documents: Sequence[Mapping[str, Any]], actor: str, now: datetime, link: Callable[[str], str] = no_link
    ) -> None:
        """The citizen brings what processing asked for: the complete dossier is
        received now and processing resumes. The event lists the files uploaded since
        the request."""
        self._require_status(DossierStatus.SUPPLEMENT_REQUESTED, action="nhận bổ sung")
        added = [dict(d) for d in documents]
        self.documents = [*self.documents, *added]  # a new list: the stored JSON is replaced
        names = ", ".join(d["name"] for d in added)
        # the request's own time may be ahead of this clock; the supplement still comes after it
        self._move(DossierStatus.IN_PROGRESS, max(now, self.status_at), actor, f"bổ sung: {names}")
        self.record(
            DossierSupplemented(
                dossier_code=self.code,
                correlation_id=self.correlation_id,
                received_at=now,
                documents=added,
                files=self._announce(link),
            )
        )

    def named_documents(self, procedure: ProcedureVersion) -> list[str]:
        """What a file of this dossier may be declared as (besides policies.OTHER_DOCUMENT):
        the procedure version's documents, the papers listed in the dossier, the items
        of its latest request to complete it."""
        requested = [i["name"] for i in (self.supplement_request or {}).get("items", [])]
        return [*procedure.documents, *(d["name"] for d in self.documents), *requested]

    def require_taking_papers(self, role: str) -> None:
        """Refused (409) unless the dossier can take papers now from this role (TAKES_PAPERS)."""
        if self.status not in TAKES_PAPERS.get(role, ()):
            raise NotTakingPapers(
                f"Hồ sơ {self.code} đang ở trạng thái {self.status}: không thể thêm tệp",
                {"status": [str(self.status)]},
            )

    @staticmethod
    def require_document(named: Sequence[str], document: str) -> str:
        """The document a file is declared as, spelled as the dossier names it; refused
        (422) when it is none of `named` nor policies.OTHER_DOCUMENT."""
        found = policies.document_of_file(document, named)
        if found is None:
            choices = ", ".join([*dict.fromkeys(named), policies.OTHER_DOCUMENT])
            raise UnknownDocument(
                f"Tệp phải là một giấy tờ của hồ sơ hoặc '{policies.OTHER_DOCUMENT}'",
                {"document": [f"Chọn một trong: {choices}"]},
            )
        return found

    def require_room(self, size: int) -> None:
        """Refused (413) when a file of `size` bytes would take the dossier's files past
        policies.MAX_DOSSIER_FILES_BYTES (0: whether any room is left)."""
        used = sum(f.size for f in self.files)
        if used + size > policies.MAX_DOSSIER_FILES_BYTES or used >= policies.MAX_DOSSIER_FILES_BYTES:
            limit = policies.MAX_DOSSIER_FILES_BYTES // (1024 * 1024)
            raise DossierFilesTooLarge(
                f"Tổng dung lượng tệp của hồ sơ vượt quá {limit} MB",
                {"file": [f"Hồ sơ còn {max(0, policies.MAX_DOSSIER_FILES_BYTES - used)} byte cho tệp đính kèm"]},
            )

    def attach(
        self,
        file: DossierFile,
        procedure: ProcedureVersion,
        role: str,
        link: Callable[[str], str] = no_link,
    ) -> DossierFile:
        """Add a stored file to the dossier: while it can take papers, declared as one of
        its documents, the dossier's files within MAX_DOSSIER_FILES_BYTES in all. Added
        to a dossier already received, the departments learn of it at once
        (dossier_files_added); otherwise with reception or the supplement. The same
        content for the same paper from the same uploader again is the file it already
        has (a client trying again after a lost answer: the portal connector)."""
        self.require_taking_papers(role)
        document = self.require_document(self.named_documents(procedure), file.document)
        for known in self.files:
            if (known.document, known.sha256, known.uploaded_by) == (document, file.sha256, file.uploaded_by):
                return known
        self.require_room(file.size)
        file.document, file.dossier_code = document, self.code
        self.files.append(file)
        if self.status in ANNOUNCED_AT_ONCE:
            self.record(
                DossierFilesAdded(
                    dossier_code=self.code, correlation_id=self.correlation_id, files=self._announce(link)
                )
            )
        return file

    def _announce(self, link: Callable[[str], str]) -> list[FileRef]:
        """The files no event listed yet, now listed."""
        fresh = [f for f in self.files if not f.announced]
        for f in fresh:
            f.announced = True
        return [f.reference(link) for f in fresh]

    def withdraw(self, reason: str, actor: str, now: datetime) -> None:
        """The citizen withdraws the dossier (rút hồ sơ) before a result exists."""
        self._require_status(*WITHDRAWABLE, action="rút")
        was_received = self.received_at is not None
        self._move(DossierStatus.WITHDRAWN, now, actor, reason)
        self.closing_reason = reason
        if was_received:  # processing only knows received dossiers
            self.record(DossierWithdrawn(dossier_code=self.code, correlation_id=self.correlation_id, reason=reason))

    def hand_back(self, actor: str, now: datetime) -> None:
        """The counter hands the result over (trả kết quả), or the refusal notice of a
        rejected dossier with its original papers, which goes back the same way
        [Decree 61/2018/NĐ-CP Art. 19-20]: only when ready for counter return, or back
        from a failed postal delivery."""
        back_from_post = self.postal_status == PostalStatus.RETURNED_TO_COUNTER
        if self.status not in HANDED_BACK or (self.return_method != ReturnMethod.COUNTER and not back_from_post):
            raise NotReadyForCounterReturn(f"Hồ sơ {self.code} đang ở trạng thái {self.status}, chưa thể trả tại quầy")
        outcome = HANDED_BACK[DossierStatus(self.status)]
        if outcome == Outcome.RESULT:
            self.require_paid(FeeWhen.BEFORE_RETURN)
        what = "trả kết quả" if outcome == Outcome.RESULT else "trả thông báo từ chối và hồ sơ gốc"
        self._move(DossierStatus.RETURNED, now, actor, f"{what} tại quầy")
        self._returned(now, ReturnMethod.COUNTER, outcome)

    # --- the financial obligation ---------------------------------------------------------

    def owed(self, procedure: ProcedureVersion, stage: str) -> tuple[int, list[FeeLine]]:
        """What the applicant owes at `stage` (PAYMENT_STAGES) after its exemption: the
        total in đồng and the items (a waived lệ phí listed at 0)."""
        exemption = (self.fee_exemption or {}).get("code")
        schedule = after_exemption(procedure.fee_schedule(), exemption)
        items = [
            FeeLine(name=i.name, amount=i.amount, kind=i.kind.value)
            for i in schedule.items
            if i.when in PAYMENT_STAGES[stage]
        ]
        return sum(i.amount for i in items), items

    def payment(self, stage: str) -> dict[str, Any] | None:
        """The obligation of `stage`, once requested."""
        return (self.payments or {}).get(stage)

    def payment_due(self) -> dict[str, Any] | None:
        """The obligation requested and not paid yet, if any."""
        for stage in PAYMENT_STAGES:
            owed = self.payment(stage)
            if owed is not None and owed.get("paid_at") is None:
                return {"stage": stage, **owed}
        return None

    def _request_payment(self, stage: str, procedure: ProcedureVersion, now: datetime, pay_days: int) -> bool:
        """Record the obligation of `stage` and publish payment_requested, once; False
        when nothing is owed then."""
        if self.payment(stage) is not None:
            return False
        amount, items = self.owed(procedure, stage)
        if amount <= 0:
            return False
        pay_by = now.astimezone(TZ).date() + timedelta(days=pay_days)
        self.payments = {  # a new dict: the stored JSON is replaced
            **(self.payments or {}),
            stage: {"amount": amount, "pay_by": pay_by.isoformat(), "paid_at": None, "order_id": None, "method": None},
        }
        self.record(
            PaymentRequested(
                dossier_code=self.code,
                correlation_id=self.correlation_id,
                stage=stage,
                amount=amount,
                items=items,
                pay_by=pay_by,
                agency_code=self.agency_code,
                procedure_code=procedure.code,
                procedure_name=procedure.name,
                online=policies.accepts_online(procedure.online_service),
                contacts=self.contacts(),
                notify=self.channels(),
                channel=self.channel,
                received_at=self.received_at.isoformat() if self.received_at else None,
            )
        )
        return True

    def request_return_payment(self, procedure: ProcedureVersion, now: datetime, pay_days: int = PAYMENT_DAYS) -> None:
        """The result is ready: the fees due before return are requested (once); the
        counter hands the result over only when they are paid (hand_back)."""
        if self.status == DossierStatus.RESULT_READY:
            self._request_payment(FeeWhen.BEFORE_RETURN, procedure, now, pay_days)

    def require_paid(self, stage: str) -> None:
        """Refused (409 payment_due) while the obligation of `stage` is not paid."""
        owed = self.payment(stage)
        if owed is not None and owed.get("paid_at") is None:
            raise PaymentDue(
                f"Hồ sơ {self.code} chưa thực hiện nghĩa vụ tài chính: phải nộp {money(owed['amount'])} "
                "trước khi nhận kết quả",
                {"amount": [str(owed["amount"])], "stage": [stage]},
            )

    def confirm_payment(
        self,
        stage: str,
        paid: Mapping[str, Any],
        procedure: ProcedureVersion,
        calendar: WorkingCalendar,
        now: datetime,
        agency: Agency | None = None,
        link: Callable[[str], str] = no_link,
    ) -> bool:
        """payments confirmed the obligation of `stage` (`paid`: paid_at, order_id,
        method). Before processing, the processing time starts now: the appointment
        counts from the payment (the same computation as reception's), and the dossier
        is announced received (received_at stays the legal reception). A repeated
        confirmation changes nothing; False then."""
        owed = self.payment(stage)
        if owed is None or owed.get("paid_at") is not None:
            return False
        paid_at: datetime = paid["paid_at"]
        self.payments = {
            **(self.payments or {}),
            stage: {**owed, "paid_at": paid_at.isoformat(), "order_id": paid["order_id"], "method": paid["method"]},
        }
        if stage == FeeWhen.BEFORE_PROCESSING and self.status == DossierStatus.AWAITING_PAYMENT:
            self.due_at = procedure.appointment(calendar, paid_at)
            at = max(now, self.status_at)
            self.status, self.status_at = DossierStatus.RECEIVED, at
            self._log(DossierStatus.RECEIVED, at, "payments", f"đã nộp {money(owed['amount'])} ({paid['method']})")
            self._announce_reception(procedure, agency, link)
        else:
            self._log(
                DossierStatus(self.status),
                max(now, self.status_at),
                "payments",
                f"đã nộp {money(owed['amount'])}",
                changed=False,
            )
        return True

    def expire_unpaid(self, now: datetime) -> bool:
        """A dossier waiting for the fees due before processing ends withdrawn once its
        pay-by day (in Vietnam's time) is over."""
        owed = self.payment(FeeWhen.BEFORE_PROCESSING)
        if self.status != DossierStatus.AWAITING_PAYMENT or owed is None:
            return False
        if now.astimezone(TZ).date() <= date.fromisoformat(owed["pay_by"]):
            return False
        self.withdraw(UNPAID_REASON, "intake", now)
        return True

    # --- the register follows the other services' events ---------------------------------

    def follow(self, event_type: str, data: Mapping[str, Any], at: datetime) -> None:
        """Update the register from processing's or postal's event of `at`. Late or
        repeated events change nothing they should not (the status never moves back)."""
        # who had a task is kept whatever the order the events come in: an officer's scope
        if event_type == EventType.PROCESSING_STARTED:
            self._worked_on_by(data.get("department"))
        elif event_type == EventType.DOSSIER_TRANSFERRED:
            self._worked_on_by(data.get("from_department"), data.get("to_department"))
        if event_type in STATUS_OF_EVENT:
            status = STATUS_OF_EVENT[event_type]
            if status in (DossierStatus.RESULT_READY, DossierStatus.REJECTED) and self.status == DossierStatus.RECEIVED:
                # a decision means a department worked on it: processing_started comes through
                # another queue and may arrive after it, stale then; the step is kept all the same
                self._move(DossierStatus.IN_PROGRESS, at, "processing", data.get("department", ""))
            moved = self._move(status, at, "processing", data.get("department", ""))
            if moved and event_type == EventType.SUPPLEMENT_REQUESTED:  # Form 02 lists these items
                self.supplement_request = {
                    "from": "department",
                    "by": data.get("department") or "",
                    "requested_at": at.isoformat(),
                    "items": [{"name": i["name"], "reason": i["reason"]} for i in data.get("items", [])],
                    "note": "",
                }
            if moved and data.get("dossier_due_at"):  # the deadline restarted or moved after a supplement
                self.due_at = data["dossier_due_at"]
            if event_type == EventType.RESULT_READY and data.get("result_file"):
                self._keep_result(data["result_file"], at)
        elif event_type == EventType.DOSSIER_OVERDUE:
            self.overdue = True
        elif event_type == EventType.DEADLINE_EXTENDED:  # the apology (Form 04) with a new date
            self.rescheduled = True
            self.due_at = data["new_due_at"]
        elif event_type == EventType.SHIPMENT_CREATED:
            self.postal_status = self.postal_status or PostalStatus.SHIPPED
        elif event_type == EventType.SHIPMENT_FAILED:
            if self.postal_status in (None, PostalStatus.SHIPPED, PostalStatus.DELIVERY_FAILED):
                self.postal_status = PostalStatus.DELIVERY_FAILED
        elif event_type == EventType.SHIPMENT_RETURNED:
            if self.status != DossierStatus.RETURNED:
                self.postal_status = PostalStatus.RETURNED_TO_COUNTER
        elif event_type == EventType.SHIPMENT_DELIVERED:
            self.postal_status = PostalStatus.DELIVERED
            delivered_at = data["delivered_at"]
            # what the shipment carried (postal says; events before issue 13 carried results)
            rejection = data.get("purpose") == "rejection" or self.status == DossierStatus.REJECTED
            outcome = Outcome.REJECTED if rejection else Outcome.RESULT
            if self._move(DossierStatus.RETURNED, delivered_at, "postal", "bưu chính đã phát"):
                self._returned(delivered_at, ReturnMethod.POSTAL, outcome)

    @property
    def result_file(self) -> DossierFile | None:
        """The electronic result processing announced (the last, should there be more)."""
        results = [f for f in self.files if f.kind == FileKind.RESULT]
        return results[-1] if results else None

    def result_downloadable(self, returns_electronically: bool) -> bool:
        """Whether the citizen may download the result (POST /api/lookup/result): the
        procedure returns its result electronically, a result file is there, and the
        dossier has its result (result_ready, or returned)."""
        return (
            returns_electronically
            and self.result_file is not None
            and self.status in (DossierStatus.RESULT_READY, DossierStatus.RETURNED)
            and self.outcome != Outcome.REJECTED
        )

    def _keep_result(self, ref: Mapping[str, Any], at: datetime) -> None:
        """Record the result file result_ready names (by reference: the content is in the
        shared file store under its SHA-256); once per file id."""
        if any(f.id == ref["id"] for f in self.files):
            return
        self.files.append(
            DossierFile(
                id=ref["id"],
                dossier_code=self.code,
                document=RESULT_DOCUMENT,
                name=policies.clean_file_name(ref.get("name")),
                media_type=ref["type"],
                size=int(ref["size"]),
                sha256=ref["sha256"],
                uploaded_at=at,
                uploaded_by=ref.get("uploaded_by") or "processing",
                announced=True,  # processing announced it; intake's events never list it
                kind=FileKind.RESULT,
            )
        )

    # --- inside -------------------------------------------------------------------------

    def _worked_on_by(self, *departments: str | None) -> None:
        known = {d.department for d in self.departments}
        for department in departments:
            if department and department not in known:
                known.add(department)
                self.departments.append(DossierDepartment(self.code, department, self.submitted_at))

    def _returned(self, at: datetime, where: ReturnMethod, outcome: Outcome) -> None:
        self.returned_at, self.outcome = at, outcome
        self.record(
            DossierReturned(
                dossier_code=self.code, correlation_id=self.correlation_id, returned_at=at, where=where, outcome=outcome
            )
        )

    def _require_status(self, *statuses: DossierStatus, action: str) -> None:
        if self.status not in statuses:
            raise WrongStatus(
                f"Hồ sơ {self.code} đang ở trạng thái {self.status}: không thể {action}", {"status": [str(self.status)]}
            )

    def _move(self, status: DossierStatus, at: datetime, actor: str, note: str = "") -> bool:
        """Apply a status if the lifecycle allows it now; False when it is stale."""
        if not may_move(self.status, self.status_at, status, at):
            return False
        changed = status != self.status  # in progress again (a transfer) is no new status for the portal
        self.status, self.status_at = status, at
        self._log(status, at, actor, note, changed=changed)
        return True

    def _log(self, status: DossierStatus, at: datetime, actor: str, note: str, changed: bool = True) -> None:
        """An entry of the trail; a change of status (not a note) is also announced,
        numbered, for the national portal."""
        self.trail.append(Transition(dossier_code=self.code, status=status, at=at, actor=actor, note=note))
        if not changed:
            return
        self.status_seq += 1
        self.record(
            DossierStatusChanged(
                dossier_code=self.code,
                correlation_id=self.correlation_id,
                seq=self.status_seq,
                status=status,
                number=portal_number(status),
                changed_at=at,
                channel=self.channel,
                agency_code=self.agency_code,
                procedure_code=self.procedure_code,
                reference=self.reference,
                portal_reference=self.portal_reference,
                note=note,
            )
        )


def require_online_contact(applicant: Applicant, notify: Channels) -> None:
    """An online dossier is answered by e-mail or SMS [Decree 61/2018/NĐ-CP Art. 17]:
    at least one contact with its channel chosen, or the submission is refused (400)."""
    problems = policies.online_contact_problems(applicant.phone, applicant.email, notify.sms, notify.email)
    if problems:
        raise OnlineContactMissing(
            "Hồ sơ trực tuyến cần ít nhất một cách liên lạc (số điện thoại nhận SMS hoặc email) để nhận thông báo",
            {"notify": problems},
        )


def incomplete(procedure: ProcedureVersion, missing: list[str]) -> DossierIncomplete:
    """Form 02: what a dossier of `procedure` still needs, all at once."""
    return DossierIncomplete(
        f"Hồ sơ chưa đầy đủ: cần bổ sung {len(missing)} giấy tờ (Mẫu 02, hướng dẫn một lần)",
        {"missing_documents": missing, "procedure_code": [f"{procedure.code} - {procedure.name}"]},
    )


# --- the calendar ------------------------------------------------------------------------


@dataclass(eq=False)
class CalendarOverride:
    """An administrator's change to the official calendar: an extra day off, or a
    make-up working day (ngày làm bù)."""

    day: date
    kind: str
    note: str
    set_by: str
    set_at: datetime


class CalendarOverrides(Aggregate):
    """The whole set of overrides under its version. intake owns them and announces
    each new set (`calendar_changed`) so that every service counts deadlines on the
    same calendar; the version only increases. Appointments already given are stored
    with their dossiers and do not move."""

    def __init__(self, overrides: Sequence[CalendarOverride] = (), version: int = 0) -> None:
        self.by_day = {o.day: o for o in overrides}
        self.version = version
        self.added: list[CalendarOverride] = []
        self.removed: list[CalendarOverride] = []

    def set(self, day: date, kind: str, note: str, actor: str, now: datetime) -> CalendarOverride:
        """Add or replace the override of `day`."""
        override = self.by_day.get(day)
        if override is None:
            override = CalendarOverride(day=day, kind=OverrideKind(kind), note=note, set_by=actor, set_at=now)
            self.by_day[day] = override
            self.added.append(override)
        else:
            override.kind, override.note, override.set_by, override.set_at = OverrideKind(kind), note, actor, now
        self._announce()
        return override

    def remove(self, day: date) -> None:
        override = self.by_day.pop(day, None)
        if override is None:
            raise NoOverride(f"Không có điều chỉnh lịch nào cho ngày {day:%d/%m/%Y}")
        if override in self.added:
            self.added.remove(override)
        else:
            self.removed.append(override)
        self._announce()

    def days(self, kind: OverrideKind) -> list[date]:
        return sorted(day for day, o in self.by_day.items() if o.kind == kind)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            days_off=self.days(OverrideKind.DAY_OFF), working_days=self.days(OverrideKind.WORKING_DAY)
        )

    def _announce(self) -> None:
        self.version += 1
        self.record(
            CalendarChanged(
                dossier_code=NOT_A_DOSSIER,
                correlation_id=None,
                version=self.version,
                days_off=self.days(OverrideKind.DAY_OFF),
                working_days=self.days(OverrideKind.WORKING_DAY),
            )
        )
