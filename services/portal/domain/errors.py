"""The connector's refusals and the two ways an outside system can fail it."""

from __future__ import annotations

from shared.domain import NotFound, Unavailable


class PortalUnavailable(Exception):
    """The portal did not answer, or answered 5xx/429: try again later."""


class PortalRefused(Exception):
    """The portal answered 4xx: trying the same again will not help soon."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status, self.body = status, body


class IntakeUnavailable(Exception):
    """intake did not answer, or answered 5xx: try again later."""


class IntakeRefused(Exception):
    """intake refused the dossier (4xx): the portal is told it was not received."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status, self.body = status, body


class UnknownDossier(NotFound):
    pass


class CatalogueUnavailable(Unavailable):
    pass
