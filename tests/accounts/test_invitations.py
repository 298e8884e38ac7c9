"""メンバー招待: admins invite by address; each link is signed, single-use and expires; accepting creates the user or
adds a company to an existing login; an unusable link (forged, another tenant's, revoked, expired, replaced, used)
gets a page saying what to do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import SALT, invitation_token
from accounts.models import Invitation
from core.models import AuditEntry
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import Membership
from tests.factories import PASSWORD, PermissionProfileFactory
from tests.isolation import assert_cross_tenant_404

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "hoshi-no-kazu-hodo-58"


def invite(world, emails: str, **extra):
    mail.outbox.clear()
    return world.client("admin").post(
        reverse("accounts:invitation_list"), {"emails": emails, "role": "member", **extra}
    )


def link_in(message) -> str:
    return re.search(r"http://testserver(/invitations/[^/\s]+/)", message.body).group(1)


def test_an_admin_invites_several_addresses_with_a_role_and_profile(world_a):
    profile = PermissionProfileFactory(tenant=world_a.tenant, name="営業")
    response = invite(world_a, "sato@example.jp\ntanaka@example.jp", permission_profile=profile.pk)
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["sato@example.jp", "tanaka@example.jp"]
    message = mail.outbox[0]
    assert "テナントA株式会社" in message.subject and "招待を承諾してください" in message.body
    assert message.alternatives[0][1] == "text/html"
    invitations = Invitation.objects.for_tenant(world_a.tenant)
    assert {i.state for i in invitations} == {"pending"} and {i.permission_profile for i in invitations} == {profile}
    assert AuditEntry.objects.for_tenant(world_a.tenant).filter(action="invitation.create").count() == 2
    page = world_a.client("admin").get(reverse("accounts:invitation_list")).content.decode()
    assert "sato@example.jp" in page and "招待中" in page


@pytest.mark.parametrize(
    ("emails", "message"),
    [
        ("member_A@example.com", "すでにメンバーです"),
        ("not-an-address", "メールアドレスの形式が正しくありません"),
        ("   ", ""),
    ],
)
def test_bad_addresses_are_form_errors(world_a, emails, message):
    response = invite(world_a, emails)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_address_already_invited_is_refused_until_the_invitation_ends(world_a):
    invite(world_a, "sato@example.jp")
    again = invite(world_a, "sato@example.jp")
    assert again.status_code == 400 and "招待中です" in again.content.decode()


def test_a_new_person_accepts_creates_their_login_and_lands_in_the_tenant(world_a):
    profile = PermissionProfileFactory(tenant=world_a.tenant)
    invite(world_a, "sato@example.jp", permission_profile=profile.pk)
    link = link_in(mail.outbox[0])
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and "アカウントを作成して参加" in page.content.decode()
    weak = client.post(link, {"name": "佐藤", "password": "1234567890"})
    assert weak.status_code == 400 and not Membership.objects.filter(user__email="sato@example.jp").exists()

    joined = client.post(link, {"name": "佐藤 次郎", "password": NEW_PASSWORD})

    assert joined.status_code == 302
    membership = Membership.objects.get(tenant=world_a.tenant, user__email="sato@example.jp")
    assert membership.role == "member" and membership.permission_profile == profile
    assert membership.user.first_name == "佐藤 次郎"
    assert EmailAddress.objects.get(email="sato@example.jp").verified
    assert client.get(reverse("deals:list")).status_code == 200
    assert AuditEntry.objects.for_tenant(world_a.tenant).filter(action="invitation.accept").exists()
    used = Client().get(link)
    assert used.status_code == 410 and "すでに使われています" in used.content.decode()


def test_a_user_of_another_tenant_accepts_and_switches_between_both(world_a, world_b):
    invite(world_a, world_b.member.email)
    link = link_in(mail.outbox[0])
    assert "ログインして参加" in Client().get(link).content.decode()
    assert Client().post(link).status_code == 403  # not logged in as the invited account

    client = world_b.client("member")
    assert "参加する" in client.get(link).content.decode()
    assert client.post(link).status_code == 302
    assert client.session[SESSION_TENANT_KEY] == str(world_a.tenant.public_id)
    assert set(Membership.objects.filter(user=world_b.member).values_list("tenant__name", flat=True)) == {
        "テナントA株式会社",
        "テナントB株式会社",
    }
    header = client.get(reverse("deals:list")).content.decode()
    assert 'id="tenant-switch"' in header and "テナントB株式会社" in header


def test_someone_signed_in_as_another_account_is_told_to_log_out(world_a, world_b):
    invite(world_a, "sato@example.jp")
    link = link_in(mail.outbox[0])
    other = world_b.client("admin")
    page = other.get(link).content.decode()
    assert "別のアカウントでログインしています" in page
    assert other.post(link, {"name": "x", "password": NEW_PASSWORD}).status_code == 403
    assert not Membership.objects.filter(tenant=world_a.tenant, user=world_b.admin).exists()


def _token_for(tenant_public_id, invitation) -> str:
    return signing.dumps([str(tenant_public_id), str(invitation.public_id), invitation.nonce], salt=SALT)


def test_an_unusable_link_says_what_to_do(world_a, world_b):
    invite(world_a, "sato@example.jp")
    invitation = Invitation.objects.get()
    link = link_in(mail.outbox[0])

    forged = Client().get(link[:-3] + "x/")
    assert forged.status_code == 400 and "この招待リンクは正しくありません" in forged.content.decode()
    other_tenant = Client().get(
        reverse("accounts:invitation_accept", args=[_token_for(world_b.tenant.public_id, invitation)])
    )
    assert other_tenant.status_code == 400  # the link is useless under another tenant's id

    world_a.client("admin").post(reverse("accounts:invitation_resend", args=[invitation.public_id]))
    replaced = Client().get(link)
    assert replaced.status_code == 410 and "新しいリンクに置き換えられています" in replaced.content.decode()
    newest = link_in(mail.outbox[-1])
    assert Client().get(newest).status_code == 200

    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = Client().get(newest)
    assert expired.status_code == 410 and "有効期限が切れています" in expired.content.decode()
    assert Client().post(newest, {"name": "x", "password": NEW_PASSWORD}).status_code == 410

    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + timedelta(days=1))
    world_a.client("admin").post(reverse("accounts:invitation_revoke", args=[invitation.public_id]))
    revoked = Client().get(newest)
    assert revoked.status_code == 410 and "取り消されました" in revoked.content.decode()
    assert not Membership.objects.filter(user__email="sato@example.jp").exists()


def test_resending_renews_the_expiry_and_is_audited(world_a):
    invite(world_a, "sato@example.jp")
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    world_a.client("admin").post(reverse("accounts:invitation_resend", args=[invitation.public_id]))
    invitation.refresh_from_db()
    assert invitation.state == "pending" and invitation.expires_at > timezone.now() + timedelta(days=6)
    actions = set(AuditEntry.objects.for_tenant(world_a.tenant).values_list("action", flat=True))
    assert {"invitation.create", "invitation.resend"} <= actions


def test_another_tenants_invitation_is_a_404_and_members_cannot_invite(world_a, world_b):
    invite(world_b, "secret-guest@example.jp")
    foreign = Invitation.objects.for_tenant(world_b.tenant).get()
    for name in ("accounts:invitation_resend", "accounts:invitation_revoke"):
        assert_cross_tenant_404(
            world_a.client("admin"),
            reverse(name, args=[foreign.public_id]),
            foreign_texts=("secret-guest",),
            methods=("post",),
        )
    assert (
        world_a.client("member")
        .post(reverse("accounts:invitation_list"), {"emails": "x@example.jp", "role": "admin"})
        .status_code
        == 403
    )
    assert "secret-guest" not in world_a.client("admin").get(reverse("accounts:invitation_list")).content.decode()


def test_the_invitation_token_is_what_the_link_carries(world_a):
    invite(world_a, "sato@example.jp")
    invitation = Invitation.objects.get()
    assert link_in(mail.outbox[0]) == reverse("accounts:invitation_accept", args=[invitation_token(invitation)])
    assert Client().post(link_in(mail.outbox[0]), {"name": "佐藤", "password": PASSWORD + "-longer"}).status_code == 302
