"""Message contents, the signed approval button, and the freee re-authorisation event."""

import pytest
from django.core import signing
from django.urls import NoReverseMatch, reverse

from core import events
from core.models import Event
from notifications import messages
from notifications.views import ApprovalView
from tests.notifications.factories import emit_event

pytestmark = pytest.mark.django_db


def approver_event(world, recipient):
    return emit_event(world.tenant, [recipient], kind=events.PAYMENT_REQUEST_SUBMITTED, key="pr:1",
                      payload={"title": "支払依頼の承認依頼", "text": "備品購入の承認をお願いします。",
                               "url": "/payment-requests/", "request_id": "8d1c7a0e-0000-4000-8000-000000000001",
                               "step_id": 11, "round": 2})


def test_approver_messages_carry_a_signed_button(world_a, settings):
    settings.SITE_URL = "https://hub.example.jp"
    event = approver_event(world_a, world_a.admin)
    content = messages.content_for(event, world_a.admin.pk)
    assert content.type == "button_template"
    uri = content.actions[0].uri
    assert uri.startswith("https://hub.example.jp/lineworks/approval/?token=")
    data = messages.approval_token_load(uri.split("token=")[1])
    assert data == {"u": world_a.admin.pk, "t": world_a.tenant.pk, "r": "8d1c7a0e-0000-4000-8000-000000000001",
                    "s": 11, "n": 2}


def test_a_payload_without_url_is_plain_text(world_a):
    event = emit_event(world_a.tenant, [world_a.admin], kind=events.LEDGER_SYNC_FAILED, key="sync:1",
                       payload={"title": "会計連携のエラー", "text": "仕訳の連携に失敗しました。"})
    content = messages.content_for(event, world_a.admin.pk)
    assert content.type == "text" and content.text.startswith("【会計連携のエラー】")


def test_the_approval_page_is_for_the_addressee_only(world_a, settings):
    event = approver_event(world_a, world_a.admin)
    uri = messages.content_for(event, world_a.admin.pk).actions[0].uri
    path = uri.removeprefix(settings.SITE_URL)
    anonymous = world_a.client("outsider")
    assert anonymous.get(path).status_code == 403  # no tenant
    assert world_a.client("member").get(path).status_code == 403  # someone else's button
    assert world_a.client("admin").get(path + "x").status_code == 400  # tampered
    response = world_a.client("admin").get(path)
    try:
        target = reverse("payment_requests:detail", kwargs={"public_id": "8d1c7a0e-0000-4000-8000-000000000001"})
    except NoReverseMatch:
        assert response.status_code == 404  # the payment request pages are not there yet
    else:
        assert response.status_code == 302 and response["Location"].startswith(target)
        assert "step_id=11" in response["Location"] and "round=2" in response["Location"]


def test_an_expired_approval_token_is_refused(world_a, monkeypatch):
    event = approver_event(world_a, world_a.admin)
    uri = messages.content_for(event, world_a.admin.pk).actions[0].uri
    monkeypatch.setattr(messages, "APPROVAL_MAX_AGE", -1)
    response = world_a.client("admin").get("/lineworks/approval/?token=" + uri.split("token=")[1])
    assert response.status_code == 400 and "有効期限" in response.content.decode()
    assert ApprovalView  # the view the route serves


def test_freee_invalid_grant_emits_an_event_for_the_admins(world_a):
    from integrations.freee import tokens
    from integrations.models import FreeeConnection, IntegrationEvent

    connection = FreeeConnection.objects.create(tenant=world_a.tenant, client_id="c", client_secret="s",
                                                company_id=1, status=FreeeConnection.Status.CONNECTED)
    tokens.connection_mark_needs_reauth(connection=connection, reason="invalid_grant")
    tokens.connection_mark_needs_reauth(connection=connection, reason="invalid_grant")  # same episode: once
    event = Event.objects.get(kind=events.FREEE_REAUTH_REQUIRED)
    assert event.recipient_ids == [world_a.admin.pk] and event.payload["url"] == "/settings/integrations/freee/"
    assert IntegrationEvent.objects.count() == 1


def test_signing_salt_separates_link_and_approval_tokens(world_a):
    token = messages.approval_token(user_id=1, tenant_id=1, request_id="x", step_id=1, round_=1)
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="notifications.link_request")
