"""End to end on a real Celery worker: a signed callback is stored, answered 200 and handled; an emitted
event is fanned out and delivered to the sandbox inbox once per recipient."""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from integrations.lineworks.auth import callback_signature
from notifications.models import CallbackEvent, Delivery
from tests.notifications.factories import emit_event, make_user_link

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def wait_for(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_callback_and_fan_out_on_a_real_worker(lw_sandbox, world_a, client):
    app.connection_for_write().default_channel.client.flushdb()
    first, second = lw_sandbox.user(0), lw_sandbox.user(1)
    make_user_link(lw_sandbox.link, world_a.admin, first.user_id)
    make_user_link(lw_sandbox.link, world_a.member, second.user_id)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      queues=["interactive", "bulk", "default"]):
        body = json.dumps({"type": "message", "source": {"userId": first.user_id},
                           "content": {"type": "text", "text": "こんにちは"}}, ensure_ascii=False).encode()
        response = client.post("/lineworks/callback/", data=body, content_type="application/json",
                               HTTP_X_WORKS_BOTID=lw_sandbox.link.bot_id,
                               HTTP_X_WORKS_SIGNATURE=callback_signature(body, lw_sandbox.link.bot_secret))
        assert response.status_code == 200
        assert wait_for(lambda: CallbackEvent.objects.get().status == "handled")
        emit_event(world_a.tenant, [world_a.admin, world_a.member])
        assert wait_for(lambda: Delivery.objects.filter(status="sent").count() == 2)
    assert first.messages.count() == 2  # the menu reply and the notification
    assert second.messages.count() == 1 and second.messages.get().content["type"] == "link"
