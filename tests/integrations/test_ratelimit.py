"""The shared rate limiter on the real test Redis, with a controllable clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from integrations.freee.base import Family
from integrations.freee.ratelimit import RateLimiter, parse_reset
from tests.conftest import worker_redis_url


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):  # on a minute boundary
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limiter_for(settings):
    import redis

    client = redis.Redis.from_url(worker_redis_url())
    client.flushdb()

    def make(family=Family.INVOICE, daily_cap=3000, clock=None, connection_id=1):
        return RateLimiter(connection_id=connection_id, family=family, daily_cap=daily_cap,
                           clock=clock or Clock(), client=client)

    return make


def test_thirty_invoice_calls_a_minute_then_wait_for_the_next_minute(limiter_for):
    clock = Clock(1_800_000_010.0)
    limiter = limiter_for(clock=clock)
    assert all(limiter.reserve() == 0 for _ in range(30))
    assert limiter.reserve() == pytest.approx(50.0)
    clock.now += 50
    assert limiter.reserve() == 0


def test_the_budget_is_shared_by_every_limiter_of_the_connection(limiter_for):
    clock = Clock()
    first, second = limiter_for(clock=clock), limiter_for(clock=clock)
    for _ in range(15):
        first.reserve(), second.reserve()
    assert first.reserve() > 0 and second.reserve() > 0


def test_connections_have_separate_budgets(limiter_for):
    clock = Clock()
    busy = limiter_for(clock=clock, connection_id=1)
    for _ in range(30):
        busy.reserve()
    assert limiter_for(clock=clock, connection_id=2).reserve() == 0


def _jst(moment: str) -> float:
    return datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()


def test_the_daily_cap_applies_to_accounting_calls_until_midnight_japan_time(limiter_for):
    clock = Clock(_jst("2027-01-15T10:00:00"))
    limiter = limiter_for(family=Family.ACCOUNTING, daily_cap=3, clock=clock)
    assert [limiter.reserve() for _ in range(3)] == [0, 0, 0]
    assert limiter.reserve() == pytest.approx(14 * 3600)


@pytest.mark.parametrize("family", [Family.ACCOUNTING, Family.INVOICE])
def test_a_new_day_starts_at_midnight_japan_time(limiter_for, family):
    clock = Clock(_jst("2027-01-15T23:59:00"))  # 14:59 UTC
    limiter = limiter_for(family=family, daily_cap=1, clock=clock)
    assert limiter.reserve() == 0
    assert limiter.reserve() == pytest.approx(60.0)
    clock.now = _jst("2027-01-16T00:01:00")  # 15:01 UTC, the same UTC day, but a new day for freee
    assert limiter.reserve() == 0


def test_midnight_utc_does_not_renew_the_daily_cap(limiter_for):
    clock = Clock(_jst("2027-01-16T08:59:00"))  # 23:59 UTC
    limiter = limiter_for(family=Family.ACCOUNTING, daily_cap=1, clock=clock)
    assert limiter.reserve() == 0
    clock.now = _jst("2027-01-16T09:01:00")  # 00:01 UTC: still the same day for freee
    assert limiter.reserve() == pytest.approx(15 * 3600 - 60)


def test_hourly_limit_of_1500(limiter_for):
    clock = Clock()
    limiter = limiter_for(clock=clock)
    for minute in range(50):
        clock.now = 1_800_000_000.0 + minute * 60
        for _ in range(30):
            assert limiter.reserve() == 0
    clock.now = 1_800_000_000.0 + 50 * 60
    assert limiter.reserve() == pytest.approx(600.0)


def test_headers_with_nothing_remaining_block_until_reset(limiter_for):
    clock = Clock()
    limiter = limiter_for(clock=clock)
    limiter.observe({"X-Ratelimit-Remaining-Minute": "0", "X-Ratelimit-Reset-Minute": "2027-01-15T08:00:30+00:00"})
    reset = parse_reset("2027-01-15T08:00:30+00:00", 0)
    clock.now = reset - 20
    assert limiter.reserve() == pytest.approx(20.0)


def test_a_block_from_a_lockout_is_honoured(limiter_for):
    clock = Clock()
    limiter = limiter_for(clock=clock)
    limiter.block_until(clock.now + 600)
    assert limiter.reserve() == pytest.approx(600.0)
    clock.now += 600
    assert limiter.reserve() == 0


def test_reset_values_in_several_formats():
    assert parse_reset("2026-01-01T00:00:00Z", 0) == 1767225600.0
    assert parse_reset("30", 100.0) == 130.0
    assert parse_reset("nonsense", 0) is None


def test_settings_point_to_the_test_redis():
    assert settings.REDIS_URL.startswith("redis://127.0.0.1:")
