"""Deal list and deal page: latency and query count for a tenant with 1,000 deals (baseline) and 10,000.

Run with `make bench`. Prints one table; flat figures between the two sizes mean pagination, the
(tenant, sort key) indexes and select_related keep the page independent of the tenant's size.
"""

import statistics
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from deals.models import Deal, DealLine
from tenancy.models import Membership
from tests.factories import DealTypeFactory, MembershipFactory, TenantFactory, UserFactory

SIZES = (1_000, 10_000)
REPEATS = 30
PAGES = {
    "list, newest first": "/deals/",
    "list, by amount": "/deals/?sort=-amount",
    "list, keyword": "/deals/?q=株式会社",
    "list, page 20": "/deals/?page=20",
}


def _seed(size: int):
    tenant = TenantFactory()
    user = UserFactory()
    MembershipFactory(tenant=tenant, user=user, role=Membership.Role.MEMBER)
    deal_type = DealTypeFactory(tenant=tenant)
    deals = Deal.objects.bulk_create(
        Deal(tenant=tenant, name=f"株式会社{i % 97} 案件{i}", deal_type=deal_type, amount=(i * 7919) % 5_000_000,
             partner_name=f"取引先{i % 500}", owner=user)
        for i in range(size)
    )
    DealLine.objects.bulk_create(
        DealLine(tenant=tenant, deal=deal, description="作業", quantity=Decimal(2), unit_price=Decimal(5000))
        for deal in deals[::3]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE deals_deal; ANALYZE deals_dealline")
    client = Client()
    client.force_login(user)
    return client, deals[size // 2]


def _measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm caches
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), statistics.quantiles(timings, n=20)[-1], len(queries)


@pytest.mark.django_db
def test_deal_list_scales_with_pagination_not_tenant_size():
    results = {}
    for size in SIZES:
        client, middle_deal = _seed(size)
        pages = {**PAGES, "deal page": f"/deals/{middle_deal.public_id}/"}
        results[size] = {label: _measure(client, url) for label, url in pages.items()}
    print("\nDeal pages, Django test client in-process, median / p95 ms and queries per request")
    print(f"{'page':<22}" + "".join(f"{f'{s:,} deals (baseline)' if s == SIZES[0] else f'{s:,} deals':>34}"
                                    for s in SIZES))
    for label in results[SIZES[0]]:
        cells = "".join(f"{f'{m:7.1f} / {p:7.1f} ms, {q:2d} q':>34}" for m, p, q in
                        (results[s][label] for s in SIZES))
        print(f"{label:<22}{cells}")
