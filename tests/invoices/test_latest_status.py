"""freee最新請求ステータス: the newest invoice that is not canceled; 取消 only when every invoice is canceled."""

import datetime as dt

from django.utils import timezone

from invoices.models import Invoice
from invoices.services import deal_latest_status_update
from tests.factories import DealFactory, InvoiceFactory


def _invoice(deal, minutes_ago, **fields):
    invoice = InvoiceFactory(deal=deal, **fields)
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return invoice


def test_the_newest_invoice_decides(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    _invoice(deal, 10, payment_status="settled")
    _invoice(deal, 1, payment_status="unsettled")
    deal_latest_status_update(deal_id=deal.pk)
    deal.refresh_from_db()
    assert deal.freee_latest_status == "unsettled" and deal.get_freee_latest_status_display() == "決済待ち"


def test_a_canceled_newest_invoice_no_longer_counts(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    _invoice(deal, 10, payment_status="settled")
    _invoice(deal, 1, cancel_status="canceled")
    deal_latest_status_update(deal_id=deal.pk)
    deal.refresh_from_db()
    assert deal.freee_latest_status == "settled"


def test_only_canceled_invoices_show_torikeshi(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    _invoice(deal, 1, cancel_status="canceled")
    deal_latest_status_update(deal_id=deal.pk)
    deal.refresh_from_db()
    assert deal.get_freee_latest_status_display() == "取消"


def test_a_canceled_invoice_row_shows_torikeshi_in_the_tab(world_a):
    from django.urls import reverse

    deal = DealFactory(tenant=world_a.tenant)
    invoice = _invoice(deal, 1, cancel_status="canceled")
    row = world_a.client().get(reverse("invoices:row", args=[invoice.public_id])).content.decode()
    assert "<strong>取消</strong>" in row and "再連携" not in row
