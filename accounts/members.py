"""Deactivating, reactivating and removing members: access ends at once, the last admin is kept, all audited."""

from __future__ import annotations

from importlib import import_module

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import audit
from core.models import ApiToken
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import Membership
from tenancy.selectors import active_admin_count, membership_for_user


def _check_not_last_admin(membership: Membership) -> None:
    """Lock the tenant's admins, then count: two admins removing each other at once cannot both succeed."""
    list(Membership.objects.select_for_update().filter(tenant_id=membership.tenant_id, role=Membership.Role.ADMIN))
    if membership.is_admin and membership.is_active and active_admin_count(tenant=membership.tenant) <= 1:
        raise ValidationError(_("最後の管理者は無効化・削除できません。先に別のメンバーを管理者にしてください。"))


def _session_tenant(user_session: UserSession) -> str | None:
    store = import_module(settings.SESSION_ENGINE).SessionStore(user_session.session_key)
    return store.get(SESSION_TENANT_KEY)


def default_tenant_id(user) -> str | None:
    """The tenant a session that never chose one acts in (tenancy.selectors.membership_for_user: the first)."""
    first = membership_for_user(user=user)
    return str(first.tenant.public_id) if first else None


def end_access(*, user, tenant, default_tenant: str | None = None) -> None:
    """End what `user` could still do in `tenant`: without another active membership every session of the user
    ends and every API token is deleted; otherwise the sessions working in this tenant end (those that chose it,
    and those that never chose one when it was their default: `default_tenant`, taken before the change). The
    user's tokens stay for the other tenants and are refused for this one by the per-request membership check."""
    others = Membership.objects.filter(user=user, is_active=True).exclude(tenant=tenant).exists()
    for user_session in UserSession.objects.filter(user=user):
        if not others or (_session_tenant(user_session) or default_tenant) == str(tenant.public_id):
            user_session.end()
    if not others:
        ApiToken.objects.filter(user=user).delete()


def _record(membership: Membership, actor, action: str, changes: dict) -> None:
    audit.audit_record(
        tenant=membership.tenant,
        actor=actor,
        action=action,
        target=membership,
        target_label=membership.user.get_username(),
        changes=changes,
    )


def membership_deactivate(*, membership: Membership, actor) -> Membership:
    """無効化: the member keeps their row (deals, approvals and the trail keep their name) but loses access now."""
    default = default_tenant_id(membership.user)
    with transaction.atomic():
        _check_not_last_admin(membership)
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        membership.is_active = False
        _record(membership, actor, "membership.deactivate", {"is_active": [True, False]})
    end_access(user=membership.user, tenant=membership.tenant, default_tenant=default)
    return membership


def membership_reactivate(*, membership: Membership, actor) -> Membership:
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(is_active=True)
        membership.is_active = True
        _record(membership, actor, "membership.reactivate", {"is_active": [False, True]})
    return membership


def membership_remove(*, membership: Membership, actor) -> None:
    """削除: the membership goes; the user's deals keep them as owner (by name), their login stays for their
    other tenants."""
    user, tenant = membership.user, membership.tenant
    default = default_tenant_id(user)
    with transaction.atomic():
        _check_not_last_admin(membership)
        _record(
            membership,
            actor,
            "membership.remove",
            {"member": [user.get_username(), None], "role": [membership.role, None]},
        )
        membership.delete()
    end_access(user=user, tenant=tenant, default_tenant=default)
