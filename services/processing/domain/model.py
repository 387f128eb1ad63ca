"""The case (a dossier as the departments work on it: its route, status and
deadline), its tasks (one step in one department's work queue, hàng đợi thụ lý) and
its hand-offs (the lines of the control slip, Form 05).

The case is the aggregate: every decision, supplement, withdrawal, apology and
overdue notice goes through it, checks the rules, changes the case and its tasks,
and records the event it owes. Operations take the moment (`now`), the actor and
the working-day calendar as arguments; nothing here reads a clock or stores itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.processing.domain import errors, events, policies
from services.processing.domain.policies import COUNTER, SupplementClock
from shared.calendar import WorkingCalendar
from shared.clock import TZ
from shared.domain import Aggregate


def _when(moment: datetime) -> str:
    """A moment as people read it: 08 giờ 00 phút, ngày 02/12/2026."""
    local = moment.astimezone(TZ)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


class CaseStatus(StrEnum):
    """The statuses of a case (the national portal's numbers in DOMAIN.md)."""

    IN_PROGRESS = "in_progress"  # 4 Đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 5 Yêu cầu bổ sung giấy tờ
    FINISHED = "finished"  # 9 Đã xử lý xong
    REJECTED = "rejected"  # 8 Dừng xử lý
    WITHDRAWN = "withdrawn"  # 7 Công dân yêu cầu rút hồ sơ


RUNNING = (CaseStatus.IN_PROGRESS, CaseStatus.SUPPLEMENT_REQUESTED)


class TaskStatus(StrEnum):
    WAITING = "waiting"  # in the department's queue
    CLAIMED = "claimed"  # held by an officer or the department's system
    DONE = "done"  # decided
    CANCELLED = "cancelled"  # the citizen withdrew the dossier


OPEN = (TaskStatus.WAITING, TaskStatus.CLAIMED)


class Action(StrEnum):
    APPROVE = "approve"
    TRANSFER = "transfer"  # chuyển liên thông
    REQUEST_SUPPLEMENT = "request_supplement"  # yêu cầu bổ sung
    REJECT = "reject"  # từ chối (dừng xử lý)


class Role(StrEnum):
    OFFICER = "officer"  # chuyên viên thụ lý
    ADMIN = "admin"
    COUNTER = "counter"
    SYSTEM = "system"  # a department's own software (its credential: department_system)


@dataclass(frozen=True)
class Actor:
    """Who acts: role, identity (`sub`) and, for officers and systems, their department."""

    role: str
    sub: str
    department: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Actor:
        return cls(role=claims["role"], sub=claims.get("sub") or "", department=claims.get("department"))

    @classmethod
    def department_system(cls, own: str | None, named: str | None = None) -> Actor:
        """The actor of a department's system, from its credential's department (`own`).
        The department it names, if any, must be the credential's own."""
        if not own:
            raise errors.NoDepartmentOnCredential("Mã xác thực của hệ thống phòng ban thiếu mã phòng ban")
        if named is not None and named != own:
            raise errors.OtherDepartment("Hệ thống phòng ban chỉ xử lý việc của phòng ban mình")
        # one holder name per department: any instance of its system may finish what another started
        return cls(role=Role.SYSTEM, sub=f"system.{own}", department=own)

    @property
    def bound_to_department(self) -> bool:
        """Officers and department systems work only in their own department."""
        return self.role in (Role.OFFICER, Role.SYSTEM)

    def require_department(self, department: str) -> None:
        """An officer works only in the queue of their own department."""
        if self.role == Role.OFFICER and self.department != department:
            raise errors.OtherDepartment("Cán bộ chỉ làm việc trong phòng ban của mình")


@dataclass(frozen=True)
class Decision:
    """A department's answer to the task it holds."""

    action: Action
    note: str | None = None
    reason: str | None = None
    to_department: str | None = None
    items: tuple[events.SupplementItem, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Decision:
        items = tuple(
            events.SupplementItem(name=item["name"], reason=item["reason"]) for item in body.get("items") or ()
        )
        return cls(
            action=Action(body["action"]),
            note=body.get("note"),
            reason=body.get("reason"),
            to_department=body.get("to_department"),
            items=items,
        )

    @property
    def task_note(self) -> str:
        """What the task keeps: the note, else the reason."""
        return self.note or self.reason or ""


class Task:
    """One step of a dossier in one department's work queue."""

    id: str
    dossier_code: str
    step: int
    department: str
    status: str
    available_at: datetime
    due_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    decided_at: datetime | None
    decision: str | None
    note: str
    dispatched_at: datetime | None
    received_at: datetime | None

    def __init__(
        self,
        id: str,
        dossier_code: str,
        step: int,
        department: str,
        available_at: datetime,
        due_at: datetime,
        status: str = TaskStatus.WAITING,
        note: str = "",
    ) -> None:
        self.id, self.dossier_code, self.step, self.department = id, dossier_code, step, department
        self.available_at, self.due_at, self.status, self.note = available_at, due_at, status, note
        self.claimed_by = self.claimed_at = self.decided_at = self.decision = None
        self.dispatched_at = self.received_at = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def claimable(self, now: datetime, idle_seconds: float) -> bool:
        """Waiting and available, or held by someone who left it idle too long."""
        return self.available_at <= now and (
            self.status == TaskStatus.WAITING
            or (self.status == TaskStatus.CLAIMED and policies.claim_lapsed(self.claimed_at, now, idle_seconds))
        )

    def take(self, holder: str, now: datetime) -> None:
        self.status, self.claimed_by, self.claimed_at = TaskStatus.CLAIMED, holder, now
        self.received_at = self.received_at or now

    def answerable_by_system(self, actor: Actor, automated: bool) -> None:
        """A department's system answers only its own department's work, and only while
        that department is marked automated (an admin's decision)."""
        if actor.department != self.department:
            raise errors.OtherDepartment("Việc này thuộc phòng ban khác")
        if not automated:
            raise errors.NotAutomated(
                f"Phòng ban {self.department} không được đánh dấu xử lý tự động; cán bộ xử lý qua hàng đợi"
            )

    def require_holder(self, actor: Actor, now: datetime) -> None:
        """Officers decide on what they hold; a department's system on what is waiting
        in its queue (or what it holds)."""
        if actor.bound_to_department and actor.department != self.department:
            raise errors.OtherDepartment("Việc này thuộc phòng ban khác")
        if actor.role == Role.SYSTEM and self.status == TaskStatus.WAITING:
            self.take(actor.sub, now)
        if self.status != TaskStatus.CLAIMED or (actor.bound_to_department and self.claimed_by != actor.sub):
            raise errors.TaskNotHeld(f"Việc đang ở trạng thái {self.status}, không do bạn giữ")

    def close(self, action: Action, note: str, now: datetime) -> None:
        self.status, self.decided_at, self.decision, self.note = TaskStatus.DONE, now, action, note

    def cancel(self, note: str) -> None:
        self.status, self.note = TaskStatus.CANCELLED, note


@dataclass(frozen=True)
class ResultFile:
    """The result file as the store answered it: its content is in the file
    store under `sha256`; the case keeps the reference."""

    id: str
    sha256: str
    size: int
    media_type: str
    name: str
    uploaded_by: str
    uploaded_at: datetime


def no_link(file_id: str) -> str:
    """The authenticated path of a file (where no signed link is made, e.g. the unit tier)."""
    return f"/api/files/{file_id}"


class HandOff:
    """A line of the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Form 05)."""

    id: int | None
    dossier_code: str
    from_party: str
    to_party: str
    handed_over_at: datetime
    due_at: datetime | None
    sender_due_at: datetime | None
    received_at: datetime | None
    task_id: str | None
    note: str

    def __init__(
        self,
        dossier_code: str,
        from_party: str,
        to_party: str,
        handed_over_at: datetime,
        due_at: datetime | None = None,
        sender_due_at: datetime | None = None,
        received_at: datetime | None = None,
        task_id: str | None = None,
        note: str = "",
    ) -> None:
        self.dossier_code, self.from_party, self.to_party = dossier_code, from_party, to_party
        self.handed_over_at, self.due_at, self.sender_due_at = handed_over_at, due_at, sender_due_at
        self.received_at, self.task_id, self.note = received_at, task_id, note


class AutomatedDepartment:
    """A department whose own software takes its work from its task queue."""

    department: str
    since: datetime
    set_by: str

    def __init__(self, department: str, since: datetime, set_by: str) -> None:
        self.department, self.since, self.set_by = department, since, set_by


class Case(Aggregate):
    """A dossier as processing sees it: its route through departments and its deadline."""

    dossier_code: str
    procedure_code: str
    procedure_version: int
    route: list[dict[str, Any]]
    status: str
    current_step: int
    received_at: datetime
    due_at: datetime
    finished_at: datetime | None
    return_method: str
    postal_address: str | None
    supplement_clock: str
    correlation_id: str
    # How the dossier arrived (counter, postal: on paper; online): the cut-off of the
    # transfer applies to paper dossiers only (policies.transfer_moment).
    channel: str
    # For the apology (Form 04), the agency's letter to the applicant: whom it is
    # addressed to, and the agency that signs it ({code, name, head_title, place});
    # None for dossiers announced before dossier_received carried them.
    applicant_name: str | None
    agency: dict[str, Any] | None
    # The steps' due dates count from plan_start, shifted by the working time spent
    # waiting for supplements under the "pause" rule.
    plan_start: datetime | None
    paused_seconds: int
    supplement_late_allowed: bool
    supplement_requested_at: datetime | None
    supplement_department: str | None
    # The apology (Form 04): at most once per dossier.
    extended_at: datetime | None
    extension_reason: str | None
    old_due_at: datetime | None
    extended_by: str | None
    overdue_at: datetime | None  # when dossier_overdue was recorded
    # The electronic result: whether the procedure returns its result
    # electronically (dossier_received says), and the result file an officer attached
    # on the last step (by reference; a second one replaces it).
    result_electronic: bool
    result_file_id: str | None
    result_sha256: str | None
    result_size: int | None
    result_media_type: str | None
    result_name: str | None
    result_uploaded_by: str | None
    result_uploaded_at: datetime | None

    def __init__(
        self,
        dossier_code: str,
        procedure_code: str,
        procedure_version: int,
        route: list[dict[str, Any]],
        received_at: datetime,
        due_at: datetime,
        return_method: str,
        correlation_id: str,
        postal_address: str | None = None,
        supplement_clock: str | None = None,
        supplement_late_allowed: bool = False,
        channel: str | None = None,
        applicant_name: str | None = None,
        agency: Mapping[str, Any] | None = None,
        result_electronic: bool = False,
    ) -> None:
        self.dossier_code, self.procedure_code, self.procedure_version = dossier_code, procedure_code, procedure_version
        self.channel = channel or "counter"
        self.applicant_name, self.agency = applicant_name, dict(agency) if agency else None
        self.route, self.received_at, self.due_at = route, received_at, due_at
        self.return_method, self.postal_address, self.correlation_id = return_method, postal_address, correlation_id
        self.supplement_clock = supplement_clock or SupplementClock.RESTART
        self.supplement_late_allowed = bool(supplement_late_allowed)
        self.status, self.current_step = CaseStatus.IN_PROGRESS, 1
        self.plan_start, self.paused_seconds = None, 0
        self.finished_at = self.supplement_requested_at = self.supplement_department = None
        self.extended_at = self.extension_reason = self.old_due_at = self.extended_by = None
        self.overdue_at = None
        self.result_electronic = bool(result_electronic)
        self.result_file_id = self.result_sha256 = self.result_media_type = self.result_name = None
        self.result_size = None
        self.result_uploaded_by = self.result_uploaded_at = None

    # --- what the unit of work stores besides the case itself ----------------------

    @property
    def new_parts(self) -> list[Task | HandOff]:
        """Tasks and hand-offs created since the case was loaded or created (kept
        outside the mapped attributes, like the recorded events)."""
        parts: list[Task | HandOff] = self.__dict__.setdefault("_new_parts", [])
        return parts

    def collect_new_parts(self) -> list[Task | HandOff]:
        parts = list(self.new_parts)
        self.new_parts.clear()
        return parts

    def _hand_off(self, from_party: str, to_party: str, now: datetime, **line: Any) -> HandOff:
        hand_off = HandOff(self.dossier_code, from_party, to_party, now, **line)
        self.new_parts.append(hand_off)
        return hand_off

    # --- the plan ----------------------------------------------------------------------

    def start(self, now: datetime, calendar: WorkingCalendar) -> Task:
        """dossier_received: the route becomes the plan; the first step enters its queue
        at the transfer moment (a paper dossier the same working day, or the next
        morning after the cut-off; an online dossier at once)."""
        start = policies.transfer_moment(calendar, self.received_at, self.channel)
        self.plan_start = start
        return self._open_step(1, COUNTER, start, now, calendar, sender_due=start)

    def step_due(self, step: int, calendar: WorkingCalendar) -> datetime:
        return policies.step_due_dates(
            calendar, self.plan_start or self.received_at, self.route, self.due_at, self.paused_seconds
        )[step - 1]

    def _open_step(
        self,
        step: int,
        from_party: str,
        available_at: datetime,
        now: datetime,
        calendar: WorkingCalendar,
        sender_due: datetime | None = None,
        department: str | None = None,
        note: str = "",
        dossier_due_changed: bool = False,
        due: datetime | None = None,
    ) -> Task:
        """Put step `step` into a department's queue and record the hand-off."""
        department = department or self.route[step - 1]["department"]
        due = due or self.step_due(step, calendar)
        task = Task(
            id=str(uuid.uuid4()),
            dossier_code=self.dossier_code,
            step=step,
            department=department,
            available_at=available_at,
            due_at=due,
        )
        self.current_step = step
        self.new_parts.append(task)
        self._hand_off(from_party, department, now, due_at=due, sender_due_at=sender_due, task_id=task.id, note=note)
        self.record(
            events.ProcessingStarted(
                self.dossier_code,
                self.correlation_id,
                department=department,
                step=step,
                due_at=due,
                dossier_due_at=self.due_at if dossier_due_changed else None,
            )
        )
        return task

    # --- decisions ---------------------------------------------------------------------

    def _require_current(self, task: Task) -> None:
        if self.status != CaseStatus.IN_PROGRESS or self.current_step != task.step:
            raise errors.StaleDecision(f"Hồ sơ {self.dossier_code} không còn chờ bước này")

    def decide(
        self,
        task: Task,
        decision: Decision,
        now: datetime,
        calendar: WorkingCalendar,
        link: Callable[[str], str] = no_link,
    ) -> None:
        """The answer of the department holding `task` (checked by the task: require_holder).
        `link(file id)`: the signed link result_ready gives to the result file."""
        if decision.action == Action.APPROVE:
            self.approve(task, decision.note, now, calendar, link)
        elif decision.action == Action.TRANSFER:
            self.transfer(task, decision.to_department or "", decision.reason or "", now, calendar)
        elif decision.action == Action.REQUEST_SUPPLEMENT:
            self.request_supplement(task, decision.items, decision.reason, now, calendar)
        else:
            self.reject(task, decision.reason or "", now)
        task.note = decision.task_note

    def approve(
        self,
        task: Task,
        note: str | None,
        now: datetime,
        calendar: WorkingCalendar,
        link: Callable[[str], str] = no_link,
    ) -> None:
        """The step is done: the next one enters its queue, or after the last the result is ready."""
        self._require_current(task)
        if task.step < len(self.route):
            self._open_step(task.step + 1, task.department, now, now, calendar, sender_due=task.due_at, note=note or "")
        else:
            self._finish(task, note or "Đã giải quyết xong", now, link)
        task.close(Action.APPROVE, note or "", now)

    # --- the electronic result ------------------------------------------------

    def is_last_step(self, task: Task) -> bool:
        return task.step == len(self.route)

    def require_result_slot(self, task: Task) -> None:
        """A result file is attached by the officer holding the task (checked by the
        task: require_holder), while the case waits for it, on the route's last step."""
        if task.status != TaskStatus.CLAIMED:  # decided (approved, rejected), cancelled
            raise errors.TaskNotHeld(f"Việc đang ở trạng thái {task.status}: không đính kèm kết quả được")
        self._require_current(task)
        if not self.is_last_step(task):
            raise errors.NotLastStep(
                f"Chỉ đính kèm tệp kết quả ở bước cuối ({len(self.route)}) của quy trình; việc này là bước {task.step}"
            )

    def attach_result(self, task: Task, file: ResultFile) -> str | None:
        """Keep the reference to the result file (a second one replaces the first; its
        content, unreferenced, is swept); the SHA-256 it replaced, if any."""
        self.require_result_slot(task)
        replaced = self.result_sha256
        self.result_file_id, self.result_sha256, self.result_size = file.id, file.sha256, file.size
        self.result_media_type, self.result_name = file.media_type, file.name
        self.result_uploaded_by, self.result_uploaded_at = file.uploaded_by, file.uploaded_at
        return replaced if replaced != file.sha256 else None

    def result_reference(self, link: Callable[[str], str]) -> events.ResultFileRef | None:
        if self.result_file_id is None or self.result_sha256 is None:
            return None
        return events.ResultFileRef(
            id=self.result_file_id,
            sha256=self.result_sha256,
            size=int(self.result_size or 0),
            type=self.result_media_type or policies.RESULT_MEDIA_TYPE,
            name=self.result_name or "",
            url=link(self.result_file_id),
        )

    def _finish(self, task: Task, summary: str, now: datetime, link: Callable[[str], str] = no_link) -> None:
        self.status, self.finished_at = CaseStatus.FINISHED, now
        self._hand_off(
            task.department,
            COUNTER,
            now,
            due_at=self.due_at,
            sender_due_at=task.due_at,
            received_at=now,
            note="trả kết quả",
        )
        self.record(
            events.ResultReady(
                self.dossier_code,
                self.correlation_id,
                finished_at=now,
                summary=summary,
                return_method=self.return_method,
                postal_address=self.postal_address,
                result_file=(result := self.result_reference(link)),
                electronic=self.result_electronic and result is not None,
            )
        )

    def transfer(self, task: Task, to_department: str, reason: str, now: datetime, calendar: WorkingCalendar) -> None:
        """Liên thông: the step continues in another agency, with the same deadline."""
        self._require_current(task)
        if to_department == task.department:
            raise errors.SameDepartment("Không thể chuyển hồ sơ cho chính phòng ban đang xử lý")
        self._open_step(
            task.step,
            task.department,
            now,
            now,
            calendar,
            sender_due=task.due_at,
            department=to_department,
            note=f"chuyển liên thông: {reason}",
            due=task.due_at,
        )
        self.record(
            events.DossierTransferred(
                self.dossier_code,
                self.correlation_id,
                from_department=task.department,
                to_department=to_department,
                reason=reason,
            )
        )
        task.close(Action.TRANSFER, reason, now)

    def request_supplement(
        self,
        task: Task,
        items: Iterable[events.SupplementItem],
        reason: str | None,
        now: datetime,
        calendar: WorkingCalendar,
    ) -> None:
        """Ask for missing papers: only within SUPPLEMENT_WINDOW_DAYS working days of
        reception, unless the procedure allows it later. The clock waits meanwhile."""
        self._require_current(task)
        limit = policies.supplement_deadline(calendar, self.received_at)
        if now > limit and not self.supplement_late_allowed:
            raise errors.SupplementTooLate(
                f"Yêu cầu bổ sung phải gửi trong {policies.SUPPLEMENT_WINDOW_DAYS} ngày làm việc kể từ ngày "
                f"tiếp nhận (hạn {limit.isoformat()}); thủ tục này không cho phép gửi muộn hơn"
            )
        items = tuple(items)
        self.status, self.supplement_requested_at = CaseStatus.SUPPLEMENT_REQUESTED, now
        self.supplement_department = task.department
        reason = reason or "; ".join(item.reason for item in items)
        self._hand_off(
            task.department, COUNTER, now, sender_due_at=task.due_at, received_at=now, note=f"yêu cầu bổ sung: {reason}"
        )
        self.record(
            events.SupplementRequested(
                self.dossier_code,
                self.correlation_id,
                items=items,
                requested_at=now,
                reason=reason,
                department=task.department,
            )
        )
        task.close(Action.REQUEST_SUPPLEMENT, reason, now)

    def reject(self, task: Task, reason: str, now: datetime) -> None:
        """Not eligible: the dossier stops with a written reason (dừng xử lý). The
        refusal notice goes back like a result, by the dossier's return method
        [Decree 61/2018 Art. 19-20, as issue 13 cites them]. It is due within the
        processing deadline: a late one is still made, never refused, but the control
        slip counts it late against the dossier's deadline and the event says so."""
        self._require_current(task)
        self.status, self.finished_at = CaseStatus.REJECTED, now
        late = policies.rejected_late(now, self.due_at)
        self._hand_off(
            task.department,
            COUNTER,
            now,
            sender_due_at=self.due_at,
            received_at=now,
            note=f"từ chối{' (quá hạn giải quyết)' if late else ''}: {reason}",
        )
        self.record(
            events.DossierRejected(
                self.dossier_code,
                self.correlation_id,
                reason=reason,
                return_method=self.return_method,
                postal_address=self.postal_address,
                late=late,
            )
        )
        task.close(Action.REJECT, reason, now)

    # --- supplements and withdrawal -------------------------------------------------------

    def resume(self, completed_at: datetime, now: datetime, calendar: WorkingCalendar) -> Task | None:
        """dossier_supplemented: the dossier is complete again; its deadline restarts from
        zero or resumes paused, and the step that asked goes back to its department.
        None when the case is not waiting for papers (a late or repeated event)."""
        if self.status != CaseStatus.SUPPLEMENT_REQUESTED or self.supplement_requested_at is None:
            return None
        start, paused, due = policies.resumed_due(
            calendar,
            self.supplement_clock,
            self.route,
            self.due_at,
            self.supplement_requested_at,
            completed_at,
            self.channel,
        )
        if start is not None:
            self.plan_start, self.paused_seconds = start, 0
        else:
            self.paused_seconds += paused
        self.due_at, self.status = due, CaseStatus.IN_PROGRESS
        available = policies.transfer_moment(calendar, completed_at, self.channel)
        return self._open_step(
            self.current_step,
            COUNTER,
            available,
            now,
            calendar,
            sender_due=available,
            department=self.supplement_department,
            note="hồ sơ đã bổ sung đầy đủ",
            dossier_due_changed=True,
        )

    def withdraw(self, open_tasks: Iterable[Task], now: datetime) -> bool:
        """dossier_withdrawn: the citizen took the dossier back; open work is cancelled.
        False when the case had already ended."""
        if self.status not in RUNNING:
            return False
        self.status, self.finished_at = CaseStatus.WITHDRAWN, now
        for task in open_tasks:
            if task.is_open:
                task.cancel("công dân rút hồ sơ")
        return True

    # --- deadlines ---------------------------------------------------------------------------

    def extend(
        self,
        new_due: datetime,
        reason: str,
        actor: Actor,
        now: datetime,
        open_tasks: list[Task],
        calendar: WorkingCalendar,
    ) -> None:
        """The apology (Form 04): a new due date with a reason, once per dossier, asked
        at least one working day before the current due date (policies.extension_limit,
        Decree 61/2018 Art. 19 as issue 13 cites it); by the department holding the
        dossier, or an admin."""
        if actor.role == Role.OFFICER and actor.department not in {t.department for t in open_tasks}:
            raise errors.OtherDepartment("Chỉ phòng ban đang giữ hồ sơ mới được xin gia hạn")
        if self.status not in RUNNING:
            raise errors.NotInProgress(f"Hồ sơ đang ở trạng thái {self.status}, không gia hạn được")
        if self.extended_at is not None:
            raise errors.AlreadyExtended("Hồ sơ đã được hẹn lại một lần; không được gia hạn lần nữa")
        if not policies.extension_in_time(calendar, self.due_at, now):
            limit = policies.extension_limit(calendar, self.due_at)
            raise errors.ExtensionTooLate(
                "Phải gửi phiếu xin lỗi và hẹn lại chậm nhất một ngày làm việc trước hạn trả kết quả "
                f"({_when(self.due_at)}); hạn xin gia hạn đã hết lúc {_when(limit)}"
            )
        if new_due <= self.due_at:
            raise errors.NotLater(
                "Ngày hẹn mới phải sau ngày hẹn hiện tại", {"new_due_at": [f"phải sau {self.due_at.isoformat()}"]}
            )
        latest = self.due_at + policies.MAX_EXTENSION
        if new_due > latest:
            raise errors.ExtensionTooFar(
                "Ngày hẹn mới chậm nhất một năm sau ngày hẹn hiện tại",
                {"new_due_at": [f"chậm nhất {latest.isoformat()}"]},
            )
        old_due = self.due_at
        self.old_due_at, self.due_at, self.extended_at = old_due, new_due, now
        self.extension_reason, self.extended_by = reason, actor.sub
        for task in open_tasks:  # the step that runs up to the old deadline may use the new one
            if task.due_at >= old_due:
                task.due_at = new_due
        self.record(
            events.DeadlineExtended(
                self.dossier_code, self.correlation_id, reason=reason, old_due_at=old_due, new_due_at=new_due
            )
        )

    def mark_overdue(self, now: datetime) -> bool:
        """Record dossier_overdue once, when a running case passes its deadline. A case
        waiting for papers is not running late."""
        if self.status != CaseStatus.IN_PROGRESS or self.overdue_at is not None or not self.due_at < now:
            return False
        self.overdue_at = now
        self.record(events.DossierOverdue(self.dossier_code, self.correlation_id, due_at=self.due_at))
        return True
