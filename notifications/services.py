"""Writes: tenant links (【管理者】事業所の連携設定), employee ID連携 and preferences."""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit
from core.errors import ApplicationError
from core.events import KINDS
from core.jobs import enqueue_on_commit
from integrations.lineworks import auth
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import AuthFailed, LineWorksError, RateLimited, Transient
from integrations.lineworks.schemas import LineWorksUser, domain_id_parse
from integrations.models import LineWorksLink
from notifications.errors import (
    BOT_NOT_FOUND,
    CAUSE_ACCOUNT_TAKEN,
    CAUSE_OTHER_USER,
    CAUSE_UNLINK_OTHER_USER,
    DOMAIN_ALREADY_HERE,
    DOMAIN_INVALID,
    DOMAIN_MISMATCH,
    DOMAIN_TAKEN,
    DOMAIN_UNCHECKED,
    DOMAIN_UNREADABLE,
    LinkError,
)
from notifications.models import LineWorksUserLink, LinkRequest, NotificationPreference

LINK_REQUEST_SALT = "notifications.link_request"
LINK_REQUEST_LIFETIME = timedelta(minutes=30)
CREDENTIAL_FIELDS = ("client_id", "client_secret", "service_account", "private_key")
SETTING_FIELDS = ("name", "domain_id", "bot_id", "bot_secret", "rate_limit_per_minute", *CREDENTIAL_FIELDS)
# A change to any of these means LINE WORKS must confirm the domain again before the link is stored.
VERIFIED_FIELDS = ("domain_id", "bot_id", *CREDENTIAL_FIELDS)


# ---------------------------------------------------------------- tenant links

def lineworks_link_save(*, tenant, link: LineWorksLink | None = None, actor=None, **fields) -> LineWorksLink:
    """Create or update a domain link. One LINE WORKS links to one tenant only: the domain id is normalised
    (an int64, so "040000001" is 40000001), unique across tenants, and checked against LINE WORKS itself with
    the credentials before anything is stored. New credentials drop cached tokens."""
    link = link or LineWorksLink(tenant=tenant)
    before = _verified_values(link)
    domain = domain_id_normalise(fields.get("domain_id", link.domain_id))
    _check_domain_free(tenant=tenant, domain_id=domain, exclude=link.pk)
    for name, value in fields.items():
        if name in SETTING_FIELDS and name != "domain_id" and value not in (None, ""):
            setattr(link, name, value.strip() if isinstance(value, str) and name != "private_key" else value)
    link.domain_id = domain
    if any(name in fields and fields[name] for name in CREDENTIAL_FIELDS):
        link.access_token, link.refresh_token, link.access_expires_at = "", "", None
    if link.bot_id != before["bot_id"]:
        link.richmenu_unlinked_id = link.richmenu_linked_id = ""  # those belonged to the previous bot
    if link.domain_verified_at is None or _verified_values(link) != before:
        lineworks_domain_verify(link=link)  # network: before the transaction below
    try:
        with transaction.atomic():
            link.save()
            audit.audit_record(tenant=tenant, actor=actor, action="lineworks.tenant_link", target=link,
                               target_label=link.label, changes={
                                   name: [audit.MASK, audit.MASK] if audit.is_secret_field(name) else [None, str(value)]
                                   for name, value in fields.items() if value not in (None, "")})
            _richmenus_setup_on_commit(link.pk)
    except IntegrityError as error:  # a concurrent save of the same domain
        raise ApplicationError(str(DOMAIN_TAKEN % {"domain": domain}), code="domain_taken",
                               details={"field": "domain_id"}) from error
    return link


def _verified_values(link: LineWorksLink) -> dict:
    values = {name: getattr(link, name) for name in VERIFIED_FIELDS}
    with contextlib.suppress(ValueError):
        values["domain_id"] = domain_id_parse(link.domain_id) if link.domain_id is not None else None
    return values


def domain_id_normalise(value) -> int:
    """The domain id in LINE WORKS's own form (an int64), or a form error on the domain id field."""
    try:
        return domain_id_parse(value)
    except ValueError as error:
        raise ApplicationError(str(DOMAIN_INVALID), code="invalid_domain_id", details={"field": "domain_id"}) from error


def _check_domain_free(*, tenant, domain_id: int, exclude: int | None) -> None:
    other = LineWorksLink.objects.filter(domain_id=domain_id).exclude(pk=exclude).first()
    if other is None:
        return
    message = DOMAIN_ALREADY_HERE if other.tenant_id == tenant.pk else DOMAIN_TAKEN
    raise ApplicationError(str(message % {"domain": domain_id}), code="domain_taken", details={"field": "domain_id"})


def lineworks_domain_verify(*, link: LineWorksLink) -> None:
    """Ask LINE WORKS whether the link's domain is the one its credentials open: a new token from the token
    endpoint, then GET /bots/{botId}/domains (only that LINE WORKS can read its bot). The token is kept on the
    link (saved with it). Raises ApplicationError naming the field to fix; sets domain_verified_at on success."""
    try:
        tokens = auth.request_token(link)
        link.access_token, link.refresh_token = tokens.access_token, tokens.refresh_token
        link.access_expires_at = timezone.now() + timedelta(seconds=tokens.expires_in)
        domains = LineWorksClient(link, max_wait=5, stored=False).bot_domains()
    except LineWorksError as error:
        raise _verify_error(link, error) from error
    if link.domain_id is None or domain_id_parse(link.domain_id) not in domains:
        found = "、".join(str(domain) for domain in domains) or "-"
        raise ApplicationError(str(DOMAIN_MISMATCH % {"domain": link.domain_id, "found": found}),
                               code="domain_mismatch", details={"field": "domain_id"})
    link.domain_verified_at = timezone.now()


def _verify_error(link: LineWorksLink, error: LineWorksError) -> ApplicationError:
    if isinstance(error, AuthFailed):
        return ApplicationError(error.detail, code="lineworks_auth_failed")
    if isinstance(error, RateLimited | Transient):
        return ApplicationError(str(DOMAIN_UNCHECKED % {"error": error.detail}), code="lineworks_unavailable")
    if error.status == 404:
        return ApplicationError(str(BOT_NOT_FOUND % {"bot": link.bot_id}), code="bot_not_found",
                                details={"field": "bot_id"})
    return ApplicationError(str(DOMAIN_UNREADABLE % {"error": error.detail}), code="lineworks_refused")


def lineworks_link_test(*, link: LineWorksLink) -> None:
    """接続テスト: a new token with the stored credentials, and the domain checked against LINE WORKS."""
    try:
        lineworks_domain_verify(link=link)
    except ApplicationError as error:
        LineWorksLink.objects.filter(pk=link.pk).update(last_error=error.message, updated_at=timezone.now())
        raise ApplicationError(error.message, code="lineworks_test_failed") from error
    link.last_checked_at, link.last_error = timezone.now(), ""
    link.save(update_fields=["access_token", "refresh_token", "access_expires_at", "domain_verified_at",
                             "last_checked_at", "last_error", "updated_at"])
    _richmenus_setup_on_commit(link.pk)  # the bot's [ID連携] / [ID連携解除] menus


def lineworks_link_delete(*, link: LineWorksLink, actor=None) -> int:
    """Unlink a domain: every employee ID連携 of that domain goes with it. Returns how many were removed."""
    with transaction.atomic():
        removed = LineWorksUserLink.objects.filter(link=link).count()
        audit.audit_record(tenant=link.tenant, actor=actor, action="lineworks.tenant_unlink", target=link,
                           target_label=link.label, changes={"employee_links": [removed, 0]})
        link.delete()
    return removed


# ---------------------------------------------------------------- ID連携 requests (signed, single use)

def link_request_create(*, link: LineWorksLink, lineworks_user_id: str, action: str = LinkRequest.Action.LINK,
                        user=None, lineworks_user: LineWorksUser | None = None) -> str:
    """Record a single-use request and return its signed token (for the URL the bot sends). `lineworks_user`
    is the account as LINE WORKS names it: the confirmation page shows whom the member is linking."""
    request = LinkRequest.objects.create(
        tenant_id=link.tenant_id, link=link, lineworks_user_id=lineworks_user_id, action=action, user=user,
        lineworks_user_name=(lineworks_user.display_name if lineworks_user else "")[:200],
        lineworks_login_id=((lineworks_user.email or "") if lineworks_user else "")[:255],
        expires_at=timezone.now() + LINK_REQUEST_LIFETIME)
    return signing.dumps({"r": str(request.public_id), "n": secrets.token_hex(4)}, salt=LINK_REQUEST_SALT)


def link_request_load(*, token: str, action: str) -> LinkRequest:
    """The pending request of a token; a bad, expired or used token is seed 003's "token invalid" case."""
    try:
        data = signing.loads(token or "", salt=LINK_REQUEST_SALT, max_age=LINK_REQUEST_LIFETIME.total_seconds())
    except signing.BadSignature as error:
        raise LinkError("token_invalid") from error
    request = (LinkRequest.objects.select_related("link", "tenant")
               .filter(public_id=data.get("r"), action=action).first())
    if request is None or request.used_at is not None or request.expires_at <= timezone.now():
        raise LinkError("token_invalid")
    return request


def _check_requester(request: LinkRequest, *, tenant, user) -> None:
    if tenant is None or request.tenant_id != tenant.pk:
        raise LinkError("other_tenant")
    if request.user_id is not None and request.user_id != user.pk:
        raise LinkError("error", cause=CAUSE_OTHER_USER)


def check_link_request(request: LinkRequest, *, tenant, user) -> None:
    """The checks of [許可する], for the confirmation page to answer before the button is pressed."""
    _check_requester(request, tenant=tenant, user=user)


def _spend(request: LinkRequest) -> None:
    """Single use: the conditional UPDATE lets exactly one confirmation through."""
    spent = LinkRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=timezone.now())
    if spent != 1:
        raise LinkError("token_invalid")


def user_link_confirm(*, token: str, tenant, user) -> LineWorksUserLink:
    """[許可する] on the ID連携 page: link the logged-in member to the LINE WORKS user of the token."""
    request = link_request_load(token=token, action=LinkRequest.Action.LINK)
    _check_requester(request, tenant=tenant, user=user)
    with transaction.atomic():
        _spend(request)
        existing = LineWorksUserLink.objects.for_tenant(tenant).filter(user=user).first()
        if existing is not None:
            if existing.link_id == request.link_id and existing.lineworks_user_id == request.lineworks_user_id:
                _richmenu_sync_on_commit(existing.link_id, existing.lineworks_user_id)
                return existing
            raise LinkError("already_linked")
        try:
            with transaction.atomic():
                created = LineWorksUserLink.objects.create(
                    tenant=tenant, link=request.link, user=user, lineworks_user_id=request.lineworks_user_id,
                    lineworks_user_name=request.lineworks_user_name, lineworks_login_id=request.lineworks_login_id)
                audit.audit_record(tenant=tenant, actor=user, action="lineworks.user_link", target=created,
                                   target_label=str(user), changes={"lineworks_user_id": [None, created.lineworks_user_id]})
        except IntegrityError as error:  # that LINE WORKS account is linked to another member
            raise LinkError("error", cause=CAUSE_ACCOUNT_TAKEN) from error
        _richmenu_sync_on_commit(created.link_id, created.lineworks_user_id)  # [ID連携] becomes [ID連携解除]
        return created


def user_unlink_confirm(*, token: str, tenant, user) -> int:
    """[許可する] on the ID連携解除 page the bot sent; returns how many links were removed (0 or 1).

    An account no one is linked to any more (解除 from the profile page meanwhile) is simply 解除済み; one
    linked to another member cannot be released by this member."""
    request = link_request_load(token=token, action=LinkRequest.Action.UNLINK)
    _check_requester(request, tenant=tenant, user=user)
    account = LineWorksUserLink.objects.filter(link=request.link, lineworks_user_id=request.lineworks_user_id)
    if account.exclude(user=user).exists():
        raise LinkError("error", cause=CAUSE_UNLINK_OTHER_USER)
    with transaction.atomic():
        _spend(request)
        removed, _ = account.filter(user=user).delete()
        if removed:
            audit.audit_record(tenant=tenant, actor=user, action="lineworks.user_unlink", target_label=str(user),
                               changes={"lineworks_user_id": [request.lineworks_user_id, None]})
        _richmenu_sync_on_commit(request.link_id, request.lineworks_user_id)  # back to [ID連携]
    return removed


def user_link_delete(*, tenant, user) -> int:
    """ID連携解除 from the profile page."""
    with transaction.atomic():
        links = list(LineWorksUserLink.objects.for_tenant(tenant).filter(user=user)
                     .values_list("link_id", "lineworks_user_id"))
        removed, _ = LineWorksUserLink.objects.for_tenant(tenant).filter(user=user).delete()
        if removed:
            audit.audit_record(tenant=tenant, actor=user, action="lineworks.user_unlink", target_label=str(user))
        for link_id, lineworks_user_id in links:
            _richmenu_sync_on_commit(link_id, lineworks_user_id)  # back to [ID連携]
    return removed


def _richmenu_sync_on_commit(link_id: int, lineworks_user_id: str) -> None:
    from notifications.tasks import richmenu_sync_task  # tasks import this module

    enqueue_on_commit(richmenu_sync_task, link_id, lineworks_user_id)


def _richmenus_setup_on_commit(link_id: int) -> None:
    from notifications.tasks import richmenus_setup_task

    enqueue_on_commit(richmenus_setup_task, link_id)


# ---------------------------------------------------------------- preferences

def preferences_save(*, tenant, user, enabled_kinds: list[str]) -> NotificationPreference:
    """Store which kinds the member turned off (the complement of what is enabled)."""
    disabled = sorted(set(KINDS) - set(enabled_kinds))
    preference, _ = NotificationPreference.objects.update_or_create(
        tenant=tenant, user=user, defaults={"disabled_kinds": disabled})
    return preference
