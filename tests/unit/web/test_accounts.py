"""The web's account rules on fakes: who may sign in, the lockout, sessions."""

from datetime import datetime, timedelta

import pytest

from services.web import application
from services.web.domain.errors import AccountExists, AccountLocked, InvalidAccount, SignInRefused
from services.web.domain.policies import LOCK_AFTER_FAILURES, LOCK_DURATION
from shared import clock

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
IDLE, LONGEST = timedelta(minutes=60), timedelta(hours=12)


class PlainHasher:
    """Reversible on purpose: the rules are under test here, not Argon2 (tests/web does that)."""

    def hash(self, password):
        return "plain$" + password

    def verify(self, password_hash, password):
        return password_hash == "plain$" + password

    def needs_rehash(self, password_hash):
        return False


class Accounts:
    def __init__(self):
        self.items = {}

    def get(self, username, for_update=False):
        return self.items.get(username)

    def add(self, account):
        self.items[account.username] = account

    def all(self):
        return list(self.items.values())


class Sessions:
    def __init__(self, accounts):
        self.items, self.accounts = {}, accounts

    def get(self, key_hash):
        return self.items.get(key_hash)

    def add(self, session):
        self.items[session.key_hash] = session

    def with_account(self, key_hash):
        session = self.items.get(key_hash)
        return None if session is None else (session, self.accounts.get(session.username))

    def touch(self, key_hash, now):
        self.items[key_hash].last_seen_at = now

    def remove(self, key_hash):
        self.items.pop(key_hash, None)

    def remove_all_of(self, username):
        self.items = {k: s for k, s in self.items.items() if s.username != username}

    def forget_before(self, idle_since, now):
        self.items = {k: s for k, s in self.items.items() if s.last_seen_at >= idle_since and s.expires_at > now}


class Work:
    def __init__(self):
        self.accounts = Accounts()
        self.sessions = Sessions(self.accounts)


HASHER = PlainHasher()


def with_counter(password="mot-mat-khau-dai"):
    work = Work()
    application.add_account(
        work,
        HASHER,
        username="canbo.a",
        full_name="Nguyễn Văn A",
        role="counter",
        agency="000.00.06.H56",
        department="QLDT",
        password=password,
        now=NOW,
    )
    return work


def sign_in(work, password, now=NOW):
    return application.sign_in(work, HASHER, "canbo.a", password, now, IDLE, LONGEST)


def test_an_account_keeps_only_what_its_role_needs_and_a_hash():
    account = with_counter().accounts.get("canbo.a")
    assert account.agency == "000.00.06.H56" and account.department is None
    assert account.password_hash != "mot-mat-khau-dai"
    assert account.claims() == {"sub": "canbo.a", "agency": "000.00.06.H56", "department": None}


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"username": "A B", "role": "admin"}, "username"),
        ({"username": "canbo.b", "role": "counter"}, "agency"),
        ({"username": "cv.b", "role": "officer"}, "department"),
        ({"username": "x.b", "role": "portal"}, "role"),
    ],
)
def test_details_the_role_needs_are_named_by_field(details, field):
    with pytest.raises(InvalidAccount) as refused:
        application.add_account(
            Work(),
            HASHER,
            full_name="Ai đó",
            agency=None,
            department=None,
            password="mot-mat-khau-dai",
            now=NOW,
            **details,
        )
    assert field in refused.value.fields


def test_a_short_password_and_a_taken_name_are_refused():
    with pytest.raises(InvalidAccount) as short:
        with_counter(password="ngan")
    assert "password" in short.value.fields
    work = with_counter()
    with pytest.raises(AccountExists):
        application.add_account(
            work,
            HASHER,
            username="canbo.a",
            full_name="Người khác",
            role="admin",
            agency=None,
            department=None,
            password="mot-mat-khau-khac",
            now=NOW,
        )


def test_the_fifth_wrong_password_locks_for_fifteen_minutes_then_the_right_one_works():
    work = with_counter()
    refusals = [sign_in(work, "sai").refusal for _ in range(LOCK_AFTER_FAILURES)]
    assert all(isinstance(r, SignInRefused) for r in refusals[:-1])
    assert isinstance(refusals[-1], AccountLocked)
    assert isinstance(sign_in(work, "mot-mat-khau-dai").refusal, AccountLocked)  # even the right password
    just_before = NOW + LOCK_DURATION - timedelta(seconds=1)
    assert isinstance(sign_in(work, "mot-mat-khau-dai", now=just_before).refusal, AccountLocked)
    after = sign_in(work, "mot-mat-khau-dai", now=NOW + LOCK_DURATION)
    assert after.refusal is None and after.account.failed_attempts == 0


def test_a_right_password_resets_the_count():
    work = with_counter()
    for _ in range(LOCK_AFTER_FAILURES - 1):
        sign_in(work, "sai")
    assert sign_in(work, "mot-mat-khau-dai").refusal is None
    assert isinstance(sign_in(work, "sai").refusal, SignInRefused)  # counting starts again


def test_an_unknown_name_and_a_wrong_password_are_refused_alike():
    work = with_counter()
    unknown = application.sign_in(work, HASHER, "khong.co", "x", NOW, IDLE, LONGEST).refusal
    wrong = sign_in(work, "x").refusal
    assert type(unknown) is type(wrong) and unknown.message == wrong.message


def test_a_session_ends_when_idle_expired_signed_out_or_the_account_is_disabled():
    work = with_counter()
    key = sign_in(work, "mot-mat-khau-dai").key
    assert application.signed_in(work, key, NOW + timedelta(minutes=30), IDLE).username == "canbo.a"
    # used at 08:30, so still alive at 09:29, and gone after an hour without use
    assert application.signed_in(work, key, NOW + timedelta(minutes=89), IDLE) is not None
    assert application.signed_in(work, key, NOW + timedelta(minutes=89 + 60), IDLE) is None
    key = sign_in(work, "mot-mat-khau-dai").key
    assert application.signed_in(work, key, NOW + LONGEST, timedelta(days=1)) is None  # however busy
    key = sign_in(work, "mot-mat-khau-dai").key
    application.sign_out(work, key)
    assert application.signed_in(work, key, NOW, IDLE) is None
    key = sign_in(work, "mot-mat-khau-dai").key
    application.set_active(work, "canbo.a", False)
    assert application.signed_in(work, key, NOW, IDLE) is None
    assert isinstance(sign_in(work, "mot-mat-khau-dai").refusal, SignInRefused)


def test_a_new_password_signs_every_browser_out():
    work = with_counter()
    key = sign_in(work, "mot-mat-khau-dai").key
    application.set_password(work, HASHER, "canbo.a", "mat-khau-moi-dai")
    assert application.signed_in(work, key, NOW, IDLE) is None
    assert sign_in(work, "mat-khau-moi-dai").refusal is None


def test_only_the_hash_of_a_session_key_is_kept():
    work = with_counter()
    key = sign_in(work, "mot-mat-khau-dai").key
    assert key not in work.sessions.items and application.session_hash(key) in work.sessions.items
