"""The LINE WORKS call budget of one linked domain, shared by every process in Redis.

LINE WORKS counts calls per domain (its "tenant") and API: 60/min on the free plan, 240/min on paid plans.
It reuses the freee limiter's atomic Redis windows and block-until; only the windows and headers differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings

from integrations.freee.ratelimit import RateLimiter, Window, _redis


class LineWorksRateLimiter(RateLimiter):
    """Budget of one link (domain): `per_minute` calls in each clock minute, plus blocks LINE WORKS orders."""

    def __init__(self, *, link_id: int, per_minute: int, clock: Callable[[], float] = time.time,
                 client: redis.Redis | None = None):
        self.prefix = f"lineworks:rl:{link_id}"
        self.windows = [Window("minute", 60, per_minute)]
        self.clock = clock
        self.redis = client or _redis(settings.REDIS_URL)

    def observe(self, headers) -> None:
        """rateLimit-remaining 0 blocks everyone until rateLimit-reset (seconds from now)."""
        if headers.get("rateLimit-remaining") == "0":
            self.block_until(self.clock() + reset_seconds(headers, default=60))


def reset_seconds(headers, *, default: float) -> float:
    """Seconds to wait from rateLimit-reset or Retry-After (LINE WORKS sends seconds)."""
    for name in ("rateLimit-reset", "Retry-After"):
        value = headers.get(name)
        if value:
            try:
                return max(1.0, float(value))
            except ValueError:
                continue
    return default
