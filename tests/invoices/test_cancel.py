"""取消 and 取消解除 of an issued invoice (issue 19 item 2): from the deal page and the API, against the sandbox over
real HTTP; freee deletes the linked 取引 on cancel, the deal's latest status follows, the ledger sync is told, a
new invoice may be issued afterwards, and every refusal says why without sending anything to freee."""

import json

import pytest

from core.models import AuditEntry
from integrations.models import ApiCallLog
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import resource_save, sandbox_invoice_status_set
from invoices import services
from invoices.models import Invoice
from journals.sync.models import SyncRecord, SyncSettings
from tests.factories import DealFactory, InvoiceFactory
from tests.invoices.conftest import first_partner, sandbox_invoices

pytestmark = pytest.mark.django_db(transaction=True)


def _issued(world, company, deal=None) -> Invoice:
    deal = deal or DealFactory(tenant=world.tenant, name="取消する案件", amount=110000)
    partner = first_partner(company)
    invoice = services.invoice_issue(deal=deal, membership=world.member_membership, partner_id=partner["id"],
                                     partner_name=partner["name"])
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED
    return invoice


def _remote(company, invoice) -> dict:
    return SandboxResource.objects.get(company=company, kind="invoice", resource_id=invoice.freee_invoice_id).data


def _registered_in_freee(company, invoice) -> int:
    """取引反映 as a freee user would do it: a 取引 linked to the invoice."""
    deal_id = 880_000 + invoice.pk
    resource_save(company=company, kind="deal", data={"id": deal_id, "type": "income", "amount": 110000})
    row = SandboxResource.objects.get(company=company, kind="invoice", resource_id=invoice.freee_invoice_id)
    row.data.update(deal_id=deal_id, deal_status="registered")
    row.save(update_fields=["data"])
    return deal_id


def _puts(tenant) -> list[str]:
    return list(ApiCallLog.objects.filter(tenant=tenant, method="PUT").values_list("path", flat=True))


def _cancel_url(invoice, action="cancel") -> str:
    return f"/invoices/{invoice.public_id}/{action}/"


def test_cancel_from_the_deal_page_cancels_in_freee_and_the_deal_follows(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    deal_id = _registered_in_freee(company, invoice)
    SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)

    response = world_a.client().post(_cancel_url(invoice), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>取消</strong>" in page and "取消解除" in page and 'hx-confirm="' in page
    remote = _remote(company, invoice)
    assert remote["cancel_status"] == "canceled" and remote["deal_id"] is None
    assert not SandboxResource.objects.filter(company=company, kind="deal", resource_id=deal_id).exists()
    invoice.refresh_from_db()
    assert (invoice.cancel_status, invoice.deal_status) == ("canceled", "unregistered")
    invoice.deal.refresh_from_db()
    assert invoice.deal.freee_latest_status == "canceled"
    entry = AuditEntry.objects.get(tenant=world_a.tenant, action="invoice.cancel")
    assert entry.changes == {"cancel_status": ["uncanceled", "canceled"]} and entry.actor == world_a.member
    # the document's ordinary ledger sync is told (journals decides what a canceled invoice books)
    assert SyncRecord.objects.filter(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                     operation="edit").exists()


def test_the_row_offers_cancel_with_a_confirmation_only_to_holders_of_the_permission(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    row_url = f"/invoices/{invoice.public_id}/row/"
    page = world_a.client().get(row_url).content.decode()
    assert _cancel_url(invoice) in page and "紐づく取引もfreeeで削除されます" in page

    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    page = world_a.client().get(row_url).content.decode()
    assert _cancel_url(invoice) not in page


def test_a_member_without_the_invoice_permission_gets_403_and_nothing_is_sent(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    calls = ApiCallLog.objects.count()

    response = world_a.client().post(_cancel_url(invoice), HTTP_HX_REQUEST="true")

    assert response.status_code == 403 and "freee請求書の作成権限がありません" in response.content.decode()
    assert ApiCallLog.objects.count() == calls and _remote(company, invoice)["cancel_status"] == "uncanceled"


def test_cancel_of_an_invoice_already_canceled_in_freee_says_so_and_sends_no_put(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    row = SandboxResource.objects.get(company=company, kind="invoice", resource_id=invoice.freee_invoice_id)
    row.data["cancel_status"] = "canceled"
    row.save(update_fields=["data"])

    response = world_a.client().post(_cancel_url(invoice), HTTP_HX_REQUEST="true")

    assert response.status_code == 409 and "すでにfreeeで取り消されています" in response.content.decode()
    assert _puts(world_a.tenant) == []
    invoice.refresh_from_db()
    assert invoice.cancel_status == "canceled"  # what freee says is copied while refusing


def test_cancel_of_a_settled_invoice_is_refused_with_what_to_do(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                               value="settled")

    with pytest.raises(services.ApplicationError) as refused:
        services.invoice_cancel(invoice=invoice, membership=world_a.member_membership)

    assert refused.value.code == "invoice_settled" and "決済済みの請求書は取り消せません" in refused.value.message
    assert _puts(world_a.tenant) == [] and _remote(company, invoice)["cancel_status"] == "uncanceled"


def test_after_a_cancel_a_new_invoice_may_be_issued_and_the_deal_shows_it(sandbox, world_a):
    company, _connection = sandbox
    first = _issued(world_a, company)
    services.invoice_cancel(invoice=first, membership=world_a.member_membership)

    second = _issued(world_a, company, deal=first.deal)

    assert len(sandbox_invoices(company)) == 2 and second.cancel_status == "uncanceled"
    second.deal.refresh_from_db()
    assert second.deal.freee_latest_status == "unsettled"


def test_uncancel_is_refused_while_the_deal_has_a_live_invoice_and_allowed_after(sandbox, world_a):
    company, _connection = sandbox
    first = _issued(world_a, company)
    services.invoice_cancel(invoice=first, membership=world_a.member_membership)
    second = _issued(world_a, company, deal=first.deal)

    with pytest.raises(services.ApplicationError) as refused:
        services.invoice_uncancel(invoice=first, membership=world_a.member_membership)
    assert refused.value.code == "invoice_deal_has_live_invoice" and refused.value.http_status == 409

    services.invoice_cancel(invoice=second, membership=world_a.member_membership)
    services.invoice_uncancel(invoice=first, membership=world_a.member_membership)

    first.refresh_from_db()
    assert first.cancel_status == "uncanceled" and _remote(company, first)["cancel_status"] == "uncanceled"
    first.deal.refresh_from_db()
    assert first.deal.freee_latest_status == "unsettled"
    assert AuditEntry.objects.filter(tenant=world_a.tenant, action="invoice.uncancel").count() == 1


def test_uncancel_of_an_invoice_that_is_not_canceled_is_refused(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)

    response = world_a.client().post(_cancel_url(invoice, "uncancel"), HTTP_HX_REQUEST="true")

    assert response.status_code == 409 and "取り消されていません" in response.content.decode()
    assert _puts(world_a.tenant) == []


def test_cancel_and_uncancel_through_the_api(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    client = world_a.client()

    response = client.post(f"/api/v1/invoices/{invoice.public_id}/cancel/", "{}", content_type="application/json")
    assert response.status_code == 200 and response.json()["cancel_status"] == "canceled"

    again = client.post(f"/api/v1/invoices/{invoice.public_id}/cancel/", "{}", content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invoice_already_canceled"

    back = client.post(f"/api/v1/invoices/{invoice.public_id}/uncancel/", "{}", content_type="application/json")
    assert back.status_code == 200 and back.json()["cancel_status"] == "uncanceled"


def test_a_not_yet_issued_invoice_cannot_be_canceled(world_a):
    invoice = InvoiceFactory(deal=DealFactory(tenant=world_a.tenant), state=Invoice.State.PENDING,
                             freee_invoice_id=None)
    response = world_a.client().post(f"/api/v1/invoices/{invoice.public_id}/cancel/", "{}",
                                     content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_issued"


def test_another_tenants_invoice_is_404_for_cancel_and_uncancel(world_a, world_b):
    invoice = InvoiceFactory(deal=DealFactory(tenant=world_b.tenant), partner_name="B社の秘密取引先")
    for url in (_cancel_url(invoice), _cancel_url(invoice, "uncancel"),
                f"/api/v1/invoices/{invoice.public_id}/cancel/", f"/api/v1/invoices/{invoice.public_id}/uncancel/"):
        response = world_a.client().post(url, json.dumps({}), content_type="application/json")
        assert response.status_code == 404 and "B社の秘密取引先" not in response.content.decode()
