"""Idempotency-Key on every API POST (issue 17 item 6): replay within 24 h, 422 on another body, work done once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import IdempotencyKey
from deals import upsert
from deals.models import Deal
from tests.factories import api_token_key

BULK = "/api/v1/deals/external/bulk/"


def _body(name="一"):
    return {"deals": [{"external_source": "crm", "external_id": "1", "name": name}]}


def _post(client, body, key="key-1", **extra):
    return client.post(BULK, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra)


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_answer_without_doing_the_work_again(world_a, monkeypatch):
    client = world_a.client()
    first = _post(client, _body())
    calls = []
    monkeypatch.setattr(upsert, "deals_upsert", lambda **kw: calls.append(kw) or [])
    second = _post(client, _body())
    assert second.status_code == first.status_code == 200
    assert second.content == first.content and second["Idempotent-Replayed"] == "true"
    assert calls == [] and Deal.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422_in_the_error_format(world_a):
    client = world_a.client()
    _post(client, _body())
    response = _post(client, _body("二"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_keys_belong_to_their_user_and_expire_after_24_hours(world_a):
    _post(world_a.client(), _body())
    other = _post(world_a.client("admin"), _body("二"))  # another user, the same key: their own
    assert other.status_code == 200 and "Idempotent-Replayed" not in other
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = _post(world_a.client(), _body("三"))
    assert again.status_code == 200 and "Idempotent-Replayed" not in again


@pytest.mark.django_db
def test_token_clients_are_covered_too(world_a):
    client = Client(HTTP_AUTHORIZATION=f"Token {api_token_key(world_a.member)}")
    assert "Idempotent-Replayed" not in _post(client, _body())
    assert _post(client, _body())["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_answers_that_did_no_work_are_not_kept(world_a):
    assert _post(Client(), _body()).status_code in {401, 403}
    assert not IdempotencyKey.objects.exists()
    assert _post(world_a.client(), _body(), key="ü" * 3).status_code == 400


@pytest.mark.django_db
def test_without_a_key_nothing_changes(world_a):
    client = world_a.client()
    client.post(BULK, _body(), content_type="application/json")
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_do_the_work_once(world_a, monkeypatch):
    real = upsert.deals_upsert
    calls = []

    def slow(**kwargs):
        calls.append(1)
        time.sleep(0.5)
        return real(**kwargs)

    monkeypatch.setattr(upsert, "deals_upsert", slow)
    answers = []

    def request():
        try:
            answers.append(_post(world_a.client(), _body()))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and Deal.objects.count() == 1
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
