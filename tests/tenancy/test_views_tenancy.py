"""Tenant switcher and the admin settings screens."""

import pytest
from django.urls import reverse

from tenancy.models import Membership, PermissionProfile
from tenancy.permissions import CSV_EXPORT, FREEE_INVOICE_CREATE
from tests.factories import DealFactory, MembershipFactory, PermissionProfileFactory
from tests.isolation import assert_cross_tenant_404

ADMIN_PAGES = ["tenancy:settings", "tenancy:membership_list", "tenancy:permission_profile_list",
               "tenancy:permission_profile_create"]


@pytest.fixture
def two_tenant_user(world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    return world_a.member


def test_request_tenant_is_the_users_first_membership(world_a):
    response = world_a.client().get(reverse("deals:list"))
    assert response.wsgi_request.tenant == world_a.tenant


def test_switching_tenant_changes_request_tenant(two_tenant_user, world_a, world_b):
    client = world_a.client()
    response = client.post(reverse("tenancy:switch"), {"tenant": str(world_b.tenant.public_id), "next": "/deals/"})
    assert response.status_code == 302 and response["Location"] == "/deals/"
    DealFactory(tenant=world_b.tenant, name="Bの案件")
    assert "Bの案件" in client.get("/deals/").content.decode()


def test_switching_to_a_tenant_the_user_does_not_belong_to_is_404(world_a, world_b):
    client = world_a.client()
    assert client.post(reverse("tenancy:switch"), {"tenant": str(world_b.tenant.public_id)}).status_code == 404
    assert client.post(reverse("tenancy:switch"), {"tenant": "not-a-uuid"}).status_code == 404
    assert client.get("/deals/").wsgi_request.tenant == world_a.tenant


def test_switch_ignores_an_offsite_next_url(two_tenant_user, world_a, world_b):
    response = world_a.client().post(
        reverse("tenancy:switch"), {"tenant": str(world_b.tenant.public_id), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_header_shows_tenant_switcher_only_for_users_of_several_tenants(two_tenant_user, world_a):
    assert 'id="tenant-switch"' in world_a.client().get("/deals/").content.decode()
    assert 'id="tenant-switch"' not in world_a.client("admin").get("/deals/").content.decode()


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_members_get_403_on_admin_screens(name, world_a):
    response = world_a.client("member").get(reverse(name))
    assert response.status_code == 403
    assert "管理者のみ" in response.content.decode()


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admins_open_admin_screens(name, world_a):
    assert world_a.client("admin").get(reverse(name)).status_code == 200


def test_settings_link_is_shown_to_admins_only(world_a):
    assert reverse("tenancy:settings") in world_a.client("admin").get("/deals/").content.decode()
    assert reverse("tenancy:settings") not in world_a.client("member").get("/deals/").content.decode()


def test_admin_turns_permission_profiles_on(world_a):
    response = world_a.client("admin").post(reverse("tenancy:settings"),
                                            {"name": "新しい名前", "uses_permission_profiles": "on"})
    assert response.status_code == 302
    world_a.tenant.refresh_from_db()
    assert world_a.tenant.uses_permission_profiles and world_a.tenant.name == "新しい名前"


def test_blank_tenant_name_is_rejected_and_nothing_changes(world_a):
    response = world_a.client("admin").post(reverse("tenancy:settings"), {"name": ""})
    assert response.status_code == 400
    world_a.tenant.refresh_from_db()
    assert world_a.tenant.name == "テナントA株式会社"


def test_admin_creates_a_permission_profile(world_a):
    response = world_a.client("admin").post(
        reverse("tenancy:permission_profile_create"), {"name": "営業", "permissions": [FREEE_INVOICE_CREATE]}
    )
    assert response.status_code == 302
    profile = PermissionProfile.objects.get(tenant=world_a.tenant, name="営業")
    assert profile.permissions == [FREEE_INVOICE_CREATE]


def test_duplicate_profile_name_is_a_form_error(world_a):
    PermissionProfileFactory(tenant=world_a.tenant, name="営業")
    response = world_a.client("admin").post(reverse("tenancy:permission_profile_create"),
                                            {"name": "営業", "permissions": [CSV_EXPORT]})
    assert response.status_code == 400
    assert "同じ名前の権限プロファイル" in response.content.decode()
    assert PermissionProfile.objects.for_tenant(world_a.tenant).count() == 1


def test_deleting_a_profile_asks_first_then_unassigns_it(world_a):
    profile = PermissionProfileFactory(tenant=world_a.tenant)
    world_a.member_membership.permission_profile = profile
    world_a.member_membership.save()
    client = world_a.client("admin")
    url = reverse("tenancy:permission_profile_delete", args=[profile.public_id])
    assert "削除しますか" in client.get(url).content.decode()
    assert PermissionProfile.objects.filter(pk=profile.pk).exists()
    assert client.post(url).status_code == 302
    world_a.member_membership.refresh_from_db()
    assert world_a.member_membership.permission_profile is None


def test_admin_assigns_a_profile_to_a_member(world_a):
    profile = PermissionProfileFactory(tenant=world_a.tenant)
    url = reverse("tenancy:membership_update", args=[world_a.member_membership.public_id])
    response = world_a.client("admin").post(url, {"role": "member", "permission_profile": profile.pk})
    assert response.status_code == 302
    world_a.member_membership.refresh_from_db()
    assert world_a.member_membership.permission_profile == profile


def test_another_tenants_profile_cannot_be_assigned(world_a, world_b):
    foreign = PermissionProfileFactory(tenant=world_b.tenant)
    url = reverse("tenancy:membership_update", args=[world_a.member_membership.public_id])
    response = world_a.client("admin").post(url, {"role": "member", "permission_profile": foreign.pk})
    assert response.status_code == 400
    world_a.member_membership.refresh_from_db()
    assert world_a.member_membership.permission_profile is None


def test_the_last_admin_cannot_be_demoted(world_a):
    url = reverse("tenancy:membership_update", args=[world_a.admin_membership.public_id])
    response = world_a.client("admin").post(url, {"role": "member", "permission_profile": ""})
    assert response.status_code == 400
    assert "最後の管理者" in response.content.decode()
    world_a.admin_membership.refresh_from_db()
    assert world_a.admin_membership.role == Membership.Role.ADMIN


def test_admin_pages_of_other_tenant_objects_are_404(world_a, world_b):
    profile = PermissionProfileFactory(tenant=world_b.tenant, name="B専用")
    client = world_a.client("admin")
    assert_cross_tenant_404(client, reverse("tenancy:permission_profile_update", args=[profile.public_id]),
                            foreign_texts=("B専用",), methods=("get", "post"))
    assert_cross_tenant_404(client, reverse("tenancy:membership_update", args=[world_b.member_membership.public_id]),
                            foreign_texts=("member_B",), methods=("get", "post"))
