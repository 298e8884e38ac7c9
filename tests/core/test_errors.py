"""Japanese error pages, and the one API error body for the same failures under /api/."""

import pytest
from django.test import Client


def test_unknown_page_is_a_japanese_404(world_a):
    response = world_a.client().get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_unknown_api_path_answers_the_error_body(world_a):
    response = world_a.client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.urls("tests.core.urls_boom")
def test_server_error_is_a_japanese_page_and_api_error_body(world_a):
    client = world_a.client()
    client.raise_request_exception = False
    page = client.get("/boom/")
    assert page.status_code == 500 and "サーバーでエラーが発生しました" in page.content.decode()
    api = client.get("/api/boom/")
    assert api.status_code == 500 and api.json()["error"]["code"] == "server_error"


def test_csrf_failure_is_a_japanese_page_and_saves_nothing(world_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world_a.admin)
    response = client.post("/settings/", {"name": "変更"})
    assert response.status_code == 403 and "CSRF" in response.content.decode()
    world_a.tenant.refresh_from_db()
    assert world_a.tenant.name != "変更"


def test_api_csrf_failure_uses_the_error_body(world_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world_a.member)
    response = client.post("/api/v1/deals/", {}, content_type="application/json")
    assert response.status_code == 403
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_malformed_json_is_a_parse_error(world_a):
    response = world_a.client().post("/api/v1/deals/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_the_health_check_touches_the_database_once_even_with_a_session(world_a, django_assert_num_queries):
    """Only its own SELECT 1: no session or membership lookup that would turn an outage into a 500."""
    client = world_a.client()
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
