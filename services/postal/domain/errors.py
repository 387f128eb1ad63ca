"""What the postal rules refuse. The category sets the HTTP status (shared.errors);
`code` is the contract's error code."""

from shared.domain import Conflict, NotFound, RuleBroken, Unavailable


class UnknownWaybill(NotFound):
    """A tracking callback about no shipment of ours."""

    code = "unknown_waybill"


class PickupNotFound(NotFound):
    """No such pickup, or one the reader did not ask for (the same answer: ids tell
    nobody else anything)."""

    code = "not_found"


class StatusNotApplicable(RuleBroken):
    """A tracking status of the other kind of shipment (a pickup's hand-over reported
    for a result, a delivery for a pickup)."""

    code = "status_not_applicable"


class NotCancellable(Conflict):
    """The carrier has collected the dossier already (or the pickup is over)."""

    code = "not_cancellable"


class IdempotencyKeyReused(Conflict):
    """An Idempotency-Key sent again with another request."""

    code = "idempotency_key_reused"


class CarrierUnavailable(Unavailable):
    """The carrier did not take a request that cannot wait (a cancellation)."""

    code = "carrier_unavailable"
