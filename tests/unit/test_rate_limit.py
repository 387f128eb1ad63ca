"""shared.rate_limit: the lookup's and the online submissions' limits."""

from shared.rate_limit import RateLimiter, WindowLimiter


def test_a_client_gets_rate_requests_then_waits_for_the_next_token():
    limiter = RateLimiter(30, per=60)
    assert all(limiter.allow("a", now=0) for _ in range(30))
    assert not limiter.allow("a", now=0) and limiter.retry_after("a", now=0) == 2  # one token every 2 s
    assert limiter.allow("a", now=2) and limiter.retry_after("b", now=2) == 0


def test_rate_limiter_forgets_the_least_recent_client_not_everyone():
    limiter = RateLimiter(1, per=3600, max_clients=3)
    assert limiter.allow("a", now=0) and not limiter.allow("a", now=1)
    assert limiter.allow("b", now=2) and limiter.allow("c", now=3)
    assert not limiter.allow("a", now=4)  # a is now the most recent
    assert limiter.allow("d", now=5)  # the table is full: b goes, not everyone
    assert not limiter.allow("a", now=6) and len(limiter.buckets) == 3 and "b" not in limiter.buckets


def test_five_wrong_id_numbers_lock_a_code_for_the_hour():
    limiter = WindowLimiter(limit=5, window=3600)
    right = limiter.begin("A", now=0)
    limiter.forgive(right)  # a right ID number does not count
    assert all(limiter.begin("A", now=t) for t in range(1, 6))
    assert limiter.begin("A", now=10) is None and limiter.begin("B", now=10)
    assert limiter.retry_after("A", now=10) == 3591
    assert limiter.begin("A", now=3601.5)  # the first wrong one left the window


def test_an_address_gets_limit_submissions_an_hour_and_is_told_when_it_may_again():
    limit = WindowLimiter(limit=2, window=3600)
    assert limit.begin("a", now=0) and limit.begin("a", now=10)
    assert limit.begin("a", now=20) is None
    assert limit.retry_after("a", now=20) == 3580
    assert limit.begin("b", now=20)  # another address has its own
    assert limit.begin("a", now=3600.5)  # the first one has left the hour
    assert limit.retry_after("b", now=30) == 0


def test_window_limiter_stays_bounded_forgetting_the_least_recent_first():
    limiter = WindowLimiter(limit=5, window=3600, max_keys=100)
    for i in range(1000):
        limiter.begin(f"code-{i}", now=i)
    assert len(limiter.attempts) == 100 and "code-999" in limiter.attempts and "code-0" not in limiter.attempts
