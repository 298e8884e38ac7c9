"""Writes of the account lifecycle: profile, sign-up, invitations, membership changes, leaving."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from accounts.models import UserProfile
from core import audit
from tenancy import services as tenancy_services
from tenancy.models import Membership, Tenant


@transaction.atomic
def profile_update(*, user, name: str, language: str) -> UserProfile:
    """Save the user's name and language (the language also decides the language of their e-mail)."""
    user.first_name = name.strip()
    user.save(update_fields=["first_name"])
    profile, _created = UserProfile.objects.update_or_create(user=user, defaults={"language": language})
    return profile


@transaction.atomic
def account_sign_up(*, user, company_name: str) -> Tenant:
    """新規登録: the new user's company becomes a tenant (with every default a tenant needs, tenant_create) and
    the user its admin. Runs in the transaction that created the user: on any failure nothing is left behind."""
    tenant = tenancy_services.tenant_create(name=company_name)
    tenancy_services.membership_create(tenant=tenant, user=user, role=Membership.Role.ADMIN)
    UserProfile.objects.update_or_create(user=user, defaults={"language": translation.get_language() or "ja"})
    audit.audit_record(
        tenant=tenant,
        actor=user,
        action="tenant.sign_up",
        target=tenant,
        changes={"name": [None, tenant.name], "admin": [None, user.get_username()]},
    )
    return tenant
