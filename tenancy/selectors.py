"""Reads about tenants and memberships."""

from __future__ import annotations

import uuid

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from tenancy.models import Membership, PermissionProfile, Tenant


def membership_list_for_user(*, user) -> QuerySet[Membership]:
    """Every active membership of a user (a deactivated one gives no access), tenant and profile loaded, oldest
    first."""
    return (Membership.objects.filter(user=user, is_active=True).select_related("tenant", "permission_profile")
            .order_by("created_at"))


def membership_for_user(*, user, tenant_public_id: str | uuid.UUID | None = None) -> Membership | None:
    """The membership a request acts through: the chosen tenant if the user belongs to it, else the first one."""
    if not user.is_authenticated:
        return None
    memberships = membership_list_for_user(user=user)
    if tenant_public_id:
        try:
            chosen = memberships.filter(tenant__public_id=tenant_public_id).first()
        except Exception:  # noqa: BLE001 - a malformed id in a cookie or header just means "not chosen"
            chosen = None
        if chosen is not None:
            return chosen
    return memberships.first()


def membership_list(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.for_tenant(tenant).select_related("user", "permission_profile").order_by(
        "user__username"
    )


def permission_profile_list(*, tenant: Tenant) -> QuerySet[PermissionProfile]:
    return PermissionProfile.objects.for_tenant(tenant).order_by("name")


def is_tenant(membership, public_id: str) -> bool:
    """Whether the membership is of the tenant with this public id (any UUID spelling)."""
    try:
        return membership is not None and membership.tenant.public_id == uuid.UUID(str(public_id))
    except ValueError:
        return False


def two_factor_setup_required(user) -> bool:
    """Whether the user must set up 2FA before anything else: a member of a tenant with 「全メンバーに2段階認証を
    必須にする」 on, without an authenticator app. It holds whatever tenant the request acts on, so neither a URL
    nor the tenant switcher nor the API gets around it."""
    if not getattr(user, "is_authenticated", False):
        return False
    required = Membership.objects.filter(user=user, is_active=True, tenant__requires_mfa=True).exists()
    return required and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def active_admin_count(*, tenant: Tenant) -> int:
    """The tenant's active admins (the last one can be neither demoted, deactivated nor removed)."""
    return Membership.objects.for_tenant(tenant).filter(role=Membership.Role.ADMIN, is_active=True).count()
