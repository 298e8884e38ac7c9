"""The Django admin (staff only): a membership's permission profile comes from the membership's own tenant."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import PermissionProfileFactory, UserFactory


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_tenant_page_offers_only_that_tenants_profiles(staff_client, world_a, world_b):
    own = PermissionProfileFactory(tenant=world_a.tenant, name="Aの請求担当")
    PermissionProfileFactory(tenant=world_b.tenant, name="Bの請求担当")

    response = staff_client.get(reverse("admin:tenancy_tenant_change", args=[world_a.tenant.pk]))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert all(list(form.fields["permission_profile"].queryset) == [own] for form in formset.forms)
    html = response.content.decode()
    assert "Aの請求担当" in html and "Bの請求担当" not in html


def test_a_membership_cannot_take_another_tenants_profile(world_a, world_b):
    membership = world_a.member_membership
    membership.permission_profile = PermissionProfileFactory(tenant=world_b.tenant)

    with pytest.raises(ValidationError) as error:
        membership.full_clean()

    assert "permission_profile" in error.value.message_dict


def test_the_membership_admin_refuses_another_tenants_profile(staff_client, world_a, world_b):
    membership = world_a.member_membership
    foreign = PermissionProfileFactory(tenant=world_b.tenant)

    response = staff_client.post(reverse("admin:tenancy_membership_change", args=[membership.pk]), {
        "tenant": world_a.tenant.pk, "user": world_a.member.pk, "role": membership.role,
        "permission_profile": foreign.pk,
    })

    assert response.status_code == 200  # the form again, with the error
    assert "permission_profile" in response.context["adminform"].form.errors
    membership.refresh_from_db()
    assert membership.permission_profile is None
