"""freee rate limits as shared state in Redis, so every web process and worker spends one budget.

Per connection and API family: freee請求書 allows 30 calls/min and 1,500/h; both families have the plan's
daily cap, which resets at midnight Japan time (as freee's does). freee's own X-RateLimit-* headers and
429 / 403 lock-out answers block the family until reset.
`reserve()` either takes one call from every window (returns 0) or takes nothing and returns how many
seconds to wait; the caller sleeps (a page, briefly) or reschedules (a task).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import redis
from django.conf import settings

from integrations.freee.base import Family

# Take one unit from every window atomically, or none: KEYS = window keys, ARGV = limit, ttl pairs.
_RESERVE = """
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used >= tonumber(ARGV[2 * i - 1]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[2 * i])
end
return 0
"""


JST_OFFSET = 9 * 3600  # Asia/Tokyo is UTC+9 all year (no daylight saving)


@dataclass(frozen=True)
class Window:
    """A fixed counting window; `offset` shifts its boundaries from UTC (the day starts at 00:00 JST)."""

    name: str
    seconds: int
    limit: int
    offset: int = 0

    def start(self, now: float) -> int:
        """The epoch second the window containing `now` began."""
        return int((now + self.offset) // self.seconds * self.seconds - self.offset)


def windows_for(family: Family, daily_cap: int) -> list[Window]:
    day = Window("day", 86400, daily_cap, offset=JST_OFFSET)
    if family == Family.INVOICE:
        return [Window("minute", 60, 30), Window("hour", 3600, 1500), day]
    return [day]


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


class RateLimiter:
    """The budget of one (connection, family). `clock` is injectable so tests can move time."""

    def __init__(self, *, connection_id: int, family: Family, daily_cap: int,
                 clock: Callable[[], float] = time.time, client: redis.Redis | None = None):
        self.prefix = f"freee:rl:{connection_id}:{family.value}"
        self.windows = windows_for(family, daily_cap)
        self.clock = clock
        self.redis = client or _redis(settings.REDIS_URL)

    def reserve(self) -> float:
        """Take one call from the budget; 0 when granted, else the seconds until a call may go."""
        if not settings.FREEE_CLIENT_RATE_LIMIT:
            return 0.0
        now = self.clock()
        blocked = self._blocked_for(now)
        if blocked > 0:
            return blocked
        keys = [f"{self.prefix}:{w.name}:{w.start(now)}" for w in self.windows]
        args = [str(x) for w in self.windows for x in (w.limit, w.seconds + 5)]
        full = int(self.redis.eval(_RESERVE, len(keys), *keys, *args))
        if full == 0:
            return 0.0
        window = self.windows[full - 1]
        return window.start(now) + window.seconds - now

    def block_until(self, until_epoch: float) -> None:
        """freee said stop (429, lock-out, or no calls remaining): nobody calls until then."""
        ttl = max(1, int(until_epoch - self.clock()) + 1)
        current = float(self.redis.get(f"{self.prefix}:blocked") or 0)
        if until_epoch > current:
            self.redis.set(f"{self.prefix}:blocked", until_epoch, ex=ttl)

    def observe(self, headers) -> None:
        """Honour freee's X-RateLimit-* headers: a window with nothing remaining blocks until its reset."""
        for remaining, reset in (("X-Ratelimit-Remaining-Minute", "X-Ratelimit-Reset-Minute"),
                                 ("X-RateLimit-Remaining", "X-RateLimit-Reset"),
                                 ("X-RateLimit-Remaining-Day", "X-RateLimit-Reset-Day")):
            if headers.get(remaining) == "0" and headers.get(reset):
                until = parse_reset(headers[reset], self.clock())
                if until:
                    self.block_until(until)

    def _blocked_for(self, now: float) -> float:
        until = float(self.redis.get(f"{self.prefix}:blocked") or 0)
        return max(0.0, until - now)


def parse_reset(value: str, now: float) -> float | None:
    """freee sends resets as ISO-8601 times; seconds-from-now and epoch numbers are accepted too."""
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number > 1e9 else now + number
