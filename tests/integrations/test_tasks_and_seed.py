"""Idle-connection refresh (beat task), the demo tenant's sandbox connection, and user-facing messages."""

from datetime import timedelta

import pytest
import responses
from django.core.management import call_command
from django.utils import timezone

from integrations.freee import messages
from integrations.freee.errors import Permanent, RateLimited
from integrations.models import FreeeConnection, LineWorksLink
from integrations.tasks import freee_connection_refresh, freee_refresh_idle_connections
from tests.integrations.conftest import TOKEN_URL, token_body


def test_idle_connections_are_queued_for_refresh_well_before_90_days(connection, monkeypatch):
    queued = []
    monkeypatch.setattr(freee_connection_refresh, "apply_async",  # the queueing, not the refresh
                        lambda args, countdown: queued.append((args, countdown)))
    FreeeConnection.objects.filter(pk=connection.pk).update(refresh_issued_at=timezone.now() - timedelta(days=31))
    assert freee_refresh_idle_connections() == 1
    # spread over the next hour by a stable minute per connection, never all in the same second
    assert queued == [((connection.pk,), (connection.pk % 60) * 60)]
    FreeeConnection.objects.filter(pk=connection.pk).update(refresh_issued_at=timezone.now() - timedelta(days=29))
    assert freee_refresh_idle_connections() == 0
    assert len(queued) == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_the_refresh_task_rotates_the_pair(connection):
    responses.post(TOKEN_URL, json=token_body(7))
    freee_connection_refresh.run(connection.pk)
    connection.refresh_from_db()
    assert (connection.access_token, connection.refresh_token) == ("access-7", "refresh-7")


@responses.activate(assert_all_requests_are_fired=True)
def test_the_refresh_task_stops_on_invalid_grant(connection):
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_grant"})
    freee_connection_refresh.run(connection.pk)
    connection.refresh_from_db()
    assert connection.status == FreeeConnection.Status.NEEDS_REAUTH


def test_the_demo_tenant_is_connected_to_the_sandbox_once(db, settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "logins.txt"
    call_command("seed_demo")
    call_command("seed_demo")
    connection = FreeeConnection.objects.get(tenant__settings__demo=True)
    assert connection.is_connected and connection.company_id and connection.company_name
    assert FreeeConnection.objects.count() == 1
    link = LineWorksLink.objects.get(tenant=connection.tenant)  # and LINE WORKS; employees link themselves
    assert LineWorksLink.objects.count() == 1 and link.bot_id and not link.user_links.exists()


@pytest.mark.parametrize(("error", "invoice", "expected"), [
    (Permanent("x", status=403, messages=["freee請求書の利用権限がありません。"]), True, "freee請求書のメンバー"),
    (Permanent("x", status=400, messages=["請求書番号は自動採番のため指定できません"]), True, "自動採番"),
    (Permanent("x", status=403, messages=["権限がありません"]), False, "[会計] 勘定科目の参照"),
    (RateLimited("x", retry_after=42), False, "42秒"),
])
def test_users_get_japanese_explanations(error, invoice, expected):
    assert expected in messages.call_error(error, invoice=invoice)
