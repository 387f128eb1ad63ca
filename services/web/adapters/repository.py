"""The web service's repositories over SQLAlchemy, and its unit of work."""

import sqlalchemy as sa

from services.web.adapters.orm import accounts, sessions
from services.web.domain.model import Account, Session
from shared.uow import UnitOfWork

a, s = accounts.c, sessions.c


class AccountRepository:
    def __init__(self, session):
        self.session = session

    def get(self, username, for_update=False):
        query = sa.select(Account).where(a.username == username)
        return self.session.scalars(query.with_for_update() if for_update else query).one_or_none()

    def add(self, account):
        self.session.add(account)

    def all(self):
        return list(self.session.scalars(sa.select(Account).order_by(a.role, a.username)))


class SessionRepository:
    def __init__(self, session):
        self.session = session

    def get(self, key_hash):
        return self.session.get(Session, key_hash)

    def with_account(self, key_hash):
        """(session, its account) in one query, or None: asked on every page."""
        row = self.session.execute(
            sa.select(Session, Account).join(accounts, a.username == s.username).where(s.key_hash == key_hash)
        ).first()
        return None if row is None else tuple(row)

    def add(self, browser_session):
        self.session.add(browser_session)

    def touch(self, key_hash, now):
        self.session.execute(sa.update(sessions).where(s.key_hash == key_hash).values(last_seen_at=now))

    def remove(self, key_hash):
        self.session.execute(sa.delete(sessions).where(s.key_hash == key_hash))

    def remove_all_of(self, username):
        self.session.execute(sa.delete(sessions).where(s.username == username))

    def forget_before(self, idle_since, now):
        """Drop the sessions nobody can use any more (idle too long or expired)."""
        self.session.execute(sa.delete(sessions).where(sa.or_(s.last_seen_at < idle_since, s.expires_at <= now)))


class WebWork(UnitOfWork):
    source = "web"

    def __init__(self, session):
        super().__init__(session)
        self.accounts = AccountRepository(session)
        self.sessions = SessionRepository(session)
