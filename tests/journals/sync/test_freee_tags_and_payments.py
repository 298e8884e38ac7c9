"""freee会計 as the target: the 案件 travels as a メモタグ on every row of its documents' deals (when the plan
carries 案件), one tag per 案件 however many syncs; and an invoice that is unsettled again loses its payment in
freee. Real PostgreSQL transactions and the sandbox over real HTTP (see conftest.freee_target)."""

import pytest
from django.db import transaction

from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import next_ids, resource_save
from invoices import ledger as invoice_ledger
from journals.sync import services
from journals.sync.models import FreeeProjectTag, SyncedDocument, SyncRecord, SyncSettings
from journals.sync.targets import project_tag_name
from tests.factories import DealFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sync(world, document_type: str, document_id: int) -> SyncRecord:
    record = services.document_sync(tenant=world.tenant, document_type=document_type, document_id=document_id,
                                    actor=world.member)
    services.sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == SyncRecord.Status.DONE, record.error_message
    return record


def _remote(company, kind: str) -> list[dict]:
    return [r.data for r in SandboxResource.objects.filter(company=company, kind=kind).order_by("resource_id")]


def _tag_ids(deal: dict) -> set[tuple[int, ...]]:
    return {tuple(detail["tag_ids"]) for detail in deal["details"]}


def test_the_freee_deal_carries_the_deals_tag(freee_target, world_a):
    company, partner_id = freee_target
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, deal__name="基幹システム刷新", partner_id=partner_id)
    record = _sync(world_a, "invoice", invoice.pk)
    (tag,) = _remote(company, "tag")
    (deal,) = _remote(company, "deal")
    assert tag["name"] == "案件: 基幹システム刷新"
    assert deal["id"] == record.freee_deal_id and _tag_ids(deal) == {(tag["id"],)}
    cached = FreeeProjectTag.objects.get(tenant=world_a.tenant, deal=invoice.deal)
    assert cached.freee_tag_id == tag["id"] and cached.company_id == company.company_id


def test_two_syncs_of_documents_of_the_same_deal_reuse_one_tag(freee_target, world_a):
    company, partner_id = freee_target
    project = DealFactory(tenant=world_a.tenant, name="保守契約 2026")
    first, second = (InvoiceFactory(deal=project, partner_id=partner_id, total_amount=amount)
                     for amount in (110000, 55000))
    _sync(world_a, "invoice", first.pk)
    _sync(world_a, "invoice", second.pk)
    _sync(world_a, "invoice", first.pk)  # an edit (PUT) keeps the tag too
    (tag,) = _remote(company, "tag")
    deals = _remote(company, "deal")
    assert len(deals) == 2 and all(_tag_ids(d) == {(tag["id"],)} for d in deals)


def test_a_tag_of_that_name_already_in_freee_is_reused_not_duplicated(freee_target, world_a):
    company, partner_id = freee_target
    existing = {"id": next_ids(company, "tag")[0], "company_id": company.company_id, "name": "案件: 既存の案件",
                "update_date": "2026-01-05", "shortcut1": None, "shortcut2": None}
    resource_save(company=company, kind="tag", data=existing)
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, deal__name="既存の案件", partner_id=partner_id)
    _sync(world_a, "invoice", invoice.pk)
    assert [t["id"] for t in _remote(company, "tag")] == [existing["id"]]
    assert _tag_ids(_remote(company, "deal")[0]) == {(existing["id"],)}


def test_a_renamed_deal_gets_the_tag_of_its_new_name(freee_target, world_a):
    company, partner_id = freee_target
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, deal__name="旧名称", partner_id=partner_id)
    _sync(world_a, "invoice", invoice.pk)
    type(invoice.deal).objects.filter(pk=invoice.deal_id).update(name="新名称")
    _sync(world_a, "invoice", invoice.pk)
    tags = {t["name"]: t["id"] for t in _remote(company, "tag")}
    assert set(tags) == {"案件: 旧名称", "案件: 新名称"}
    assert _tag_ids(_remote(company, "deal")[0]) == {(tags["案件: 新名称"],)}


def test_no_tag_is_sent_when_the_plan_does_not_carry_the_deal(freee_target, world_a):
    company, partner_id = freee_target
    world_a.tenant.plan = "standard"
    world_a.tenant.save(update_fields=["plan"])
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, partner_id=partner_id)
    _sync(world_a, "invoice", invoice.pk)
    assert _remote(company, "tag") == []
    assert _tag_ids(_remote(company, "deal")[0]) == {()}


def test_the_tag_name_is_cut_to_freees_30_characters():
    assert project_tag_name("  長い  案件名" + "あ" * 40) == ("案件: 長い 案件名" + "あ" * 40)[:30]
    assert len(project_tag_name("あ" * 40)) == 30


# --------------------------------------------------------------------------- 入金 and its removal


def _settled_invoice_in_freee(freee_target, world):
    company, partner_id = freee_target
    invoice = InvoiceFactory(deal__tenant=world.tenant, partner_id=partner_id, total_amount=33000,
                             payment_status="settled")
    _sync(world, "invoice", invoice.pk)
    _sync(world, "receipt", invoice.pk)
    (deal,) = _remote(company, "deal")
    assert deal["status"] == "settled" and len(deal["payments"]) == 1
    return company, invoice


def test_the_payment_is_kept_on_the_receipts_link_and_a_resync_does_not_add_it_twice(freee_target, world_a):
    company, invoice = _settled_invoice_in_freee(freee_target, world_a)
    _sync(world_a, "receipt", invoice.pk)
    (deal,) = _remote(company, "deal")
    link = SyncedDocument.objects.get(tenant=world_a.tenant, document_type="receipt", document_id=invoice.pk)
    assert [p["id"] for p in deal["payments"]] == [link.freee_payment_id] and link.freee_deal_id == deal["id"]


def test_unsettling_an_invoice_removes_its_payment_in_freee(freee_target, world_a):
    company, invoice = _settled_invoice_in_freee(freee_target, world_a)
    SyncSettings.objects.filter(tenant=world_a.tenant).update(auto_sync=True)
    before = invoice_ledger.snapshot(invoice)
    invoice.payment_status = "unsettled"
    with transaction.atomic():
        invoice.save(update_fields=["payment_status"])
        invoice_ledger.invoices_changed(tenant=world_a.tenant, changes=[(before, invoice)])
    record = SyncRecord.objects.get(document_type="receipt", operation=SyncRecord.Operation.DELETE)
    services.sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    (deal,) = _remote(company, "deal")
    assert record.status == SyncRecord.Status.DONE, record.error_message
    assert deal["payments"] == [] and deal["status"] == "unsettled" and deal["due_amount"] == 33000
    link = SyncedDocument.objects.get(tenant=world_a.tenant, document_type="receipt", document_id=invoice.pk)
    assert link.deleted and link.freee_payment_id is None

    invoice.payment_status = "settled"  # settled again later: the payment comes back, once
    invoice.save(update_fields=["payment_status"])
    _sync(world_a, "receipt", invoice.pk)
    (deal,) = _remote(company, "deal")
    assert deal["status"] == "settled" and len(deal["payments"]) == 1


def test_a_payment_removed_in_freee_already_is_not_an_error(freee_target, world_a):
    company, invoice = _settled_invoice_in_freee(freee_target, world_a)
    resource = SandboxResource.objects.get(company=company, kind="deal")
    resource.data = {**resource.data, "payments": [], "due_amount": 33000, "status": "unsettled"}
    resource.save()
    SyncSettings.objects.filter(tenant=world_a.tenant).update(auto_sync=True)
    with transaction.atomic():
        (record,) = services.documents_changed(tenant=world_a.tenant, document_type="receipt",
                                               document_ids=[invoice.pk], operation="delete")
    services.sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == SyncRecord.Status.DONE, record.error_message
