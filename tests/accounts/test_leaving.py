"""退会: all of a tenant's data as a zip of CSVs (a job with progress), then the tenant deleted after typing its
name: freee's tokens revoked at freee, the LINE WORKS link removed, every row gone, users left alone deactivated."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import leaving
from accounts.models import TenantExport
from core import audit
from core.models import AuditEntry, Job
from deals.models import Deal
from integrations.models import FreeeConnection, LineWorksLink
from tenancy.models import Membership, Tenant
from tests.factories import DealFactory, DealLineFactory, InvoiceFactory, MembershipFactory, api_token_key
from tests.notifications.factories import make_link

pytestmark = pytest.mark.django_db

REVOKE = "http://freee.test/public_api/revoke"


def _export(world) -> TenantExport:
    world.client("admin").post(reverse("accounts:export"))
    job = Job.objects.for_tenant(world.tenant).get(kind=leaving.EXPORT_KIND)
    return leaving.tenant_export_run(job=job)  # the task's body, run here (tests/core covers the queues)


def _csv(export: TenantExport, name: str) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(bytes(export.archive))) as archive:
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_the_export_has_one_csv_per_kind_with_only_this_tenants_rows(world_a, world_b):
    line = DealLineFactory(
        deal=DealFactory(tenant=world_a.tenant, name="エクスポート案件", owner=world_a.member), description="品目X"
    )
    InvoiceFactory(deal=line.deal, partner_name="請求先A")
    DealFactory(tenant=world_b.tenant, name="他社の秘密案件")
    audit.audit_record(tenant=world_a.tenant, actor=world_a.admin, action="csv.export", target_label="監査の記録")

    export = _export(world_a)

    with zipfile.ZipFile(io.BytesIO(bytes(export.archive))) as archive:
        assert set(archive.namelist()) == {name for name, _label in leaving.EXPORT_FILES}
    deals = _csv(export, "deals.csv")
    assert [d["name"] for d in deals] == ["エクスポート案件"] and deals[0]["owner"] == "member_A"
    assert _csv(export, "deal_lines.csv")[0]["deal"] == str(line.deal.public_id)
    assert _csv(export, "invoices.csv")[0]["partner_name"] == "請求先A"
    assert any(e["target_label"] == "監査の記録" for e in _csv(export, "audit_trail.csv"))
    job = export.job
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.percent == 100


def test_the_export_is_downloaded_by_this_tenants_admins_only(world_a, world_b):
    export = _export(world_a)
    panel = world_a.client("admin").get(reverse("accounts:export")).content.decode()
    assert reverse("accounts:export_download", args=[export.public_id]) in panel
    download = world_a.client("admin").get(reverse("accounts:export_download", args=[export.public_id]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert bytes(download.content) == bytes(export.archive)
    assert world_a.client("member").get(reverse("accounts:export_download", args=[export.public_id])).status_code == 403
    assert world_b.client("admin").get(reverse("accounts:export_download", args=[export.public_id])).status_code == 404


def _connect(world) -> FreeeConnection:
    return FreeeConnection.objects.create(
        tenant=world.tenant,
        client_id="client-1",
        client_secret="secret-1",
        company_id=1,
        company_name="freee",
        access_token="access-tok",
        refresh_token="refresh-tok",
        status=FreeeConnection.Status.CONNECTED,
        access_expires_at=timezone.now() + timedelta(hours=5),
    )


@pytest.fixture
def freee(settings):
    settings.FREEE_ACCOUNTS_URL = "http://freee.test"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


def test_a_wrong_name_deletes_nothing(world_a):
    response = world_a.client("admin").post(reverse("accounts:leave"), {"confirm_name": "テナントA"})
    assert response.status_code == 400 and "事業所名が一致しません" in response.content.decode()
    assert Tenant.objects.filter(pk=world_a.tenant.pk).exists()


def test_freee_unreachable_deletes_nothing(world_a, freee):
    _connect(world_a)
    freee.add(responses.POST, REVOKE, body=requests.ConnectionError("down"))
    response = world_a.client("admin").post(reverse("accounts:leave"), {"confirm_name": world_a.tenant.name})
    assert response.status_code == 400 and "freeeに接続できなかった" in response.content.decode()
    assert Tenant.objects.filter(pk=world_a.tenant.pk).exists()


def test_leaving_revokes_freee_removes_every_row_and_deactivates_users_left_alone(world_a, world_b, freee):
    _connect(world_a)
    make_link(world_a.tenant)
    DealLineFactory(deal=DealFactory(tenant=world_a.tenant))
    _export(world_a)
    audit.audit_record(tenant=world_a.tenant, actor=world_a.admin, action="csv.export", target_label="x")
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)  # member_A also works for B
    key = api_token_key(world_a.admin)
    freee.add(
        responses.POST,
        REVOKE,
        json={},
        match=[
            responses.matchers.urlencoded_params_matcher(
                {"client_id": "client-1", "client_secret": "secret-1", "token": "refresh-tok"}
            )
        ],
    )
    freee.add(
        responses.POST,
        REVOKE,
        json={},
        match=[
            responses.matchers.urlencoded_params_matcher(
                {"client_id": "client-1", "client_secret": "secret-1", "token": "access-tok"}
            )
        ],
    )
    b_deal = DealFactory(tenant=world_b.tenant)
    b_entry = audit.audit_record(tenant=world_b.tenant, actor=world_b.admin, action="csv.export", target_label="B")
    admin = world_a.client("admin")

    response = admin.post(reverse("accounts:leave"), {"confirm_name": world_a.tenant.name})

    assert response["Location"] == reverse("accounts:leave_done")
    assert not Tenant.objects.filter(pk=world_a.tenant.pk).exists()
    for model in (Deal, AuditEntry, Job, TenantExport, LineWorksLink, FreeeConnection, Membership):
        assert not model._base_manager.filter(tenant_id=world_a.tenant.pk).exists(), model
    assert Deal.objects.filter(pk=b_deal.pk).exists() and AuditEntry.objects.filter(pk=b_entry.pk).exists()
    users = get_user_model().objects
    assert not users.get(pk=world_a.admin.pk).is_active  # no tenant left
    assert users.get(pk=world_a.member.pk).is_active  # still in B
    assert admin.get(reverse("deals:list"))["Location"].startswith("/login/")
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert "事業所を削除しました" in Client().get(reverse("accounts:leave_done")).content.decode()


def test_only_admins_may_leave(world_a):
    assert (
        world_a.client("member").post(reverse("accounts:leave"), {"confirm_name": world_a.tenant.name}).status_code
        == 403
    )
    assert Tenant.objects.filter(pk=world_a.tenant.pk).exists()


def _fill(world, label: str) -> None:
    """Rows of every kind the export lists, made through the services: a deal with lines and an invoice, payment
    requests (an approved one books an expense trade, its journal entry and sync history), an invitation."""
    from journals.sync.models import SyncRecord, SyncSettings
    from journals.sync.services import sync_records_push
    from tests.payment_requests.factories import flow_for, make_request

    world.tenant.plan = "professional"  # 仕入・支払 documents sync on this plan
    world.tenant.save(update_fields=["plan"])
    flow = flow_for(world, label)
    SyncSettings.objects.update_or_create(tenant=world.tenant, defaults={"auto_sync": True})
    deal = DealFactory(tenant=world.tenant, owner=world.member, name=f"案件-{label}")
    InvoiceFactory(deal=DealLineFactory(deal=deal).deal)
    for status in ("draft", "feedback", "approved"):
        make_request(flow, status)
    sync_records_push(record_ids=list(SyncRecord.objects.for_tenant(world.tenant).values_list("pk", flat=True)))
    world.client("admin").post(
        reverse("accounts:invitation_list"), {"emails": f"guest-{label}@example.jp", "role": "member"}
    )


def _rows_by_model(tenant_id: int) -> dict[str, int]:
    """How many rows of each table belong to the tenant (directly or through the rows they hang on)."""
    from django.apps import apps
    from django.db.models import Q

    counts = {}
    for model in apps.get_models(include_auto_created=True):
        paths = leaving._tenant_paths(model)
        if model is Tenant or not paths or not model._meta.managed:
            continue
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{path}__pk": tenant_id})
        counts[model._meta.label] = model._base_manager.filter(condition).count()
    return counts


def test_a_full_tenant_is_exported_kind_by_kind_then_deleted_without_touching_the_other(world_a, world_b, freee):
    _fill(world_a, "a")
    _fill(world_b, "b")
    export = _export(world_a)
    for name in (
        "deals.csv",
        "deal_lines.csv",
        "invoices.csv",
        "trades.csv",
        "journal_lines.csv",
        "payment_requests.csv",
        "sync_history.csv",
        "audit_trail.csv",
    ):
        assert _csv(export, name), f"{name} is empty"
    assert [row["name"] for row in _csv(export, "deals.csv")] == ["案件-a"]
    other_before = _rows_by_model(world_b.tenant.pk)
    assert sum(_rows_by_model(world_a.tenant.pk).values()) > 50

    leaving.tenant_delete(tenant=world_a.tenant, actor=world_a.admin, confirm_name=world_a.tenant.name)

    assert {label: n for label, n in _rows_by_model(world_a.tenant.pk).items() if n} == {}
    assert _rows_by_model(world_b.tenant.pk) == other_before
