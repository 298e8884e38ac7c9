"""アカウント設定: name and language (also the language of the user's mail), and the user's API tokens, listed and
revocable (the next request with a revoked token is refused; another user's token is a 404)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import UserProfile
from core.models import ApiToken
from tests.factories import api_token_key

pytestmark = pytest.mark.django_db


def test_the_profile_saves_name_and_language_and_switches_the_ui(world_a):
    client = world_a.client()
    response = client.post(reverse("accounts:profile"), {"name": "佐藤 一郎", "language": "en"})
    assert response.status_code == 302
    world_a.member.refresh_from_db()
    assert world_a.member.first_name == "佐藤 一郎"
    assert UserProfile.objects.get(user=world_a.member).language == "en"
    assert '<html lang="en">' in client.get(reverse("accounts:profile")).content.decode()


def test_a_bad_language_is_a_form_error(world_a):
    response = world_a.client().post(reverse("accounts:profile"), {"name": "x", "language": "xx"})
    assert response.status_code == 400


def test_tokens_are_listed_and_a_revoked_token_is_refused_on_the_next_request(world_a):
    key = api_token_key(world_a.member, name="会計スクリプト")
    token = ApiToken.objects.get(prefix=key[:8])
    client = world_a.client()
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "会計スクリプト" in page and key[:8] in page and key not in page
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    assert client.post(reverse("accounts:token_revoke", args=[token.public_id])).status_code == 302

    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_another_users_token_is_a_404_and_stays(world_a):
    key = api_token_key(world_a.admin, name="管理者のトークン")
    token = ApiToken.objects.get(prefix=key[:8])
    assert world_a.client().post(reverse("accounts:token_revoke", args=[token.public_id])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert "管理者のトークン" not in world_a.client().get(reverse("accounts:profile")).content.decode()
