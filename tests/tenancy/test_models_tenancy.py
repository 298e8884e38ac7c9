import pytest

from tenancy.models import Membership
from tenancy.permissions import FREEE_INVOICE_CREATE
from tests.factories import MembershipFactory, PermissionProfileFactory, TenantFactory


@pytest.fixture
def tenant_with_profiles(db):
    return TenantFactory(uses_permission_profiles=True)


def test_with_profiles_off_every_member_may_do_every_member_action(db):
    membership = MembershipFactory(tenant=TenantFactory(uses_permission_profiles=False))
    assert membership.has_perm(FREEE_INVOICE_CREATE)


def test_with_profiles_on_a_member_without_profile_may_not(tenant_with_profiles):
    assert not MembershipFactory(tenant=tenant_with_profiles).has_perm(FREEE_INVOICE_CREATE)


def test_with_profiles_on_the_profile_decides(tenant_with_profiles):
    granted = PermissionProfileFactory(tenant=tenant_with_profiles, permissions=[FREEE_INVOICE_CREATE])
    other = PermissionProfileFactory(tenant=tenant_with_profiles, permissions=[])
    assert MembershipFactory(tenant=tenant_with_profiles, permission_profile=granted).has_perm(FREEE_INVOICE_CREATE)
    assert not MembershipFactory(tenant=tenant_with_profiles, permission_profile=other).has_perm(FREEE_INVOICE_CREATE)


def test_admins_may_do_everything_even_with_profiles_on(tenant_with_profiles):
    admin = MembershipFactory(tenant=tenant_with_profiles, role=Membership.Role.ADMIN)
    assert admin.has_perm(FREEE_INVOICE_CREATE)


def test_an_unknown_permission_code_is_a_programming_error(db):
    with pytest.raises(ValueError):
        MembershipFactory().has_perm("no_such_permission")


def test_for_tenant_returns_only_that_tenants_rows(world_a, world_b):
    assert list(Membership.objects.for_tenant(world_a.tenant)) == [world_a.admin_membership,
                                                                   world_a.member_membership]
    assert not Membership.objects.for_tenant(None).exists()
