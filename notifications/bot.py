"""The bot callback: verify, store raw, answer 200 at once; handle the stored event in a task.

LINE WORKS never re-sends a callback, so the row is written before we answer and is only marked handled
once the handling finished; the sweeper re-enqueues rows left received (task lost) or handling for too long
(worker died). Handling answers the ID連携 / ID連携解除 commands with a signed, single-use link.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from pydantic import ValidationError

from core import input_guard
from core.errors import ApplicationError
from core.jobs import enqueue_on_commit
from core.retry import RetryLater
from integrations.lineworks import auth
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import AuthExpired, LineWorksError, RateLimited, Transient
from integrations.lineworks.schemas import (
    ButtonTemplateContent,
    Content,
    LineWorksUser,
    MessageAction,
    TextContent,
    UriAction,
    domain_id_parse,
)
from integrations.lineworks.schemas import (
    CallbackEvent as CallbackBody,
)
from integrations.models import LineWorksLink
from notifications import richmenus, services
from notifications.errors import USER_NOT_FOUND, LinkError, link_error_for
from notifications.models import CallbackEvent, LineWorksUserLink, LinkRequest

logger = logging.getLogger(__name__)

CALLBACK_GRACE = timedelta(seconds=30)
HANDLING_STALE = timedelta(minutes=2)
MAX_HANDLE_ATTEMPTS = 5
LINK_COMMANDS = {"link", "id連携", "action=link"}
UNLINK_COMMANDS = {"unlink", "id連携解除", "action=unlink"}


# ---------------------------------------------------------------- receive

def callback_verify(*, bot_id: str, signature: str, body: bytes) -> LineWorksLink | None:
    """The link whose bot and Bot Secret produced this signature over the raw body, or None.

    A bot registered in several domains may be linked once per domain (each domain to one tenant): the event's
    `source.domainId` picks the link, so a user of one domain never reaches the tenant of another."""
    if not bot_id or not signature:
        return None
    # A link without a domain was stopped by the 0003 migration: its domain belongs to another tenant.
    signed = [link for link in LineWorksLink.objects.filter(bot_id=bot_id, domain_id__isnull=False)
              if auth.signature_valid(body, signature, link.bot_secret)]
    domain = _source_domain(body) if signed else None
    if domain is None:
        return signed[0] if len(signed) == 1 else None  # no domain in the event: only an unambiguous bot
    return next((link for link in signed if link.domain_id == domain), None)


def _source_domain(body: bytes) -> int | None:
    try:
        source = input_guard.loads(body).get("source") or {}
        return domain_id_parse(source["domainId"])
    except (ValueError, TypeError, AttributeError, KeyError):
        return None


def callback_store(*, link: LineWorksLink, body: bytes) -> CallbackEvent:
    """Keep the raw body first; the handling task is enqueued after commit (the sweeper backs it up)."""
    from notifications.tasks import callback_handle_task

    event = CallbackEvent.objects.create(tenant_id=link.tenant_id, link=link,
                                         body=body.decode("utf-8", errors="replace"))
    try:
        enqueue_on_commit(callback_handle_task, event.pk)
    except Exception:  # broker down: the row is stored, the sweeper will enqueue it
        logger.exception("notifications: could not enqueue callback %s", event.pk)
    return event


# ---------------------------------------------------------------- handle

def callback_claim(*, callback_id: int) -> CallbackEvent | None:
    """received (or handling by a worker that died) -> handling, in one conditional UPDATE."""
    now = timezone.now()
    claimable = (Q(status=CallbackEvent.Status.RECEIVED)
                 | Q(status=CallbackEvent.Status.HANDLING, claimed_at__lt=now - HANDLING_STALE))
    claimed = CallbackEvent.objects.filter(claimable, pk=callback_id).update(
        status=CallbackEvent.Status.HANDLING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    if claimed != 1:
        return None
    return CallbackEvent.objects.select_related("link", "link__tenant").get(pk=callback_id)


def callback_handle(*, callback_id: int) -> RetryLater | None:
    """Handle one stored callback; returns when to try again (rate limit, transient failure), or None when done."""
    event = callback_claim(callback_id=callback_id)
    if event is None:
        return None
    try:
        body = CallbackBody.model_validate(input_guard.loads(event.body))  # bounded depth: never a RecursionError
        client = LineWorksClient(event.link)
        reply = reply_for(event.link, body, client=client)
        if reply is not None and body.source.userId:
            client.send_to_user(body.source.userId, reply)
            # The rich menu follows the user's state; a stale one (a lost task) is put right here.
            richmenus.richmenu_apply_quietly(link=event.link, client=client, lineworks_user_id=body.source.userId)
    except (ValueError, ValidationError) as error:
        _close(event, CallbackEvent.Status.FAILED, error=f"unreadable callback: {type(error).__name__}")
    except (RateLimited, Transient, AuthExpired) as error:
        if event.attempts >= MAX_HANDLE_ATTEMPTS:
            _close(event, CallbackEvent.Status.FAILED, error=error.detail)
            return None
        _close(event, CallbackEvent.Status.RECEIVED, error=error.detail)
        return RetryLater(max(getattr(error, "retry_after", 0.0), 15.0 * event.attempts), error.detail)
    except LineWorksError as error:
        _close(event, CallbackEvent.Status.FAILED, error=error.detail)
    else:
        _close(event, CallbackEvent.Status.HANDLED, handled_at=timezone.now(), error="")
    return None


def _close(event: CallbackEvent, status: str, **fields) -> None:
    CallbackEvent.objects.filter(pk=event.pk, status=CallbackEvent.Status.HANDLING,
                                 claimed_at=event.claimed_at).update(status=status, updated_at=timezone.now(),
                                                                     **fields)


def reply_for(link: LineWorksLink, body: CallbackBody, *, client: LineWorksClient) -> Content | None:
    """What the bot answers: an ID連携 / ID連携解除 link, or, to anything else, the one button that fits the
    user's state (as the rich menu shows: [ID連携] before linking, [ID連携解除] after)."""
    user_id = body.source.userId
    if not user_id or body.type not in ("message", "postback"):
        return None
    command = body.command.lower()
    linked = LineWorksUserLink.objects.filter(link=link, lineworks_user_id=user_id).select_related("user").first()
    if command in LINK_COMMANDS:
        return _link_reply(link, user_id, linked, client)
    if command in UNLINK_COMMANDS:
        return _unlink_reply(link, user_id, linked)
    return menu(linked=linked is not None)


def _link_reply(link: LineWorksLink, user_id: str, linked: LineWorksUserLink | None,
                client: LineWorksClient) -> Content:
    if linked is not None:
        return TextContent(text=f"既にID連携済みです（{linked.user.get_username()}）。解除するには、画面下部のメニューの"
                                "[ID連携解除]を押してください。")
    account = _account(client, user_id)
    token = services.link_request_create(link=link, lineworks_user_id=user_id, lineworks_user=account)
    minutes = int(services.LINK_REQUEST_LIFETIME.total_seconds() // 60)
    whom = f"{account.display_name} さんの" if account is not None and account.display_name else ""
    return ButtonTemplateContent(
        contentText=(f"{whom}LINE WORKSアカウントで {link.tenant.name} の通知を受け取るためのID連携を開始します。"
                     f"下のボタンからログインし、[許可する]を押してください（{minutes}分以内・1回限り有効）。"),
        actions=[UriAction(label="ID連携する", uri=_absolute("notifications:link_confirm", token))])


def _account(client: LineWorksClient, user_id: str) -> LineWorksUser | None:
    """The LINE WORKS account of a callback, by name (GET /users/{userId}); None when LINE WORKS will not say.
    A busy or unreachable LINE WORKS raises, so the callback is handled again later."""
    try:
        return client.user_get(user_id)
    except (RateLimited, Transient, AuthExpired):
        raise
    except LineWorksError as error:
        logger.warning("LINE WORKS user lookup failed: %s", error.detail)
        return None


def _unlink_reply(link: LineWorksLink, user_id: str, linked: LineWorksUserLink | None) -> Content:
    if linked is None:
        return TextContent(text="ID連携されていません。連携するには、画面下部のメニューの[ID連携]を押してください。")
    token = services.link_request_create(link=link, lineworks_user_id=user_id, action=LinkRequest.Action.UNLINK)
    return ButtonTemplateContent(
        contentText=f"{link.tenant.name} とのID連携を解除します。下のボタンから[許可する]を押してください。",
        actions=[UriAction(label="ID連携を解除する", uri=_absolute("notifications:unlink_confirm", token))])


def menu(*, linked: bool) -> Content:
    """The answer to anything that is not a command: the button of the user's state, like the rich menu."""
    if linked:
        return ButtonTemplateContent(
            contentText="CRM-会計連携ハブの通知Botです。ID連携済みです。通知の受け取りをやめるには[ID連携解除]を押してください。",
            actions=[MessageAction(label="ID連携解除", postback="unlink")])
    return ButtonTemplateContent(
        contentText="CRM-会計連携ハブの通知Botです。通知を受け取るには[ID連携]を押して、freeeのアカウントと連携してください。",
        actions=[MessageAction(label="ID連携", postback="link")])


def _absolute(route: str, token: str) -> str:
    return settings.SITE_URL + reverse(route) + "?token=" + token


def profile_link_start(*, tenant, user, link: LineWorksLink, lineworks_user_id: str) -> None:
    """ID連携 from the profile page: the bot sends the confirmation link to that LINE WORKS account, which
    proves the member owns it. Only this member may confirm it.

    The typed ID may be a login ID (email): it is resolved with GET /users/{userId} first, so the request
    (and the link it becomes) holds the user id that bot callbacks carry in `source.userId`. A failed call is
    the row of seed 003's table that fits it (link_error_for)."""
    if LineWorksUserLink.objects.for_tenant(tenant).filter(user=user).exists():
        raise LinkError("already_linked")
    client = LineWorksClient(link, max_wait=5)
    try:
        lineworks_user = client.user_get(lineworks_user_id)
    except LineWorksError as error:
        if error.status == 404:
            raise ApplicationError(str(USER_NOT_FOUND), code="lineworks_user_not_found",
                                   details={"field": "lineworks_user_id"}) from error
        logger.warning("LINE WORKS user lookup failed for link %s: %s", link.pk, error.detail)
        raise link_error_for(error) from error
    user_id = lineworks_user.user_id
    token = services.link_request_create(link=link, lineworks_user_id=user_id, user=user, lineworks_user=lineworks_user)
    content = ButtonTemplateContent(
        contentText=f"{user.get_username()} さんが {tenant.name} の通知を受け取るためのID連携を開始しました。"
                    "心当たりがある場合は下のボタンから[許可する]を押してください。",
        actions=[UriAction(label="ID連携する", uri=_absolute("notifications:link_confirm", token))])
    try:
        client.send_to_user(user_id, content)
    except LineWorksError as error:
        logger.warning("LINE WORKS send failed for link %s: %s", link.pk, error.detail)
        raise link_error_for(error) from error
