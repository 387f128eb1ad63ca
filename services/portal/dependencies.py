"""The connector's nameko dependencies: the portal's and intake's HTTP clients, and
what the sender remembers between rounds (an outage's backoff: in memory, since a
restart may simply try at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider

from services.portal.adapters.intake import IntakeApi
from services.portal.adapters.national import NationalPortal
from services.portal.domain.model import backoff


@dataclass
class Outage:
    """The portal out of reach: how many rounds failed in a row, until when to wait."""

    failures: int = 0
    since: datetime | None = None
    until: datetime | None = None
    reason: str | None = None

    def waiting(self, now: datetime) -> bool:
        return self.until is not None and now < self.until

    def failed(self, reason: str, now: datetime, longest: float) -> None:
        self.failures += 1
        self.since = self.since or now
        self.until = now + backoff(self.failures, longest)
        self.reason = reason

    def over(self, now: datetime) -> timedelta | None:
        """The portal answers again: how long it was out (None: it was not)."""
        if self.since is None:
            return None
        self.failures, self.until, self.reason = 0, None, None
        since, self.since = self.since, None
        return now - since


class Connector:
    def __init__(self, portal: NationalPortal, intake: IntakeApi) -> None:
        self.portal, self.intake, self.outage = portal, intake, Outage()


class ConnectorAdapter(DependencyProvider):
    """The clients, from PORTAL_URL, PORTAL_SECRET, PORTAL_PROVINCE; intake where shared.config finds it."""

    def setup(self):
        config = self.container.config
        self.connector = Connector(NationalPortal.from_config(config), IntakeApi.from_config(config))

    def get_dependency(self, worker_ctx):
        return self.connector
