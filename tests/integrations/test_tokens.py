"""Token lifecycle with `responses`: refresh ahead of expiry, single-use refresh tokens, invalid_grant."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.freee import tokens
from integrations.freee.errors import ReauthorizationRequired
from integrations.models import ApiCallLog, FreeeConnection, IntegrationEvent
from tests.integrations.conftest import TOKEN_URL, token_body

INVALID_GRANT = {"error": "invalid_grant", "error_description": "指定された認可グラントは不正か、有効期限切れです。"}


@responses.activate(assert_all_requests_are_fired=True)
def test_a_fresh_token_is_used_without_refreshing(connection):
    assert tokens.access_token_for(connection) == "access-1"


@responses.activate(assert_all_requests_are_fired=True)
def test_a_token_about_to_expire_is_refreshed_ahead_and_the_new_pair_saved(connection):
    FreeeConnection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() + timedelta(minutes=5))
    connection.refresh_from_db()
    call = responses.post(TOKEN_URL, json=token_body(2))
    assert tokens.access_token_for(connection) == "access-2"
    stored = FreeeConnection.objects.get(pk=connection.pk)
    assert (stored.access_token, stored.refresh_token) == ("access-2", "refresh-2")
    body = call.calls[0].request.body
    assert "grant_type=refresh_token" in body and "refresh_token=refresh-1" in body


@responses.activate(assert_all_requests_are_fired=True)
def test_tokens_are_encrypted_at_rest(connection):
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token, client_secret FROM integrations_freeeconnection "
                       "WHERE id = %s", [connection.pk])
        row = cursor.fetchone()
    assert "access-1" not in row[0] and "refresh-1" not in row[1] and "csecret" not in row[2]


@responses.activate(assert_all_requests_are_fired=True)
def test_invalid_grant_marks_reauth_records_one_event_and_stops(connection):
    responses.post(TOKEN_URL, status=401, json=INVALID_GRANT)
    with pytest.raises(ReauthorizationRequired):
        tokens.access_token_for(connection, force_refresh=True)
    connection.refresh_from_db()
    assert connection.status == FreeeConnection.Status.NEEDS_REAUTH and connection.access_token == ""
    assert IntegrationEvent.objects.filter(tenant=connection.tenant).count() == 1
    with pytest.raises(ReauthorizationRequired):  # no second call to freee: responses would fail otherwise
        tokens.access_token_for(connection, force_refresh=True)


@responses.activate(assert_all_requests_are_fired=True)
def test_a_token_refreshed_by_another_worker_is_reused(connection):
    stale = connection.access_token
    FreeeConnection.objects.filter(pk=connection.pk).update(access_token="access-by-other-worker")
    assert tokens.connection_refresh(connection=connection, stale_access_token=stale) == "access-by-other-worker"


@responses.activate(assert_all_requests_are_fired=True)
def test_token_calls_are_logged_without_secrets(connection):
    responses.post(TOKEN_URL, json=token_body(2))
    tokens.access_token_for(connection, force_refresh=True)
    log = ApiCallLog.objects.get(tenant=connection.tenant)
    assert log.status_code == 200 and "refresh_token" in log.path
    text = " ".join(str(v) for v in log.__dict__.values())
    assert "refresh-1" not in text and "csecret" not in text and "access-2" not in text


@responses.activate(assert_all_requests_are_fired=True)
def test_a_malformed_token_answer_keeps_the_old_pair(connection):
    from integrations.freee.errors import MalformedResponse

    responses.post(TOKEN_URL, body="<html>oops</html>", status=200)
    with pytest.raises(MalformedResponse):
        tokens.access_token_for(connection, force_refresh=True)
    connection.refresh_from_db()
    assert connection.refresh_token == "refresh-1" and connection.status == FreeeConnection.Status.CONNECTED
