"""メンバー招待: create, resend, revoke and accept invitations; the signed, single-use link and its mail."""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Invitation, UserProfile
from accounts.selectors import user_for_email
from core import audit
from tenancy import services as tenancy_services
from tenancy.models import Membership, PermissionProfile, Tenant

SALT = "accounts.invitation"
MAX_PER_SUBMISSION = 50


class InvitationUnusable(Exception):
    """Why a link cannot be used; `reason` picks the page's explanation (templates/accounts/invitation_*)."""

    FORGED, REPLACED, REVOKED, EXPIRED, USED = "forged", "replaced", "revoked", "expired", "used"
    MESSAGES = {
        FORGED: gettext_lazy(
            "この招待リンクは正しくありません。メールのリンクを途中で切らずにそのまま開くか、"
            "管理者に招待の再送信を依頼してください。"
        ),
        REPLACED: gettext_lazy(
            "この招待リンクは、再送信された新しいリンクに置き換えられています。"
            "いちばん新しい招待メールのリンクを開いてください。"
        ),
        REVOKED: gettext_lazy(
            "この招待は管理者によって取り消されました。参加が必要な場合は、管理者にお問い合わせください。"
        ),
        EXPIRED: gettext_lazy("この招待の有効期限が切れています。管理者に招待の再送信を依頼してください。"),
        USED: gettext_lazy("この招待はすでに使われています。ログインして事業所を切り替えてください。"),
    }

    def __init__(self, reason: str, invitation: Invitation | None = None) -> None:
        super().__init__(reason)
        self.reason, self.invitation = reason, invitation

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.reason])


def invitation_token(invitation: Invitation) -> str:
    """The signed link's key: the tenant, the invitation and its current nonce."""
    return signing.dumps([str(invitation.tenant.public_id), str(invitation.public_id), invitation.nonce], salt=SALT)


def invitation_url(request, invitation: Invitation) -> str:
    return request.build_absolute_uri(reverse("accounts:invitation_accept", args=[invitation_token(invitation)]))


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link stands for, or InvitationUnusable saying why not. A link signed for another
    tenant's id than the invitation's (or for no invitation) is as good as forged."""
    try:
        tenant_id, invitation_id, nonce = signing.loads(token, salt=SALT)
        invitation = (
            Invitation.objects.select_related("tenant", "permission_profile")
            .filter(tenant__public_id=tenant_id, public_id=invitation_id)
            .first()
        )
    except (signing.BadSignature, ValueError, TypeError, ValidationError) as error:
        raise InvitationUnusable(InvitationUnusable.FORGED) from error
    if invitation is None:
        raise InvitationUnusable(InvitationUnusable.FORGED)
    _raise_unless_pending(invitation)
    if not secrets.compare_digest(invitation.nonce, str(nonce)):
        raise InvitationUnusable(InvitationUnusable.REPLACED, invitation)
    return invitation


def _raise_unless_pending(invitation: Invitation) -> None:
    reason = {
        Invitation.State.ACCEPTED: InvitationUnusable.USED,
        Invitation.State.REVOKED: InvitationUnusable.REVOKED,
        Invitation.State.EXPIRED: InvitationUnusable.EXPIRED,
    }.get(invitation.state)
    if reason:
        raise InvitationUnusable(reason, invitation)


def _expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_EXPIRE_DAYS)


def _member_emails(tenant: Tenant) -> set[str]:
    return {
        e.lower()
        for e in Membership.objects.for_tenant(tenant).filter(is_active=True).values_list("user__email", flat=True)
        if e
    }


def invitation_create(
    *, tenant: Tenant, actor, emails: list[str], role: str, permission_profile: PermissionProfile | None, request
) -> list[Invitation]:
    """Invite each address (already a member, or already invited and pending: refused, saying which), then mail
    each its link. The rows commit before any mail is sent."""
    emails = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    if not emails:
        raise ValidationError({"emails": _("招待するメールアドレスを入力してください。")})
    if len(emails) > MAX_PER_SUBMISSION:
        raise ValidationError({"emails": _("一度に招待できるのは%(n)s件までです。") % {"n": MAX_PER_SUBMISSION}})
    if permission_profile is not None and permission_profile.tenant_id != tenant.pk:
        raise ValidationError({"permission_profile": _("この事業所の権限プロファイルを選んでください。")})
    members = sorted(set(emails) & _member_emails(tenant))
    if members:
        raise ValidationError({"emails": _("すでにメンバーです: %(emails)s") % {"emails": ", ".join(members)}})
    pending = sorted(
        i.email
        for i in Invitation.objects.for_tenant(tenant).filter(email__in=emails)
        if i.state == Invitation.State.PENDING
    )
    if pending:
        raise ValidationError(
            {"emails": _("招待中です（一覧から再送信できます）: %(emails)s") % {"emails": ", ".join(pending)}}
        )
    with transaction.atomic():
        invitations = [
            Invitation.objects.create(
                tenant=tenant,
                email=email,
                role=role,
                permission_profile=permission_profile,
                invited_by=actor,
                nonce=secrets.token_hex(16),
                sent_at=timezone.now(),
                expires_at=_expiry(),
            )
            for email in emails
        ]
        for invitation in invitations:
            audit.audit_record(
                tenant=tenant,
                actor=actor,
                action="invitation.create",
                target=invitation,
                changes={
                    "email": [None, invitation.email],
                    "role": [None, role],
                    "permission_profile": [None, str(permission_profile or "") or None],
                },
            )
    for invitation in invitations:
        _send(request, invitation)
    return invitations


def invitation_resend(*, invitation: Invitation, actor, request) -> Invitation:
    """A new link (the old one stops working) valid for another INVITATION_EXPIRE_DAYS; not for an accepted or
    revoked invitation."""
    if invitation.state in (Invitation.State.ACCEPTED, Invitation.State.REVOKED):
        raise ValidationError(_("参加済み・取り消し済みの招待は再送信できません。新しく招待してください。"))
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(
            nonce=secrets.token_hex(16), sent_at=timezone.now(), expires_at=_expiry()
        )
        invitation.refresh_from_db()
        audit.audit_record(tenant=invitation.tenant, actor=actor, action="invitation.resend", target=invitation)
    _send(request, invitation)
    return invitation


def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    if invitation.state == Invitation.State.ACCEPTED:
        raise ValidationError(_("参加済みの招待は取り消せません。メンバーの一覧から無効化または削除してください。"))
    with transaction.atomic():
        if Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            audit.audit_record(tenant=invitation.tenant, actor=actor, action="invitation.revoke", target=invitation)
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Join the invitation's tenant as `user` (whose address it was sent to), once: the row is locked and checked
    again, so two clicks cannot both join. A deactivated member of the tenant is reactivated with the new role."""
    invitation = Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    _raise_unless_pending(invitation)
    if (user.email or "").lower() != invitation.email.lower():
        raise ValidationError(
            _("この招待は %(email)s 宛てです。そのアドレスのアカウントでログインしてください。")
            % {"email": invitation.email}
        )
    tenant = invitation.tenant
    profile = invitation.permission_profile
    membership = Membership.objects.for_tenant(tenant).filter(user=user).first()
    if membership is not None and membership.is_active:
        raise ValidationError(_("すでにこの事業所のメンバーです。"))
    if membership is None:
        membership = tenancy_services.membership_create(
            tenant=tenant, user=user, role=invitation.role, permission_profile=profile
        )
    else:
        membership.role, membership.permission_profile, membership.is_active = invitation.role, profile, True
        membership.save(update_fields=["role", "permission_profile", "is_active", "updated_at"])
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit.audit_record(
        tenant=tenant,
        actor=user,
        action="invitation.accept",
        target=invitation,
        changes={"member": [None, user.get_username()], "role": [None, invitation.role]},
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(*, invitation: Invitation, name: str, password: str, language: str):
    """Accept with a new login for the invited address (verified: the link reached it). Returns the user."""
    if user_for_email(invitation.email) is not None:
        raise ValidationError(_("このアドレスのアカウントはすでにあります。ログインしてから招待を承諾してください。"))
    adapter = get_adapter()
    username = adapter.generate_unique_username([invitation.email.split("@")[0], name, "user"])
    user = tenancy_services.user_create(
        username=username, password=password, email=invitation.email, first_name=name.strip()
    )
    UserProfile.objects.create(user=user, language=language)
    invitation_accept(invitation=invitation, user=user)
    return user


def _send(request, invitation: Invitation) -> None:
    """The invitation mail, in the invitee's language if they have an account, else in the inviter's."""
    recipient = user_for_email(invitation.email)
    get_adapter(request).send_mail(
        "accounts/email/invitation",
        invitation.email,
        {
            "user": recipient,
            "invitation": invitation,
            "tenant": invitation.tenant,
            "inviter": invitation.invited_by,
            "accept_url": invitation_url(request, invitation),
            "expire_days": settings.INVITATION_EXPIRE_DAYS,
            "has_account": recipient is not None,
        },
    )
