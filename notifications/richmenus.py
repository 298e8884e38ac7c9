"""The bot's rich menu (seed 003): [ID連携] before a user links, [ID連携解除] after.

Each bot gets two rich menus, registered in LINE WORKS the first time they are needed and remembered on the
link. The [ID連携] one is the bot's default, so everyone sees it first; on ID連携 the user gets the
[ID連携解除] one as their own menu, and on 解除 their own menu is cancelled so the default shows again.

What a user should see is read from our links each time, so applying is idempotent and a menu that went stale
(a lost task, a menu deleted in LINE WORKS) is put right by the next apply; every bot command applies it.
"""

from __future__ import annotations

import contextlib
import logging

from django.utils import timezone

from core.retry import RetryLater
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import AuthExpired, LineWorksError, Permanent, RateLimited, Transient
from integrations.lineworks.schemas import PostbackAction, Richmenu, RichmenuArea, RichmenuBounds, RichmenuSize
from integrations.models import LineWorksLink
from notifications.models import LineWorksUserLink

logger = logging.getLogger(__name__)

LINK_POSTBACK, UNLINK_POSTBACK = "link", "unlink"
SIZE = RichmenuSize(width=2500, height=843)


def _menu(name: str, label: str, data: str) -> Richmenu:
    whole = RichmenuBounds(x=0, y=0, width=SIZE.width, height=SIZE.height)
    return Richmenu(
        richmenuName=name,
        size=SIZE,
        areas=[RichmenuArea(action=PostbackAction(label=label, data=data, displayText=label), bounds=whole)],
    )


def menu_before_link() -> Richmenu:
    return _menu("CRM-会計連携ハブ: ID連携前", "ID連携", LINK_POSTBACK)


def menu_after_link() -> Richmenu:
    return _menu("CRM-会計連携ハブ: ID連携後", "ID連携解除", UNLINK_POSTBACK)


def richmenus_ensure(*, link: LineWorksLink, client: LineWorksClient) -> tuple[str, str]:
    """The link's two rich menus (before, after), registering them and the default when missing.

    Two workers may register at once: the conditional UPDATE keeps the first pair, the other worker deletes its
    own menus. The default is set by the winner only, after it won."""
    if link.richmenu_unlinked_id and link.richmenu_linked_id:
        return link.richmenu_unlinked_id, link.richmenu_linked_id
    before = client.richmenu_create(menu_before_link()).richmenuId
    after = client.richmenu_create(menu_after_link()).richmenuId
    won = LineWorksLink.objects.filter(
        pk=link.pk, richmenu_unlinked_id=link.richmenu_unlinked_id, richmenu_linked_id=link.richmenu_linked_id
    ).update(richmenu_unlinked_id=before, richmenu_linked_id=after, updated_at=timezone.now())
    if won != 1:
        for orphan in (before, after):
            with contextlib.suppress(LineWorksError):
                client.richmenu_delete(orphan)
        link.refresh_from_db(fields=["richmenu_unlinked_id", "richmenu_linked_id"])
        return link.richmenu_unlinked_id, link.richmenu_linked_id
    link.richmenu_unlinked_id, link.richmenu_linked_id = before, after
    client.richmenu_default_set(before)
    return before, after


def richmenu_apply(*, link: LineWorksLink, client: LineWorksClient, lineworks_user_id: str) -> None:
    """Show this LINE WORKS user the menu of their state: [ID連携解除] when linked, [ID連携] (the default)
    otherwise. Menus deleted in LINE WORKS are registered again, once."""
    _before, after = richmenus_ensure(link=link, client=client)
    if not LineWorksUserLink.objects.filter(link=link, lineworks_user_id=lineworks_user_id).exists():
        client.richmenu_user_delete(lineworks_user_id)
        return
    try:
        client.richmenu_user_set(after, lineworks_user_id)
    except Permanent as error:
        if error.status != 404 or client.richmenu_exists(after):
            raise  # the user is not in the domain (any more)
        LineWorksLink.objects.filter(pk=link.pk).update(richmenu_unlinked_id="", richmenu_linked_id="")
        link.richmenu_unlinked_id = link.richmenu_linked_id = ""
        _before, after = richmenus_ensure(link=link, client=client)
        client.richmenu_user_set(after, lineworks_user_id)


def richmenu_apply_quietly(*, link: LineWorksLink, client: LineWorksClient, lineworks_user_id: str) -> None:
    """richmenu_apply where the menu is a courtesy (after the bot answered a command): failures are logged."""
    try:
        richmenu_apply(link=link, client=client, lineworks_user_id=lineworks_user_id)
    except LineWorksError as error:
        logger.warning("LINE WORKS rich menu of link %s not applied: %s", link.pk, error.detail)


def richmenu_sync(*, link_id: int, lineworks_user_id: str) -> RetryLater | None:
    """The task's work after an ID連携 or 解除: apply the user's menu; say when to retry a busy LINE WORKS."""
    link = LineWorksLink.objects.filter(pk=link_id, domain_id__isnull=False).first()
    if link is None:
        return None  # unlinked (or stopped) meanwhile
    try:
        richmenu_apply(link=link, client=LineWorksClient(link, max_wait=5), lineworks_user_id=lineworks_user_id)
    except (RateLimited, Transient, AuthExpired) as error:
        return RetryLater(max(getattr(error, "retry_after", 0.0), 15.0), error.detail)
    except LineWorksError as error:
        logger.warning("LINE WORKS rich menu of link %s not applied: %s", link.pk, error.detail)
    return None


def richmenus_setup(*, link_id: int) -> RetryLater | None:
    """After a link is saved or tested: register the menus and give every user linked so far theirs."""
    link = LineWorksLink.objects.filter(pk=link_id, domain_id__isnull=False).first()
    if link is None:
        return None
    client = LineWorksClient(link, max_wait=30)
    try:
        richmenus_ensure(link=link, client=client)
        for user_id in LineWorksUserLink.objects.filter(link=link).values_list("lineworks_user_id", flat=True):
            with contextlib.suppress(Permanent):  # a user who left the domain keeps no menu
                richmenu_apply(link=link, client=client, lineworks_user_id=user_id)
    except (RateLimited, Transient, AuthExpired) as error:
        return RetryLater(max(getattr(error, "retry_after", 0.0), 15.0), error.detail)
    except LineWorksError as error:
        logger.warning("LINE WORKS rich menus of link %s not registered: %s", link.pk, error.detail)
    return None
