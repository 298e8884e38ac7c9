"""Tenant B's objects for every object route of the accounts app (invitations, members, exports)."""

import itertools
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import Invitation, TenantExport
from tests.factories import JobFactory, MembershipFactory, UserFactory

SECRET_GUEST = "secret-guest"
_serial = itertools.count(1)


def _invitation(world):
    return Invitation.objects.create(
        tenant=world.tenant,
        email=f"{SECRET_GUEST}-{next(_serial)}@example.jp",
        invited_by=world.admin,
        nonce=secrets.token_hex(16),
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )


def _member(world):
    """A member of its own for each call: the actions deactivate or remove it."""
    user = UserFactory(username=f"secret_member_{next(_serial)}")
    return MembershipFactory(tenant=world.tenant, user=user)


def _export(world):
    job = JobFactory(tenant=world.tenant, kind="accounts.tenant_export", error="他テナントの秘密エクスポート")
    return TenantExport.objects.create(tenant=world.tenant, job=job, archive=b"PK\x05\x06" + b"\0" * 18, size=22)


OBJECT_FACTORIES = {
    "accounts:invitation_resend": (_invitation, SECRET_GUEST),
    "accounts:invitation_revoke": (_invitation, SECRET_GUEST),
    "accounts:membership_deactivate": (_member, "secret_member"),
    "accounts:membership_reactivate": (_member, "secret_member"),
    "accounts:membership_remove": (_member, "secret_member"),
    "accounts:export_download": (_export, "他テナントの秘密エクスポート"),
}

# Admin screens: members get 403 before any lookup.
ADMIN_ONLY = set(OBJECT_FACTORIES)
