"""Writes for tenants, memberships and permission profiles."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from tenancy.models import Membership, PermissionProfile, Tenant
from tenancy.permissions import MEMBER_PERMISSIONS
from tenancy.signals import tenancy_changed, tenant_created


@transaction.atomic
def tenant_create(*, name: str, plan: str = Tenant.Plan.TRIAL, uses_permission_profiles: bool = False) -> Tenant:
    """Create a tenant with everything it needs to work: the apps seed their per-tenant defaults (chart of
    accounts, tax codes, the 標準 deal type, invoice settings) from the tenant_created signal, in this
    transaction, so a tenant exists with all of its defaults or not at all. Used by sign-up, the demo seed and
    the Django admin."""
    tenant = Tenant.objects.create(name=name, plan=plan, uses_permission_profiles=uses_permission_profiles)
    tenant_created.send(sender=Tenant, tenant=tenant)
    return tenant


def membership_create(
    *, tenant: Tenant, user, role: str = Membership.Role.MEMBER, permission_profile: PermissionProfile | None = None
) -> Membership:
    """Add a user to a tenant."""
    _check_profile_tenant(tenant, permission_profile)
    return Membership.objects.create(tenant=tenant, user=user, role=role, permission_profile=permission_profile)


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", **extra):
    """Create a login (the password is validated by Django's validators by the caller's form). Its address counts
    as verified: whoever calls this (the demo seed, an operator) vouches for it; sign-up verifies by e-mail."""
    user = get_user_model().objects.create_user(username=username, password=password, email=email, **extra)
    if email:
        EmailAddress.objects.create(user=user, email=email.lower(), verified=True, primary=True)  # allauth: lower
    return user


def tenant_settings_update(*, tenant: Tenant, actor, name: str, uses_permission_profiles: bool,
                           requires_mfa: bool | None = None) -> Tenant:
    """Admins rename the tenant and switch "権限設定機能を利用する" and 「全メンバーに2段階認証を必須にする」
    (its change is an audit entry of its own: tenant.mfa_requirement_update)."""
    fields = ["name", "uses_permission_profiles"]
    stored = Tenant.objects.get(pk=tenant.pk)  # a ModelForm may have changed `tenant`
    before = _snapshot(stored, fields)
    was_required = stored.requires_mfa
    tenant.name = name
    tenant.uses_permission_profiles = uses_permission_profiles
    tenant.requires_mfa = was_required if requires_mfa is None else requires_mfa
    with transaction.atomic():
        tenant.save(update_fields=[*fields, "requires_mfa", "updated_at"])
        _changed(tenant=tenant, actor=actor, action="tenant.settings_update", target=tenant, before=before,
                 after=_snapshot(tenant, fields))
        if tenant.requires_mfa != was_required:
            _changed(tenant=tenant, actor=actor, action="tenant.mfa_requirement_update", target=tenant,
                     before={"requires_mfa": was_required}, after={"requires_mfa": tenant.requires_mfa})
    return tenant


def tenant_company_update(*, tenant: Tenant, actor, name: str, registration_number: str) -> Tenant:
    """会社情報: the company name and 適格請求書発行事業者登録番号 (validated by the form and the model)."""
    fields = ["name", "registration_number"]
    before = _snapshot(Tenant.objects.get(pk=tenant.pk), fields)
    tenant.name, tenant.registration_number = name, registration_number
    tenant.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        tenant.save(update_fields=[*fields, "updated_at"])
        _changed(tenant=tenant, actor=actor, action="tenant.company_update", target=tenant, before=before,
                 after=_snapshot(tenant, fields))
    return tenant


def permission_profile_save(
    *, tenant: Tenant, actor, name: str, permissions: list[str], profile: PermissionProfile | None = None
) -> PermissionProfile:
    """Create or update a permission profile; unknown permission codes are rejected."""
    unknown = sorted(set(permissions) - set(MEMBER_PERMISSIONS))
    if unknown:
        raise ValidationError(_("不明な権限です: %(codes)s") % {"codes": ", ".join(unknown)})
    if PermissionProfile.objects.for_tenant(tenant).filter(name=name).exclude(pk=getattr(profile, "pk", None)).exists():
        raise ValidationError({"name": _("同じ名前の権限プロファイルがすでにあります。")})
    action = "permission_profile.update" if profile else "permission_profile.create"
    profile = profile or PermissionProfile(tenant=tenant)
    before = _snapshot(profile, ["name", "permissions"]) if profile.pk else {}
    profile.name = name
    profile.permissions = sorted(set(permissions))
    with transaction.atomic():
        profile.save()
        _changed(tenant=tenant, actor=actor, action=action, target=profile, before=before,
                 after=_snapshot(profile, ["name", "permissions"]))
    return profile


def permission_profile_delete(*, profile: PermissionProfile, actor) -> None:
    """Delete a profile; its members keep their membership without a profile."""
    with transaction.atomic():
        _changed(tenant=profile.tenant, actor=actor, action="permission_profile.delete", target=profile,
                 before={"name": profile.name}, after={})
        profile.delete()


def membership_update(
    *, membership: Membership, actor, role: str, permission_profile: PermissionProfile | None
) -> Membership:
    """Change a member's role or profile. The last admin of a tenant cannot be demoted."""
    _check_profile_tenant(membership.tenant, permission_profile)
    if membership.is_admin and role != Membership.Role.ADMIN and _admin_count(membership.tenant) <= 1:
        raise ValidationError({"role": _("最後の管理者のロールは変更できません。先に別の管理者を設定してください。")})
    before = _snapshot(membership, ["role", "permission_profile"])
    membership.role = role
    membership.permission_profile = permission_profile
    with transaction.atomic():
        membership.save(update_fields=["role", "permission_profile", "updated_at"])
        _changed(tenant=membership.tenant, actor=actor, action="membership.update", target=membership,
                 before=before, after=_snapshot(membership, ["role", "permission_profile"]))
    return membership


def _admin_count(tenant: Tenant) -> int:
    from tenancy.selectors import active_admin_count

    return active_admin_count(tenant=tenant)


def _check_profile_tenant(tenant: Tenant, profile: PermissionProfile | None) -> None:
    if profile is not None and profile.tenant_id != tenant.pk:
        raise ValidationError({"permission_profile": _("この事業所の権限プロファイルを選んでください。")})


def _snapshot(instance: Model, fields: list[str]) -> dict:
    """The named fields' values now (a related row as its label, so a later change of the row cannot leak in)."""
    values = {name: getattr(instance, name) for name in fields}
    return {name: str(value) if isinstance(value, Model) else value for name, value in values.items()}


def _changed(*, tenant: Tenant, actor, action: str, target: Model, before: dict, after: dict) -> None:
    """Announce an audited change inside its transaction; core's receiver writes the audit entry."""
    tenancy_changed.send(sender=type(target), tenant=tenant, actor=actor, action=action, target=target,
                         before=before, after=after)
