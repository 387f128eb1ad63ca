"""What the department rules refuse. Each exception is a category of shared.domain
(its HTTP status follows from the category, in shared.errors) with its error code."""

from __future__ import annotations

from shared.domain import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken, UnsupportedMedia


class TaskNotFound(NotFound):
    code = "not_found"


class CaseNotFound(NotFound):
    code = "not_found"


class QueueEmpty(NotFound):
    code = "queue_empty"


class OtherDepartment(Forbidden):
    """An officer or a department's system acting on another department's work."""

    code = "other_department"


class NoDepartmentOnCredential(Forbidden):
    code = "forbidden"


class NotAutomated(Forbidden):
    """A department's system answering while an admin has not marked it automated."""

    code = "not_automated"


class TaskNotHeld(Conflict):
    code = "task_not_held"


class StaleDecision(Conflict):
    """The dossier no longer waits for this step (decided, withdrawn, moved on)."""

    code = "stale_decision"


class NotInProgress(Conflict):
    code = "not_in_progress"


class AlreadyExtended(Conflict):
    code = "already_extended"


class SameDepartment(RuleBroken):
    code = "same_department"


class SupplementTooLate(RuleBroken):
    code = "supplement_too_late"


class ExtensionTooLate(RuleBroken):
    """The apology with a new date asked less than one working day before the due
    date (or after it) [Decree 61/2018 Art. 19, as issue 13 cites it]."""

    code = "extension_too_late"


class NotLater(RuleBroken):
    code = "not_later"


class ExtensionTooFar(InvalidInput):
    code = "invalid_input"


class NotLastStep(RuleBroken):
    """A result file is attached with the approval of the route's last step only."""

    code = "not_last_step"


class ResultNotPdf(UnsupportedMedia):
    """A result file is a PDF (by its content); nothing else is stored."""

    code = "unsupported_media_type"
