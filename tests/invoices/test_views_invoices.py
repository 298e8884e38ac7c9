"""The deal page's 請求書 tab: who sees 請求書作成, what the tab says, and the API-like 403 for the rest."""

import pytest
from django.urls import reverse

from invoices.models import Invoice
from tenancy.permissions import FREEE_INVOICE_CREATE
from tests.factories import DealFactory, DealTypeFactory, InvoiceFactory, PermissionProfileFactory
from tests.isolation import assert_cross_tenant_404


@pytest.fixture
def connected(world_a):
    from integrations.models import FreeeConnection

    return FreeeConnection.objects.create(tenant=world_a.tenant, client_id="c", client_secret="s", company_id=1,
                                          access_token="t", refresh_token="r", status="connected")


def _tab(client, deal):
    return client.get(reverse("invoices:deal_tab", args=[deal.public_id])).content.decode()


def test_everyone_sees_the_button_when_profiles_are_off(world_a, linked_deal, connected):
    assert "請求書作成" in _tab(world_a.client("member"), linked_deal)


def test_with_profiles_on_only_holders_of_the_permission_see_it(world_a, linked_deal, connected):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    assert "請求書作成" not in _tab(world_a.client("member"), linked_deal)
    profile = PermissionProfileFactory(tenant=world_a.tenant, permissions=[FREEE_INVOICE_CREATE])
    world_a.member_membership.permission_profile = profile
    world_a.member_membership.save()
    assert "請求書作成" in _tab(world_a.client("member"), linked_deal)


def test_issuing_without_the_permission_is_403_and_creates_nothing(world_a, linked_deal, connected):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    response = world_a.client("member").post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                             {"partner_id": "5", "partner_name": "x"})
    assert response.status_code == 403 and "作成権限がありません" in response.content.decode()
    assert not Invoice.objects.exists()


def test_issuing_without_a_partner_says_a_freee_partner_is_needed(world_a, linked_deal, connected):
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]), {"partner_id": ""})
    assert response.status_code == 400 and "会計freeeに登録済みの取引先が必要" in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_second_issue_while_one_is_in_progress_is_refused(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, state=Invoice.State.NEEDS_CHECK, freee_invoice_id=None)
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                     {"partner_id": "5", "partner_name": "x"})
    assert "処理中の請求書があります" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_a_deal_type_not_linked_to_freee_has_no_tab(world_a, connected):
    deal = DealFactory(tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=False))
    assert "請求書タブはありません" in _tab(world_a.client(), deal)
    page = world_a.client().get(reverse("deals:detail", args=[deal.public_id])).content.decode()
    assert reverse("invoices:deal_tab", args=[deal.public_id]) not in page


def test_without_a_connection_the_tab_says_so(world_a, linked_deal):
    assert "freeeと接続されていません" in _tab(world_a.client(), linked_deal)


def test_the_tab_lists_invoices_with_the_four_statuses_in_japanese(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, sending_status="sent", payment_status="settled", deal_status="registered")
    page = _tab(world_a.client(), linked_deal)
    for label in ["送付済み", "決済済み", "取引登録済み", "INV-", "ステータス更新", "再連携"]:
        assert label in page


def test_other_tenants_invoice_urls_are_404(world_a, world_b):
    invoice = InvoiceFactory(deal=DealFactory(tenant=world_b.tenant), partner_name="Bの取引先")
    for name in ["invoices:row", "invoices:refresh", "invoices:resync", "invoices:retry"]:
        assert_cross_tenant_404(world_a.client(), reverse(name, args=[invoice.public_id]),
                                foreign_texts=("Bの取引先",), methods=("get", "post"))
