"""Issue 17 item 8: the import of a 100,000-row CSV with lines (50,000 deals × 2 lines, Salesforce-style, Shift_JIS),
next to PostgreSQL COPY of the same rows into a plain table as the baseline; and the upsert API's 1,000-deal bulk
calls per second.

Printed: rows per second, SQL statements per row, peak extra memory (tracemalloc, Python allocations during the
import), and the ratio to COPY. Goal: within 10× of COPY and under 200 MB of extra memory.
BENCH_IMPORT_ROWS changes the size (default 100,000).
"""

import io
import json
import os
import time
import tracemalloc

import pytest
from django.db import connection
from django.test import Client

from benchmarks.bench_ledger_sync import StatementCounter
from imports import services
from imports.mapping import preset_config
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.imports.files import csv_bytes, salesforce_rows

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
BULK_CALLS = int(os.environ.get("BENCH_UPSERT_CALLS", "5"))
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr("core.jobs.enqueue_on_commit", lambda task, *args, **kwargs: None)


def _copy_baseline(data: bytes) -> float:
    """COPY the same CSV (decoded to UTF-8) into an unlogged table of text columns: the database's floor."""
    text = data.decode("cp932")
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNLOGGED TABLE bench_import_copy (" + ", ".join(f"c{i} text" for i in range(11)) + ")")
        started = time.perf_counter()
        cursor.copy_expert("COPY bench_import_copy FROM STDIN WITH (FORMAT csv, HEADER true)", io.StringIO(text))
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_copy")
    return elapsed


def test_import_of_a_100k_row_csv_next_to_copy(no_broker, settings):
    settings.BULK_SLICE_SECONDS = 10_000  # one slice: the benchmark measures the import, not the queue
    tenant = TenantFactory()
    user = MembershipFactory(tenant=tenant, user=UserFactory(username="bench", email="bench@example.com")).user
    data = csv_bytes(salesforce_rows(ROWS // 2, owner="bench@example.com"), encoding="cp932")
    copy_seconds = _copy_baseline(data)

    tracemalloc.start()
    started = time.perf_counter()
    run = services.import_upload(tenant=tenant, actor=user, name="bench.csv", data=data)
    job = services.import_start(run=run, actor=user, config=preset_config("salesforce", run.header), dry_run=False)
    with StatementCounter() as statements:
        services.deal_import_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["created"] == ROWS // 2, job.result

    print(f"\n[deal import] {ROWS:,} rows ({ROWS // 2:,} deals × 2 lines, Shift_JIS CSV, {len(data) / 1e6:.1f} MB)")
    print(f"  import:   {elapsed:8.2f} s  {ROWS / elapsed:10,.0f} rows/s  "
          f"{statements.count / ROWS:.3f} SQL statements per row ({statements.count:,} in all)")
    print(f"  baseline: {copy_seconds:8.2f} s  {ROWS / copy_seconds:10,.0f} rows/s  (PostgreSQL COPY of the same rows)")
    print(f"  ratio:    {elapsed / copy_seconds:8.1f}× COPY (goal ≤ 10×)   peak extra memory {peak / 1e6:.0f} MB "
          f"(goal < 200 MB)")


def test_upsert_api_bulk_calls_per_second():
    tenant = TenantFactory()
    user = MembershipFactory(tenant=tenant, user=UserFactory(username="api", email="api@example.com")).user
    client = Client()
    client.force_login(user)
    timings = []
    for call in range(BULK_CALLS):
        deals = [{"external_source": "bench", "external_id": f"{call}-{n}", "name": f"案件{n}", "amount": n,
                  "owner": "api@example.com", "lines": [{"description": "品目", "quantity": "2", "unit_price": "500"}]}
                 for n in range(1000)]
        body = json.dumps({"deals": deals})
        started = time.perf_counter()
        response = client.post("/api/v1/deals/external/bulk/", body, content_type="application/json")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()["counts"]["created"] == 1000
    best, mean = min(timings), sum(timings) / len(timings)
    print(f"\n[upsert API] {BULK_CALLS} calls of 1,000 new deals with a line: {1 / mean:.2f} calls/s "
          f"({1000 / mean:,.0f} deals/s; fastest call {best:.2f} s)")
