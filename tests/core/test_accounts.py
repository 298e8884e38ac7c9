"""Login, logout, lockout after repeated failures, and the Japanese/English UI."""

from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


def _login(client: Client, password: str):
    return client.post(reverse("login"), {"username": "member_A", "password": password}, REMOTE_ADDR="10.0.0.1")


def test_login_lands_on_the_japanese_deal_list(world_a):
    client = Client()
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert "案件一覧" in page and '<html lang="ja">' in page


def test_wrong_password_says_why_in_japanese(world_a):
    response = _login(Client(), "wrong-password")
    assert response.status_code == 200
    assert "ユーザー名またはパスワードが正しくありません" in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(world_a, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password")
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert "ログインが制限されています" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post(world_a):
    client = world_a.client()
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("deals:list")).status_code == 302


def test_the_base_layout_has_the_five_sections_and_local_assets_only(world_a):
    page = world_a.client("admin").get(reverse("deals:list")).content.decode()
    for label in ["案件", "請求書", "仕訳・連携", "支払依頼", "設定"]:
        assert label in page
    assert "htmx" in page and "https://" not in page and "http://" not in page


def test_htmx_is_served_by_the_app(world_a, client):
    page = world_a.client().get(reverse("deals:list")).content.decode()
    import re

    src = re.search(r'<script src="([^"]*htmx[^"]*)"', page).group(1)
    assert client.get(src).status_code == 200


def test_django_admin_is_enabled_for_staff(world_a):
    world_a.admin.is_staff = world_a.admin.is_superuser = True
    world_a.admin.save()
    assert world_a.client("admin").get("/admin/").status_code == 200
    assert world_a.client("member").get("/admin/").status_code == 302
