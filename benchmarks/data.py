"""Seed data for the benchmarks: one tenant with N deals, some with freee-linked invoices."""

from __future__ import annotations

import datetime as dt
import random

from django.db import connection

from deals.models import Deal, DealType, FreeeLatestStatus
from invoices.models import Invoice
from tenancy.models import Membership
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
