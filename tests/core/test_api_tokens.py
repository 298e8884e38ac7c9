"""API tokens: several per user, listed and revoked through the API, optional expiry, lockout at the token
endpoint (issue 14 item 26)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from tests.factories import PASSWORD, api_token_key

pytestmark = pytest.mark.django_db


def _obtain(username="member_A", password=PASSWORD, **extra):
    return APIClient().post(reverse("api:token"), {"username": username, "password": password, **extra},
                            format="json")


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_each_login_issues_a_new_named_token_and_only_its_hash_is_stored(world_a):
    first = _obtain(name="経理スクリプト").json()
    second = _obtain().json()
    assert first["token"] != second["token"] and first["name"] == "経理スクリプト"
    assert first["expires_at"] is None  # API_TOKEN_TTL_DAYS is empty by default
    stored = ApiToken.objects.filter(user=world_a.member)
    assert stored.count() == 2
    assert not stored.filter(key_hash=first["token"]).exists() and stored.get(prefix=first["token"][:8])


def test_a_user_lists_their_own_tokens_without_keys(world_a):
    key = api_token_key(world_a.member, name="一つ目")
    api_token_key(world_a.member, name="二つ目")
    api_token_key(world_a.admin, name="他人のトークン")
    response = _client(key).get(reverse("api:token-list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["name"] for r in rows] == ["二つ目", "一つ目"]
    assert key not in response.content.decode()
    assert {r["name"]: r["current"] for r in rows} == {"一つ目": True, "二つ目": False}
    assert rows[1]["last_used_at"] is not None and set(rows[1]) == {
        "id", "name", "prefix", "created_at", "last_used_at", "expires_at", "expired", "current"}


def test_revoking_a_token_by_id_takes_effect_on_the_next_request(world_a):
    keep, revoked = api_token_key(world_a.member), api_token_key(world_a.member)
    victim = ApiToken.objects.get(prefix=revoked[:8])
    assert _client(revoked).get(reverse("api:me")).status_code == 200
    response = _client(keep).delete(reverse("api:token-detail", args=[victim.public_id]))
    assert response.status_code == 204
    refused = _client(revoked).get(reverse("api:me"))
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "APIトークンが無効です。取り消されたか、存在しないトークンです。"
    assert _client(keep).get(reverse("api:me")).status_code == 200


def test_delete_on_the_token_endpoint_revokes_the_token_used(world_a):
    key = api_token_key(world_a.member)
    client = _client(key)
    assert client.delete(reverse("api:token")).status_code == 204
    assert client.get(reverse("api:me")).status_code == 401
    assert not ApiToken.objects.filter(user=world_a.member).exists()


def test_delete_on_the_token_endpoint_with_a_session_says_there_is_no_token_to_revoke(world_a):
    api_token_key(world_a.member)
    response = world_a.client().delete(reverse("api:token"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    assert ApiToken.objects.filter(user=world_a.member).count() == 1


def test_another_users_token_is_a_404_and_survives(world_a, world_b):
    foreign = ApiToken.objects.get(prefix=api_token_key(world_b.member)[:8])
    client = _client(api_token_key(world_a.member))
    url = reverse("api:token-detail", args=[foreign.public_id])
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
    assert ApiToken.objects.filter(pk=foreign.pk).exists()
    colleague = ApiToken.objects.get(prefix=api_token_key(world_a.admin)[:8])  # same tenant, another user
    assert client.delete(reverse("api:token-detail", args=[colleague.public_id])).status_code == 404


def test_an_expired_token_is_refused_with_its_own_message(world_a):
    key = api_token_key(world_a.member, expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(prefix=key[:8]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _client(key).get(reverse("api:me"))
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "token_expired", "details": {},
                                        "message": "APIトークンの有効期限が切れています。新しいトークンを発行してください。"}


def test_a_requested_expiry_is_kept_and_must_be_in_the_future(world_a):
    wanted = timezone.now() + timedelta(days=7)
    body = _obtain(expires_at=wanted.isoformat()).json()
    assert ApiToken.objects.get(prefix=body["token"][:8]).expires_at == wanted
    past = _obtain(expires_at=(timezone.now() - timedelta(minutes=1)).isoformat())
    assert past.status_code == 400 and "expires_at" in past.json()["error"]["details"]


def test_api_token_ttl_days_sets_the_default_expiry_and_the_longest_allowed(world_a, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    body = _obtain().json()
    expires = ApiToken.objects.get(prefix=body["token"][:8]).expires_at
    assert timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)
    too_long = _obtain(expires_at=(timezone.now() + timedelta(days=31)).isoformat())
    assert too_long.status_code == 400
    assert "30日以内" in too_long.json()["error"]["message"]


def test_a_locked_out_user_is_told_so_at_the_token_endpoint_not_that_the_password_is_wrong(world_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        wrong = _obtain(password="nope")
        assert wrong.status_code == 400
        assert wrong.json()["error"]["details"]["non_field_errors"] == ["ユーザー名またはパスワードが正しくありません。"]
    locking = _obtain(password="nope")  # the failure that reaches the limit
    assert locking.status_code == 429 and locking.json()["error"]["code"] == "locked_out"
    locked = _obtain()  # even the right password, while locked out
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert error["code"] == "locked_out" and "一時的に制限" in error["message"] and "分後" in error["message"]
    assert not ApiToken.objects.filter(user=world_a.member).exists()


def test_the_token_routes_are_in_the_openapi_schema(client):
    paths = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert {"post", "delete"} <= set(paths["/api/v1/auth/token/"])
    assert "get" in paths["/api/v1/auth/tokens/"]
    assert {"get", "delete"} <= set(paths["/api/v1/auth/tokens/{public_id}/"])
