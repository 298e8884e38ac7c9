"""The bot callback: signature checks on the raw body, stored before 200, handled in a task, never lost."""

import json
import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.lineworks.auth import callback_signature
from notifications import bot, outbox
from notifications.models import CallbackEvent, LinkRequest
from tests.notifications.factories import make_link

URL = "/lineworks/callback/"
BODY = json.dumps({"type": "message", "source": {"userId": "lw-user-1", "domainId": 40000001},
                   "issuedTime": "2026-01-01T00:00:00.000Z",
                   "content": {"type": "text", "text": "ID連携", "postback": "link"}}, ensure_ascii=False).encode()


def post(client, body: bytes, *, bot_id: str, signature: str | None):
    headers = {"HTTP_X_WORKS_BOTID": bot_id}
    if signature is not None:
        headers["HTTP_X_WORKS_SIGNATURE"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def link(world_a):
    return make_link(world_a.tenant, bot_id="2000001", bot_secret="bot-secret")


def test_the_route_is_the_one_we_document():
    assert reverse("notifications:lineworks_callback") == URL


@pytest.mark.django_db
def test_a_valid_signature_is_stored_and_answered_200(client, link, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, BODY, bot_id="2000001", signature=callback_signature(BODY, "bot-secret"))
    assert response.status_code == 200
    stored = CallbackEvent.objects.get()
    assert stored.body.encode() == BODY and stored.link == link and stored.status == "received"
    assert len(callbacks) == 1  # the handling task is enqueued after commit


@pytest.mark.django_db
def test_a_tampered_body_is_403_and_logged_without_the_body(client, link, caplog):
    tampered = BODY.replace(b"lw-user-1", b"lw-user-2")
    with caplog.at_level(logging.WARNING):
        response = post(client, tampered, bot_id="2000001", signature=callback_signature(BODY, "bot-secret"))
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()
    assert "rejected" in caplog.text and "lw-user" not in caplog.text


@pytest.mark.django_db
def test_a_re_serialised_body_fails_the_signature(client, link):
    signature = callback_signature(BODY, "bot-secret")
    reserialised = json.dumps(json.loads(BODY)).encode()  # same data, different bytes (escaped, spacing)
    assert reserialised != BODY
    assert post(client, reserialised, bot_id="2000001", signature=signature).status_code == 403


@pytest.mark.django_db
def test_a_missing_signature_is_403(client, link):
    assert post(client, BODY, bot_id="2000001", signature=None).status_code == 403


@pytest.mark.django_db
def test_another_bots_secret_or_id_is_403(client, link, world_b):
    make_link(world_b.tenant, domain_id="40000002", bot_id="2000002", bot_secret="other-secret")
    signed_by_other = callback_signature(BODY, "other-secret")
    assert post(client, BODY, bot_id="2000001", signature=signed_by_other).status_code == 403
    assert post(client, BODY, bot_id="9999999", signature=callback_signature(BODY, "bot-secret")).status_code == 403
    assert not CallbackEvent.objects.exists()


@pytest.mark.django_db
def test_get_is_not_allowed_and_csrf_is_not_required(link):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get(URL).status_code == 405
    assert post(strict, BODY, bot_id="2000001", signature=callback_signature(BODY, "bot-secret")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_stored_callback_is_handled_against_the_sandbox(lw_sandbox, client):
    user = lw_sandbox.user()
    body = json.dumps({"type": "message", "source": {"userId": user.user_id, "domainId": lw_sandbox.domain.domain_id},
                       "content": {"type": "text", "text": "ID連携", "postback": "link"}}).encode()
    post(client, body, bot_id=lw_sandbox.link.bot_id, signature=callback_signature(body, lw_sandbox.link.bot_secret))
    stored = CallbackEvent.objects.get()
    assert bot.callback_handle(callback_id=stored.pk) is None
    stored.refresh_from_db()
    assert stored.status == "handled" and stored.attempts == 1
    message = user.messages.get().content
    assert message["type"] == "button_template" and "/lineworks/link/?token=" in message["actions"][0]["uri"]
    assert LinkRequest.objects.filter(lineworks_user_id=user.user_id, used_at__isnull=True).count() == 1
    # A redelivered task finds it handled and does nothing.
    assert bot.callback_handle(callback_id=stored.pk) is None and user.messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_died_while_handling_leaves_it_for_the_sweeper(lw_sandbox, client, monkeypatch):
    user = lw_sandbox.user()
    body = json.dumps({"type": "postback", "source": {"userId": user.user_id}, "data": "unknown"}).encode()
    post(client, body, bot_id=lw_sandbox.link.bot_id, signature=callback_signature(body, lw_sandbox.link.bot_secret))
    stored = CallbackEvent.objects.get()
    # The worker claimed it and died: nothing marks it handled.
    CallbackEvent.objects.filter(pk=stored.pk).update(status="handling", claimed_at=timezone.now())
    assert outbox.callbacks_due(now=timezone.now()) == []
    assert bot.callback_handle(callback_id=stored.pk) is None  # still claimed: not taken twice
    later = timezone.now() + bot.HANDLING_STALE + timedelta(seconds=1)
    assert outbox.callbacks_due(now=later) == [stored.pk]
    CallbackEvent.objects.filter(pk=stored.pk).update(claimed_at=timezone.now() - bot.HANDLING_STALE * 2)
    bot.callback_handle(callback_id=stored.pk)
    stored.refresh_from_db()
    assert stored.status == "handled" and user.messages.count() == 1


@pytest.mark.django_db
def test_a_callback_never_enqueued_is_swept_after_the_grace(link):
    stored = CallbackEvent.objects.create(tenant=link.tenant, link=link, body="{}")
    assert outbox.callbacks_due(now=timezone.now()) == []
    assert outbox.callbacks_due(now=timezone.now() + bot.CALLBACK_GRACE + timedelta(seconds=1)) == [stored.pk]


@pytest.mark.django_db
def test_an_unreadable_stored_body_is_marked_failed_not_retried(link):
    stored = CallbackEvent.objects.create(tenant=link.tenant, link=link, body="not json")
    assert bot.callback_handle(callback_id=stored.pk) is None
    stored.refresh_from_db()
    assert stored.status == "failed" and "unreadable" in stored.error
