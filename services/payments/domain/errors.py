"""What the payment rules refuse. The category sets the HTTP status (shared.errors);
`code` is the contract's error code."""

from shared.domain import Conflict, NotFound, RuleBroken, Unavailable


class ObligationNotFound(NotFound):
    """No such obligation, or one of another agency (the same answer)."""

    code = "not_found"


class UnknownOrder(NotFound):
    code = "unknown_order"


class AmountMismatch(RuleBroken):
    """The amount paid or reported is not the amount owed."""

    code = "amount_mismatch"


class OnlineNotAllowed(RuleBroken):
    code = "online_not_allowed"


class AlreadyPaid(Conflict):
    """The obligation is paid already: nobody takes the money twice."""

    code = "already_paid"


class ReceiptNumberUsed(Conflict):
    code = "receipt_number_used"


class NotRefundable(Conflict):
    """Only a paid order can be refunded, and only once."""

    code = "not_refundable"


class GatewayUnavailable(Unavailable):
    code = "gateway_unavailable"
