"""freee's API call limits, counted in Redis (django.core.cache) so every process shares them.

freee請求書: 30/min and 1,500/hour for all plans, plus the daily cap per 事業所×アプリ by plan.
freee会計: the daily cap only (its per-endpoint 429s apply to /reports, which the sandbox does not serve).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone

from integrations.sandbox.models import SandboxCompany

JST = ZoneInfo("Asia/Tokyo")
PER_MINUTE = 30
PER_HOUR = 1500


@dataclass(frozen=True)
class Window:
    """One counting window: its name, limit, and when the current period ends."""

    name: str
    limit: int
    start: datetime
    seconds: int

    @property
    def reset(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Usage:
    """The counted call in each window; `exceeded` names the first window over its limit."""

    counts: dict[str, tuple[Window, int]]

    @property
    def exceeded(self) -> Window | None:
        return next((w for w, count in self.counts.values() if count > w.limit), None)

    def headers(self) -> dict[str, str]:
        """freee請求書's rate-limit headers (reset as ISO-8601 UTC)."""
        names = {"hour": ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"),
                 "minute": ("X-Ratelimit-Limit-Minute", "X-Ratelimit-Remaining-Minute", "X-Ratelimit-Reset-Minute"),
                 "day": ("X-RateLimit-Limit-Day", "X-RateLimit-Remaining-Day", "X-RateLimit-Reset-Day")}
        headers = {}
        for key, (window, count) in self.counts.items():
            limit_name, remaining_name, reset_name = names[key]
            headers[limit_name] = str(window.limit)
            headers[remaining_name] = str(max(0, window.limit - count))
            headers[reset_name] = iso(window.reset)
        return headers


def iso(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def now() -> datetime:
    """The clock of the limiter (tests patch this to stay inside one minute)."""
    return timezone.now()


def _windows(company: SandboxCompany, family: str, moment: datetime) -> list[Window]:
    day_start = moment.astimezone(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    day = Window("day", company.daily_cap, day_start, 86400)
    if family != "invoice":
        return [day]
    minute = Window("minute", PER_MINUTE, moment.replace(second=0, microsecond=0), 60)
    hour = Window("hour", PER_HOUR, moment.replace(minute=0, second=0, microsecond=0), 3600)
    return [minute, hour, day]


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def rate_limit_hit(*, company: SandboxCompany, app_id: int, family: str) -> Usage:
    """Count one call of the app on the company in every window of the API family."""
    moment = now()
    counts = {}
    for window in _windows(company, family, moment):
        key = f"sandbox:rl:{family}:{company.company_id}:{app_id}:{window.name}:{int(window.start.timestamp())}"
        counts[window.name] = (window, _count(key, window.seconds + 60))
    return Usage(counts)
