"""freee's token revoke endpoint (POST /public_api/revoke, RFC 7009): the client, and the sandbox's fake of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from django.test import Client
from django.utils import timezone

from integrations.freee import oauth
from integrations.freee import services as freee_services
from integrations.freee.errors import Permanent, Transient
from integrations.models import ApiCallLog, FreeeConnection
from integrations.sandbox.models import SandboxToken
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create, sandbox_tokens_issue

pytestmark = pytest.mark.django_db
REVOKE = "http://freee.test/public_api/revoke"


@pytest.fixture
def connection(world_a, settings):
    settings.FREEE_ACCOUNTS_URL = "http://freee.test"
    return FreeeConnection.objects.create(
        tenant=world_a.tenant,
        client_id="cid",
        client_secret="csecret",
        access_token="a-tok",
        refresh_token="r-tok",
        access_expires_at=timezone.now() + timedelta(hours=1),
        status=FreeeConnection.Status.CONNECTED,
    )


@responses.activate(assert_all_requests_are_fired=True)
def test_revoke_posts_the_token_with_the_client_credentials_and_logs_no_secret(connection):
    responses.add(
        responses.POST,
        REVOKE,
        json={},
        match=[
            responses.matchers.urlencoded_params_matcher(
                {"client_id": "cid", "client_secret": "csecret", "token": "r-tok"}
            )
        ],
    )
    oauth.revoke(connection, token="r-tok")
    log = ApiCallLog.objects.get(tenant=connection.tenant)
    assert log.path == "/public_api/revoke" and log.status_code == 200
    assert "r-tok" not in log.error_message and "csecret" not in log.error_message


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            {
                "status": 401,
                "json": {"error": "invalid_client", "error_description": "クライアント認証に失敗しました。"},
            },
            Permanent,
        ),
        ({"status": 503, "body": "unavailable"}, Transient),
        ({"body": requests.ConnectTimeout("slow")}, Transient),
    ],
)
@responses.activate
def test_revoke_errors_are_mapped(connection, answer, error):
    responses.add(responses.POST, REVOKE, **answer)
    with pytest.raises(error):
        oauth.revoke(connection, token="r-tok")


@responses.activate(assert_all_requests_are_fired=True)
def test_connection_revoke_stops_at_a_permanent_answer_and_forgets_the_tokens(connection):
    responses.add(responses.POST, REVOKE, status=401, json={"error": "invalid_client"})
    freee_services.connection_revoke(connection=connection)
    connection.refresh_from_db()
    assert connection.refresh_token == "" and connection.status == FreeeConnection.Status.NOT_CONNECTED


def test_the_sandbox_revokes_a_refresh_token_with_its_access_tokens(world_a):
    app = sandbox_app_create(tenant=world_a.tenant, name="アプリ")
    company = sandbox_company_create(app=app, name="会社")
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    url = "/sandbox/freee/public_api/revoke"
    assert (
        Client().post(url, {"client_id": app.client_id, "client_secret": "wrong", "token": refresh.token}).status_code
        == 401
    )
    answer = Client().post(
        url, {"client_id": app.client_id, "client_secret": app.client_secret, "token": refresh.token}
    )
    assert answer.status_code == 200 and answer.json() == {}
    assert set(SandboxToken.objects.filter(pk__in=[access.pk, refresh.pk]).values_list("revoked", flat=True)) == {True}
    assert (
        Client()
        .post(url, {"client_id": app.client_id, "client_secret": app.client_secret, "token": "unknown"})
        .status_code
        == 200
    )
    api = Client().get("/sandbox/freee/api/1/users/me", HTTP_AUTHORIZATION=f"Bearer {access.token}")
    assert api.status_code == 401
