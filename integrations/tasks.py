"""Token upkeep tasks. Thin: load by id, call the token service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from core.retry import RetryLater, retry_later
from integrations.freee import services
from integrations.models import FreeeConnection

IDLE_REFRESH_AFTER = timedelta(days=30)  # well before freee's 90-day refresh-token expiry
SPREAD_MINUTES = 60


@shared_task(name="integrations.freee_refresh_idle_connections")
def freee_refresh_idle_connections() -> int:
    """Queue a refresh for every connected connection whose refresh token is older than 30 days, spread over
    the next hour (a stable minute per connection) rather than all in the same second."""
    cutoff = timezone.now() - IDLE_REFRESH_AFTER
    ids = list(FreeeConnection.objects.filter(status=FreeeConnection.Status.CONNECTED,
                                              refresh_issued_at__lt=cutoff).values_list("pk", flat=True))
    for connection_id in ids:
        freee_connection_refresh.apply_async((connection_id,), countdown=(connection_id % SPREAD_MINUTES) * 60)
    return len(ids)


@shared_task(name="integrations.freee_connection_refresh", bind=True, max_retries=5)
def freee_connection_refresh(self, connection_id: int) -> None:
    """Refresh one connection's tokens; invalid_grant is recorded by the service and not retried."""
    connection = FreeeConnection.objects.get(pk=connection_id)
    try:
        services.connection_tokens_refresh(connection=connection)
    except RetryLater as later:
        # freee's token endpoint is down for a while: back off from a minute; the next idle sweep tries again.
        retry_later(self, later, backoff_base=60)
