from django.urls import reverse

from tests.factories import DealFactory, InvoiceFactory


def test_the_list_shows_this_tenants_invoices_only_with_filters(world_a, world_b):
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant, name="Aの案件"), payment_status="settled")
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant, name="Aの未決済案件"), payment_status="unsettled")
    InvoiceFactory(deal=DealFactory(tenant=world_b.tenant, name="Bの案件"))
    page = world_a.client().get(reverse("invoices:list")).content.decode()
    assert "Aの案件" in page and "Aの未決済案件" in page and "Bの案件" not in page
    settled = world_a.client().get(reverse("invoices:list"), {"payment_status": "settled"}).content.decode()
    assert "Aの案件" in settled and "Aの未決済案件" not in settled


def test_empty_state_and_the_menu_link(world_a):
    page = world_a.client().get(reverse("invoices:list")).content.decode()
    assert "請求書はまだありません" in page and f'href="{reverse("invoices:list")}"' in page
