"""The token lifecycle: a fresh access token for every call, refreshed once and never twice.

freee refresh tokens are single-use. Refresh happens under a row lock on the connection; after taking the
lock we re-read, and if another worker already refreshed we use its token. The new pair is committed
before it is used. `invalid_grant` marks the connection as needing re-authorisation, records an event for
the admins, and stops: there is no retry loop.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import events
from integrations.freee import oauth
from integrations.freee.errors import ReauthorizationRequired
from integrations.models import FreeeConnection, IntegrationEvent
from tenancy.models import Membership

REAUTH_MESSAGE = (
    "freeeとの接続が切れました（リフレッシュトークンが無効です）。管理者設定 > 外部サービス連携 > 会計freee から"
    "再接続してください。"
)


def access_token_for(connection: FreeeConnection, *, force_refresh: bool = False) -> str:
    """A usable access token: the stored one while fresh, otherwise a refreshed one."""
    if connection.status == FreeeConnection.Status.NEEDS_REAUTH:
        raise ReauthorizationRequired(REAUTH_MESSAGE, code="needs_reauth")
    if not force_refresh and connection.access_token_fresh(settings.FREEE_REFRESH_MARGIN_SECONDS):
        return connection.access_token
    return connection_refresh(connection=connection, stale_access_token=connection.access_token)


def connection_refresh(*, connection: FreeeConnection, stale_access_token: str) -> str:
    """Refresh under a row lock; return the new access token (or the one another worker just got)."""
    failure: ReauthorizationRequired | None = None
    with transaction.atomic():
        # The HTTP call happens while holding the lock on purpose: it is what makes the single-use
        # refresh token safe across processes. The lock covers this one row and the call has a timeout.
        locked = FreeeConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.status == FreeeConnection.Status.NEEDS_REAUTH:
            raise ReauthorizationRequired(REAUTH_MESSAGE, code="needs_reauth")
        if locked.access_token != stale_access_token and locked.access_token_fresh(60):
            _copy_tokens(locked, connection)
            return locked.access_token
        try:
            tokens = oauth.refresh(locked)
        except ReauthorizationRequired as error:
            connection_mark_needs_reauth(connection=locked, reason=error.message)
            failure = error
        else:
            connection_store_tokens(connection=locked, tokens=tokens)
    _copy_tokens(locked, connection)
    if failure is not None:
        raise ReauthorizationRequired(REAUTH_MESSAGE, code="invalid_grant") from failure
    return connection.access_token


def connection_store_tokens(*, connection: FreeeConnection, tokens: oauth.TokenSet) -> None:
    """Persist a new token pair (the refresh token replaces the spent one)."""
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.access_expires_at = tokens.expires_at
    connection.refresh_issued_at = timezone.now()
    connection.scope = tokens.scope
    connection.status = FreeeConnection.Status.CONNECTED
    connection.reauth_required_at = None
    if tokens.company_id:
        connection.company_id = tokens.company_id
    connection.save()


def connection_mark_needs_reauth(*, connection: FreeeConnection, reason: str) -> None:
    """Stop using the connection and tell the admins (IntegrationEvent for the connection screen, and a
    core event the notifications app delivers), all in one transaction."""
    with transaction.atomic():
        already = connection.status == FreeeConnection.Status.NEEDS_REAUTH
        connection.status = FreeeConnection.Status.NEEDS_REAUTH
        connection.reauth_required_at = timezone.now()
        connection.last_error = REAUTH_MESSAGE
        connection.access_token = ""
        connection.save(update_fields=["status", "reauth_required_at", "last_error", "access_token", "updated_at"])
        if not already:
            IntegrationEvent.objects.create(
                tenant_id=connection.tenant_id, kind=IntegrationEvent.Kind.FREEE_REAUTH_REQUIRED,
                message=REAUTH_MESSAGE, payload={"reason": reason[:500], "company_id": connection.company_id},
            )
            _emit_reauth_required(connection)


def _emit_reauth_required(connection: FreeeConnection) -> None:
    admins = Membership.objects.for_tenant(connection.tenant).filter(role=Membership.Role.ADMIN, is_active=True)
    events.emit(
        tenant=connection.tenant, kind=events.FREEE_REAUTH_REQUIRED,
        recipients=admins.values_list("user_id", flat=True),
        key=f"freee.reauth_required:{connection.pk}:{connection.reauth_required_at.isoformat()}",
        payload={"title": "freeeの再接続が必要です", "text": REAUTH_MESSAGE,
                 "url": reverse("integrations:freee_settings")},
    )


def _copy_tokens(source: FreeeConnection, target: FreeeConnection) -> None:
    for field in ("access_token", "refresh_token", "access_expires_at", "refresh_issued_at", "status",
                  "company_id", "reauth_required_at", "last_error"):
        setattr(target, field, getattr(source, field))
