"""Writes for the freee connection: credentials, connect (redirect or pasted code), disconnect."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit
from core.errors import ApplicationError
from core.retry import RetryLater
from integrations.freee import messages, oauth, tokens
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError, Permanent, ReauthorizationRequired, Transient
from integrations.models import FreeeConnection
from tenancy.models import Tenant

STATE_LIFETIME = timedelta(minutes=10)
SETTINGS_AUDITED = ["client_id", "client_secret", "invoice_numbering", "daily_cap"]


NOT_CONNECTED = gettext_lazy("freeeと接続されていません。管理者設定 > 外部サービス連携 > 会計freee から接続してください。")


def connection_for(*, tenant: Tenant, message: str | None = None) -> FreeeConnection:
    """The tenant's connected freee connection, or an ApplicationError saying how to connect.

    Every feature that calls freee starts here; `message` replaces the default explanation where the
    feature has a more precise one (e.g. what to do after connecting).
    """
    connection = FreeeConnection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_connected:
        raise ApplicationError(message or str(NOT_CONNECTED), code="freee_not_connected")
    return connection


def connection_get_or_create(*, tenant: Tenant) -> FreeeConnection:
    connection, _ = FreeeConnection.objects.get_or_create(tenant=tenant)
    return connection


@dataclass(frozen=True)
class SettingsSaved:
    """What saving the settings did: `disconnected` when a different app's client ID cleared the tokens."""

    connection: FreeeConnection
    disconnected: bool


def client_change_disconnects(connection: FreeeConnection, client_id: str) -> bool:
    """Saving this client ID would end the current connection (the tokens belong to the other app)."""
    return bool(connection.client_id and client_id != connection.client_id and connection.access_token)


def connection_save_settings(*, connection: FreeeConnection, actor, client_id: str, client_secret: str | None,
                             invoice_numbering: str, daily_cap: int) -> SettingsSaved:
    """Save the app credentials and options. A different app (client ID) invalidates the tokens: the result says
    so, and the audit entry records the lost connection, so the screen can tell the admin to reconnect."""
    before = audit.snapshot(connection, SETTINGS_AUDITED)
    disconnected = client_change_disconnects(connection, client_id)
    was_status = connection.get_status_display()
    if disconnected:
        _clear_tokens(connection)
    connection.client_id = client_id
    if client_secret:
        connection.client_secret = client_secret
    connection.invoice_numbering = invoice_numbering
    connection.daily_cap = daily_cap
    with transaction.atomic():
        connection.save()
        changes = audit.changes_between(before, audit.snapshot(connection, SETTINGS_AUDITED))
        if disconnected:
            changes["status"] = [str(was_status), str(connection.get_status_display())]
        audit.audit_record(tenant=connection.tenant, actor=actor, action="freee.client_update", target=connection,
                           changes=changes)
    return SettingsSaved(connection, disconnected)


def connection_begin_authorize(*, connection: FreeeConnection, redirect_uri: str) -> str:
    """Store a fresh `state` and return freee's authorize URL (prompt=select_company)."""
    _require_credentials(connection)
    connection.oauth_state = secrets.token_urlsafe(32)
    connection.oauth_state_expires_at = timezone.now() + STATE_LIFETIME
    connection.save(update_fields=["oauth_state", "oauth_state_expires_at", "updated_at"])
    return oauth.authorization_url(client_id=connection.client_id, redirect_uri=redirect_uri,
                                   state=connection.oauth_state)


def oob_authorize_url(*, connection: FreeeConnection) -> str:
    """The authorize URL for the paste-the-code flow (freee shows the code on screen)."""
    _require_credentials(connection)
    return oauth.authorization_url(client_id=connection.client_id, redirect_uri=oauth.OOB_REDIRECT_URI,
                                   state=secrets.token_urlsafe(16))


def connection_complete(*, connection: FreeeConnection, code: str, redirect_uri: str,
                        state: str | None = None, actor=None) -> FreeeConnection:
    """Exchange the code for tokens. The redirect flow must present the `state` we issued, unexpired."""
    if redirect_uri != oauth.OOB_REDIRECT_URI:
        _check_state(connection, state)
    _require_credentials(connection)
    try:
        token_set = oauth.exchange_code(connection, code=code.strip(), redirect_uri=redirect_uri)
    except FreeeError as error:
        connection.last_error = messages.connect_error(error)
        connection.save(update_fields=["last_error", "updated_at"])
        raise ApplicationError(connection.last_error, code="freee_connect_failed") from error
    with transaction.atomic():
        tokens.connection_store_tokens(connection=connection, tokens=token_set)
        connection.oauth_state, connection.last_error = "", ""
        connection.save(update_fields=["oauth_state", "last_error", "updated_at"])
        audit.audit_record(tenant=connection.tenant, actor=actor, action="freee.connect", target=connection,
                           changes={"company_id": [None, connection.company_id]})
    connection_refresh_company(connection=connection)
    return connection


def connection_refresh_company(*, connection: FreeeConnection) -> None:
    """Fetch the connected company's name; a failure here does not undo the connection."""
    try:
        company = FreeeClient(connection).company_show()
    except FreeeError as error:
        connection.last_error = messages.call_error(error)
        connection.save(update_fields=["last_error", "updated_at"])
        return
    connection.company_name = company.display_name or company.name or ""
    connection.save(update_fields=["company_name", "updated_at"])


def connection_tokens_refresh(*, connection: FreeeConnection) -> None:
    """Rotate the connection's token pair now (kept alive while idle, well before freee's 90-day expiry).

    invalid_grant is recorded by the token service (the connection needs re-authorisation) and is final;
    a transient failure raises RetryLater for the task.
    """
    try:
        tokens.access_token_for(connection, force_refresh=True)
    except ReauthorizationRequired:
        return
    except Transient as error:
        raise RetryLater(60, str(error)) from error


def connection_check(*, connection: FreeeConnection) -> list[str]:
    """Call freee会計 and freee請求書 once each; return what failed (empty when both work).

    The freee請求書 call is what fails when the app's creator is not a freee請求書 member (seed 000).
    """
    problems = []
    client = FreeeClient(connection)
    for call, invoice in ((client.company_show, False), (client.invoice_templates_list, True)):
        try:
            call()
        except FreeeError as error:
            problems.append(messages.call_error(error, invoice=invoice))
    return problems


def connection_disconnect(*, connection: FreeeConnection, actor) -> None:
    """Delete the tokens; the app credentials stay so the admin can connect again."""
    company_id = connection.company_id
    with transaction.atomic():
        _clear_tokens(connection)
        audit.audit_record(tenant=connection.tenant, actor=actor, action="freee.disconnect", target=connection,
                           changes={"company_id": [company_id, None]})


def connection_revoke(*, connection: FreeeConnection) -> None:
    """Revoke the connection's tokens at freee (refresh token first: freee drops its access token with it), then
    forget them here. A Transient error (freee unreachable) propagates: the caller retries later; a Permanent
    one (the tokens were already dead, the app was deleted) leaves nothing at freee to revoke."""
    for token in (connection.refresh_token, connection.access_token):
        if not token:
            continue
        try:
            oauth.revoke(connection, token=token)
        except Permanent:
            break
    _clear_tokens(connection)


def _clear_tokens(connection: FreeeConnection) -> None:
    connection.access_token = connection.refresh_token = ""
    connection.access_expires_at = connection.refresh_issued_at = None
    connection.company_id, connection.company_name = None, ""
    connection.status = FreeeConnection.Status.NOT_CONNECTED
    connection.save()


def _check_state(connection: FreeeConnection, state: str | None) -> None:
    expired = connection.oauth_state_expires_at is None or connection.oauth_state_expires_at < timezone.now()
    if not state or not connection.oauth_state or expired or not secrets.compare_digest(state, connection.oauth_state):
        raise ApplicationError(_("freeeからの応答を確認できませんでした（stateが一致しないか期限切れです）。"
                                 "もう一度「freeeと接続」から操作してください。"), code="oauth_state")


def _require_credentials(connection: FreeeConnection) -> None:
    if not connection.has_credentials:
        raise ApplicationError(_("先に Client ID と Client Secret を登録してください。"), code="freee_credentials")
