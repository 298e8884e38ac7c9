"""Seed data for the benchmarks: one tenant with N deals, some with freee-linked invoices."""

from __future__ import annotations

import copy
import datetime as dt
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from deals.models import Deal, DealType, FreeeLatestStatus
from integrations.freee import schemas
from integrations.freee.client import FreeeClient
from integrations.models import ApiCallLog, FreeeConnection, LineWorksLink
from integrations.sandbox.lineworks import sandbox_lineworks_domain_create
from integrations.sandbox.models import SandboxLineWorksUser, SandboxResource
from integrations.sandbox.services import (
    sandbox_app_create,
    sandbox_company_create,
    sandbox_faults_set,
    sandbox_tokens_issue,
)
from invoices.models import Invoice
from notifications.models import LineWorksUserLink
from tenancy.models import Membership, Tenant
from tests.factories import MembershipFactory, TenantFactory, UserFactory

STATUSES = ["unsettled", "settled", "sent", "unsent", "failed", "canceled"]


def seed_deals(*, deals: int, invoices: int, batch: int = 10_000, billing_days: int = 90):
    """Bulk-insert deals and invoices (issued, with freee ids) the way a long-used tenant would have them."""
    rng = random.Random(8)  # noqa: S311 - benchmark data
    tenant = TenantFactory(name="ベンチマーク株式会社")
    user = UserFactory(username=f"bench-{tenant.pk}")
    MembershipFactory(tenant=tenant, user=user, role=Membership.Role.ADMIN)
    deal_type = DealType.objects.create(tenant=tenant, name="標準", linked_to_freee=True)
    start = dt.date(2026, 9, 1)
    deal_ids: list[int] = []
    for offset in range(0, deals, batch):
        rows = [Deal(tenant=tenant, deal_type=deal_type, name=f"株式会社{i % 997} 案件{i}", owner=user,
                     amount=(i * 7919) % 5_000_000, partner_name=f"取引先{i % 500}",
                     expected_billing_date=start + dt.timedelta(days=i % billing_days),
                     freee_latest_status=(_status(rng) if i < invoices else FreeeLatestStatus.NONE))
                for i in range(offset, min(deals, offset + batch))]
        deal_ids += [d.pk for d in Deal.objects.bulk_create(rows)]
    _seed_invoices(tenant, deal_ids[:invoices], start, billing_days, rng, batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE deals_deal; ANALYZE invoices_invoice")
    return tenant, user


def _status(rng) -> str:
    return rng.choice(["unsettled", "settled", "sent", "unsent", "failed", "canceled"])


def _seed_invoices(tenant, deal_ids, start, billing_days, rng, batch) -> None:
    for offset in range(0, len(deal_ids), batch):
        Invoice.objects.bulk_create(
            Invoice(tenant=tenant, deal_id=deal_id, reference=f"bench-{tenant.pk}-{n}", state=Invoice.State.ISSUED,
                    freee_invoice_id=10_000_000 + n, invoice_number=f"INV-{n:07d}", partner_id=1 + n % 25,
                    partner_name=f"取引先{n % 25}", billing_date=start + dt.timedelta(days=n % billing_days),
                    total_amount=110_000, sending_status="unsent", payment_status="unsettled",
                    cancel_status="uncanceled", deal_status="unregistered",
                    report_url="https://invoice.example/report")
            for n, deal_id in enumerate(deal_ids[offset:offset + batch], start=offset)
        )


def connect_sandbox(tenant, live_server, settings):
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    settings.FREEE_CLIENT_RATE_LIMIT = False
    app = sandbox_app_create(tenant=tenant, name="bench")
    company = sandbox_company_create(app=app, name="ベンチ株式会社")
    sandbox_faults_set(company, rate_limits_off=True)
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    FreeeConnection.objects.create(tenant=tenant, client_id=app.client_id, client_secret=app.client_secret,
                                   company_id=company.company_id, access_token=access.token,
                                   refresh_token=refresh.token, status=FreeeConnection.Status.CONNECTED,
                                   access_expires_at=timezone.now() + timedelta(hours=5))
    return company


def mirror_in_sandbox(company, tenant) -> None:
    """freee's side of our 20,000 invoices, a quarter of them paid since we last looked."""
    template = _template_invoice(company)
    rows = []
    for invoice in Invoice.objects.filter(tenant=tenant).iterator(chunk_size=5000):
        data = copy.deepcopy(template)
        data.update(id=invoice.freee_invoice_id, invoice_number=invoice.invoice_number,
                    billing_date=invoice.billing_date.isoformat(), memo=invoice.reference,
                    payment_status="settled" if invoice.freee_invoice_id % 4 == 0 else "unsettled")
        rows.append(SandboxResource(company=company, kind="invoice", resource_id=invoice.freee_invoice_id, data=data))
    SandboxResource.objects.bulk_create(rows, batch_size=5000)


def _template_invoice(company) -> dict:
    connection = FreeeConnection.objects.get(company_id=company.company_id)
    created = FreeeClient(connection).invoice_create(schemas.InvoiceCreate(
        partner_id=SandboxResource.objects.filter(company=company, kind="partner").first().resource_id,
        partner_title="御中", billing_date=timezone.localdate(), tax_entry_method="out", tax_fraction="omit",
        withholding_tax_entry_method="out",
        lines=[schemas.InvoiceLineInput(description="作業", quantity=Decimal(1), unit_price="100000", tax_rate=10)]))
    resource = SandboxResource.objects.get(company=company, kind="invoice", resource_id=created.id)
    data = resource.data
    resource.delete()
    ApiCallLog.objects.all().delete()
    return data


def lineworks_recipients_seed(live_url: str, settings, *, tenant_name: str, prefix: str, recipients: int,
                              per_minute: int):
    """A tenant linked to a fresh LINE WORKS sandbox domain (on the live server) with `recipients` members, each
    ID-linked to a sandbox user. Returns (tenant, domain, users)."""
    settings.SITE_URL = live_url
    settings.LINEWORKS_AUTH_URL = live_url + "/sandbox/lineworks/auth"
    settings.LINEWORKS_API_URL = live_url + "/sandbox/lineworks/v1.0"
    tenant = Tenant.objects.create(name=tenant_name)
    domain = sandbox_lineworks_domain_create(tenant=tenant, name=prefix, users=0, rate_limit_per_minute=per_minute)
    link = LineWorksLink.objects.create(
        tenant=tenant, domain_id=str(domain.domain_id), client_id=domain.client_id, client_secret=domain.client_secret,
        service_account=domain.service_account, private_key=domain.private_key, bot_id=domain.bot_id,
        bot_secret=domain.bot_secret, rate_limit_per_minute=per_minute)
    user_model = get_user_model()
    users = user_model.objects.bulk_create(user_model(username=f"{prefix}{i}") for i in range(recipients))
    Membership.objects.bulk_create(Membership(tenant=tenant, user=u) for u in users)
    lw_users = SandboxLineWorksUser.objects.bulk_create(
        SandboxLineWorksUser(domain=domain, user_id=f"lw-{i}", login_id=f"u{i}@{prefix}", name=f"u{i}")
        for i in range(recipients))
    LineWorksUserLink.objects.bulk_create(
        LineWorksUserLink(tenant=tenant, link=link, user=u, lineworks_user_id=lw.user_id)
        for u, lw in zip(users, lw_users, strict=True))
    return tenant, domain, users
