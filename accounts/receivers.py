"""allauth's signals recorded in the audit trail of every tenant the user belongs to: a changed e-mail address
and a 2FA authenticator set up or removed (the trail is per tenant; an account is shared by its tenants).
allauth sends the 2FA signals once its change is committed, so those entries follow right after it."""

from __future__ import annotations

from allauth.account.signals import email_changed
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.dispatch import receiver

from core import audit
from tenancy.models import Membership


def _record_for_each_tenant(user, action: str, changes: dict) -> None:
    for membership in Membership.objects.filter(user=user).select_related("tenant"):
        audit.audit_record(
            tenant=membership.tenant,
            actor=user,
            action=action,
            target=membership,
            target_label=user.get_username(),
            changes=changes,
        )


@receiver(email_changed, dispatch_uid="accounts.audit_email_change")
def audit_email_change(sender, request, user, from_email_address, to_email_address, **kwargs) -> None:
    before = from_email_address.email if from_email_address else None
    _record_for_each_tenant(user, "account.email_change", {"email": [before, to_email_address.email]})


@receiver(authenticator_added, dispatch_uid="accounts.audit_authenticator_added")
def audit_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type != authenticator.Type.RECOVERY_CODES:
        _record_for_each_tenant(user, "account.mfa_update", {str(authenticator.type): [None, "有効"]})


@receiver(authenticator_removed, dispatch_uid="accounts.audit_authenticator_removed")
def audit_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type != authenticator.Type.RECOVERY_CODES:
        _record_for_each_tenant(user, "account.mfa_update", {str(authenticator.type): ["有効", None]})
