"""Removing or deactivating a member ends their sessions and API tokens for the tenant at once; their deals keep
the owner's name; the last admin can be neither removed, deactivated nor demoted; every change is audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from tenancy.models import Membership
from tests.factories import PASSWORD, DealFactory, MembershipFactory, api_token_key

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> Client:
    client = Client()
    client.post(reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.2.2.2")
    assert "_auth_user_id" in client.session
    return client


def act(world, action: str, membership):
    return world.client("admin").post(reverse(f"accounts:membership_{action}", args=[membership.public_id]))


def test_deactivating_ends_the_members_session_and_tokens_and_keeps_their_deals(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="担当案件", owner=world_a.member)
    session = signed_in("member_A")
    key = api_token_key(world_a.member)
    assert session.get(reverse("deals:list")).status_code == 200

    assert act(world_a, "deactivate", world_a.member_membership).status_code == 302

    assert session.get(reverse("deals:list"))["Location"].startswith("/login/")  # the session is gone
    assert Client().get("/api/v1/deals/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert signed_in("member_A").get(reverse("deals:list")).status_code == 403  # a new login has no tenant
    page = world_a.client("admin").get(reverse("deals:detail", args=[deal.public_id])).content.decode()
    assert "member_A" in page or world_a.member.get_full_name() in page
    assert "無効" in world_a.client("admin").get(reverse("tenancy:membership_list")).content.decode()
    entry = AuditEntry.objects.for_tenant(world_a.tenant).get(action="membership.deactivate")
    assert entry.target_label == "member_A"

    act(world_a, "reactivate", world_a.member_membership)
    assert signed_in("member_A").get(reverse("deals:list")).status_code == 200


def test_removing_a_member_of_two_tenants_ends_only_this_tenants_access(world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    key = api_token_key(world_a.member)
    in_a = signed_in("member_A")
    in_b = signed_in("member_A")
    in_b.post(reverse("tenancy:switch"), {"tenant": str(world_b.tenant.public_id)})

    assert act(world_a, "remove", world_a.member_membership).status_code == 302

    assert not Membership.objects.filter(tenant=world_a.tenant, user=world_a.member).exists()
    assert in_a.get(reverse("deals:list"))["Location"].startswith("/login/")
    assert in_b.get(reverse("deals:list")).status_code == 200
    token = {"HTTP_AUTHORIZATION": f"Token {key}"}
    refused = Client().get("/api/v1/deals/", HTTP_X_TENANT=str(world_a.tenant.public_id), **token)
    assert refused.status_code == 403
    assert Client().get("/api/v1/deals/", HTTP_X_TENANT=str(world_b.tenant.public_id), **token).status_code == 200
    assert AuditEntry.objects.for_tenant(world_a.tenant).filter(action="membership.remove").exists()


def test_removal_asks_for_confirmation_first(world_a):
    page = world_a.client("admin").get(
        reverse("accounts:membership_remove", args=[world_a.member_membership.public_id])
    )
    assert page.status_code == 200 and "削除します" in page.content.decode()
    assert Membership.objects.filter(pk=world_a.member_membership.pk).exists()


@pytest.mark.parametrize("action", ["deactivate", "remove"])
def test_the_last_admin_is_kept(world_a, action):
    client = world_a.client("admin")
    response = client.post(
        reverse(f"accounts:membership_{action}", args=[world_a.admin_membership.public_id]), follow=True
    )
    assert "最後の管理者は無効化・削除できません" in response.content.decode()
    membership = Membership.objects.get(pk=world_a.admin_membership.pk)
    assert membership.is_active and membership.role == "admin"


def test_the_last_admin_cannot_be_demoted_and_a_second_admin_can_go(world_a):
    demote = world_a.client("admin").post(
        reverse("tenancy:membership_update", args=[world_a.admin_membership.public_id]), {"role": "member"}
    )
    assert demote.status_code == 400 and "最後の管理者" in demote.content.decode()
    world_a.member_membership.role = "admin"
    world_a.member_membership.save()
    assert act(world_a, "deactivate", world_a.admin_membership).status_code == 302
    assert not Membership.objects.get(pk=world_a.admin_membership.pk).is_active


def test_another_tenants_member_is_a_404(world_a, world_b):
    for action in ("deactivate", "reactivate", "remove"):
        response = act(world_a, action, world_b.member_membership)
        assert response.status_code == 404
    assert Membership.objects.get(pk=world_b.member_membership.pk).is_active
