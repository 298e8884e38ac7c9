"""The audit trail for settings and exports of the later features: invoice settings, 会計設定, API連携設定,
取引明細の書出 and its CSV, approval routes and the payment-request form settings, freee user links."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from integrations.freee import schemas
from payment_requests import mirror, services
from payment_requests.services import ResourceType
from tests.payment_requests.factories import flow_for

pytestmark = pytest.mark.django_db


def _entry(tenant, action) -> AuditEntry:
    (entry,) = AuditEntry.objects.filter(tenant=tenant, action=action)
    return entry


def test_invoice_settings_record_what_changed(world_a):
    response = world_a.client("admin").post(reverse("invoices:settings"), {
        "billing_date_rule": "today", "payment_term": "days_30", "subject_template": "{deal_name}のご請求",
        "tax_entry_method": "in", "tax_fraction": "round", "partner_title": "御中"})
    assert response.status_code == 302
    entry = _entry(world_a.tenant, "invoice_settings.update")
    assert entry.actor == world_a.admin
    assert entry.changes["payment_term"] == ["end_of_next_month", "days_30"]
    assert entry.changes["subject_template"] == ["{deal_name}", "{deal_name}のご請求"]
    assert "partner_title" not in entry.changes  # unchanged fields are not listed


def test_an_invalid_invoice_settings_form_records_nothing(world_a):
    response = world_a.client("admin").post(reverse("invoices:settings"), {"subject_template": ""})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="invoice_settings.update").exists()


def test_ledger_and_sync_settings_are_recorded(world_a):
    admin = world_a.client("admin")
    admin.post(reverse("journals:settings"), {"tax_accounting": "exclusive", "tax_rounding": "round",
                                              "tax_rates_in_use": ["5", "8", "r8", "10"]})  # as the page sends them
    admin.post(reverse("journal_sync:settings"), {"auto_sync": "on", "target": "builtin"})
    ledger = _entry(world_a.tenant, "ledger.settings_update")
    assert ledger.changes == {"tax_accounting": ["inclusive", "exclusive"], "tax_rounding": ["floor", "round"]}
    sync = _entry(world_a.tenant, "ledger.sync_settings_update")
    assert sync.changes == {"auto_sync": [False, True]} and sync.actor == world_a.admin


def test_an_export_job_and_the_trade_lines_csv_are_recorded_with_their_options(world_a):
    member = world_a.client("member")
    period = {"start": "2026-10-01", "end": "2026-10-31", "groups": ["sales"]}
    assert member.post(reverse("journal_sync:export"), {**period, "unsynced_only": "on"}).status_code == 200
    csv = member.get(reverse("journal_sync:export"), {**period, "format": "csv", "encoding": "cp932"})
    assert csv.status_code == 200
    export = _entry(world_a.tenant, "ledger.export")
    assert export.actor == world_a.member and export.target_type == "core.job"
    assert export.changes["start"] == [None, "2026-10-01"] and export.changes["unsynced_only"] == [None, True]
    download = _entry(world_a.tenant, "csv.export")
    assert download.target_label == "取引明細"
    assert download.changes["groups"] == [None, ["sales"]] and download.changes["encoding"] == [None, "cp932"]


def test_routes_are_recorded_when_created_changed_and_deleted(world_a):
    flow = flow_for(world_a)
    admin = flow.membership("admin")
    route = services.route_save(tenant=flow.tenant, membership=admin, name="部長承認", description="",
                                usages=["PaymentRequest"],
                                steps=[services.StepInput(ResourceType.PREDEFINED_USER, [flow.approver1])])
    services.route_save(tenant=flow.tenant, membership=admin, route=route, name="部長承認（2段階）", description="",
                        usages=["PaymentRequest"],
                        steps=[services.StepInput(ResourceType.PREDEFINED_USER, [flow.approver1]),
                               services.StepInput(ResourceType.UNSPECIFIED)])
    services.route_delete(route=route, membership=admin)
    entries = AuditEntry.objects.filter(tenant=flow.tenant, target_id=str(route.public_id)).order_by("id")
    assert [e.action for e in entries] == ["approval_route.create", "approval_route.update", "approval_route.delete"]
    created, updated, deleted = entries
    assert created.changes["steps"] == [None, [f"1. 承認者を指定 ({flow.approver1.username})"]]
    assert updated.changes["name"] == ["部長承認", "部長承認（2段階）"]
    assert updated.changes["steps"][1] == [f"1. 承認者を指定 ({flow.approver1.username})", "2. 指定なし"]
    assert deleted.changes["name"] == ["部長承認（2段階）", None]


def test_form_settings_the_mirror_switch_and_freee_user_links_are_recorded(world_a):
    flow = flow_for(world_a)
    admin = flow.membership("admin")
    services.form_setting_save(tenant=flow.tenant, membership=admin, required_fields=[],
                               usable_routes=[flow.route], default_route=flow.route)
    mirror.mirror_enable(tenant=flow.tenant, membership=admin, enabled=False)
    freee_users = [schemas.CompanyUser(id=7001, display_name="経理 花子", email="hanako@example.jp", first_name=None,
                                       last_name=None, first_name_kana=None, last_name_kana=None)]
    mirror.freee_user_links_save(tenant=flow.tenant, membership=admin, choices={flow.approver1.pk: 7001},
                                 freee_users=freee_users)
    form = AuditEntry.objects.filter(tenant=flow.tenant, action="payment_request.settings_update").order_by("id").last()
    assert form.changes["required_fields"] == [["payment_method"], []]
    assert form.changes["usable_routes"][1] == [flow.route.name]
    assert _entry(flow.tenant, "payment_request.mirror_update").changes == {"mirror_to_freee": [False, False]}
    links = _entry(flow.tenant, "payment_request.freee_users_update")
    assert links.changes == {flow.approver1.username: [None, freee_users[0].label]}


def test_deal_types_and_their_freee_link_are_recorded(world_a):
    admin = world_a.client("admin")
    admin.post(reverse("deals:type_list"), {"action": "add", "name": "スポット"})
    created = _entry(world_a.tenant, "deal_type.create")
    assert created.changes == {"name": [None, "スポット"], "linked_to_freee": [None, False]}
    from deals.models import DealType

    spot = DealType.objects.get(tenant=world_a.tenant, name="スポット")
    admin.post(reverse("deals:type_list"), {"linked": [str(spot.public_id)]})
    assert _entry(world_a.tenant, "freee.deal_types_update").changes == {"linked_types": [[], ["スポット"]]}
