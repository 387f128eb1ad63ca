"""The refusals of intake's rules. Each subclasses a category of shared.domain (which
fixes its HTTP status) and names the contract's error code."""

from shared.domain import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken, TooLarge


class DossierNotFound(NotFound):
    code = "not_found"


class OtherAgency(Forbidden):
    """A counter officer acts only on dossiers of its own agency."""

    code = "other_agency"


class ChannelNotAllowed(Forbidden):
    """The counter files counter and postal dossiers; the portal files online ones."""

    code = "forbidden"


class WrongStatus(Conflict):
    """The dossier's status does not allow this counter action."""

    code = "wrong_status"


class NotReadyForCounterReturn(Conflict):
    code = "not_ready_for_counter_return"


class NotReceived(Conflict):
    """No receipt (Form 01) before the dossier is received."""

    code = "not_received"


class FormNotAvailable(Conflict):
    """A printable form the dossier has none of (Form 02 without a request to complete
    it, Form 03 of a dossier not refused)."""

    code = "form_not_available"


class OnlineContactMissing(InvalidInput):
    """An online submission with no contact and channel to answer it by
    [Decree 61/2018/NĐ-CP Art. 17]."""

    code = "invalid_input"


class OnlineServiceNotOffered(RuleBroken):
    """An online submission for a procedure not offered online [Decree 42/2022/NĐ-CP]."""

    code = "online_service_not_offered"


class DossierIncomplete(RuleBroken):
    """One-time complete guidance (Form 02): everything missing, listed at once."""

    code = "dossier_incomplete"


class ReturnMethodNotAllowed(RuleBroken):
    code = "return_method_not_allowed"


class UnknownProcedure(RuleBroken):
    code = "unknown_procedure"


class ProcedureNotYetEffective(RuleBroken):
    code = "procedure_not_yet_effective"


class ProcedureExpired(RuleBroken):
    code = "procedure_expired"


class NoVersionInEffect(NotFound):
    code = "not_found"


class InvalidCatalogue(InvalidInput):
    """A catalogue file with invalid entries: refused whole, every problem listed."""

    code = "invalid_catalogue"


class CatalogueConflict(RuleBroken):
    """A catalogue file whose validity periods clash with the versions already kept."""

    code = "catalogue_conflict"


class NoOverride(NotFound):
    code = "not_found"


class NotTakingPapers(Conflict):
    """Files are added only while the dossier can still take papers (policies,
    model.TAKES_PAPERS)."""

    code = "wrong_status"


class UnknownDocument(RuleBroken):
    """A file declared as a document the dossier does not name (nor "Giấy tờ khác")."""

    code = "unknown_document"


class DossierFilesTooLarge(TooLarge):
    """A dossier's files together at most policies.MAX_DOSSIER_FILES_BYTES."""

    code = "dossier_files_too_large"


class FileNotFound(NotFound):
    code = "not_found"


class PaymentDue(Conflict):
    """The result is handed back only when the fees due before return are paid."""

    code = "payment_due"
