"""The web service's tables: staff accounts and signed-in sessions, mapped onto the
domain's plain classes."""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from services.web.domain.model import Account, Role, Session
from shared.db import EnumText, Moment


class Base(DeclarativeBase):
    """The web service's own tables (it reads nothing of another service's)."""


accounts = sa.Table(
    "accounts",
    Base.metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("role", EnumText(Role, 16), nullable=False),
    sa.Column("agency", sa.String(40), nullable=True),
    sa.Column("department", sa.String(40), nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("failed_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", Moment(), nullable=True),
    sa.Column("created_at", Moment(), nullable=False),
)

# Only the SHA-256 of a session cookie: a copy of the table signs nobody in.
sessions = sa.Table(
    "sessions",
    Base.metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("accounts.username"), nullable=False, index=True),
    sa.Column("created_at", Moment(), nullable=False),
    sa.Column("last_seen_at", Moment(), nullable=False),
    sa.Column("expires_at", Moment(), nullable=False),
)

Base.registry.map_imperatively(Account, accounts)
Base.registry.map_imperatively(Session, sessions)
