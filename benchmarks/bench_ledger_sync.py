"""Issue 5 item 9: 10,000 documents (issued invoices) synced to the built-in ledger.

Bulk path: what 自動連携 / 取引明細の書出 does: 連携待ち records written in batches, then the push task claims
1,000 records at a time and books them with trades_save_bulk (constant statements per batch). Row-by-row
path: the same service, one document per record and per push (what a naive per-document loop costs).
Both are timed end to end (record creation + push) and every SQL statement is counted.
Goal: a constant number of statements per document and at least 500 documents per second.
"""

import os
import time

import pytest
from django.db import connection

from benchmarks.data import seed_deals
from invoices.models import Invoice
from journals.defaults import ledger_defaults_ensure
from journals.models import JournalEntry, Trade
from journals.sync import services
from journals.sync.models import SyncRecord, SyncSettings

DOCUMENTS = 10_000
ROW_BY_ROW = int(os.environ.get("BENCH_LEDGER_ROW_BY_ROW", "1000"))  # 10,000 row by row takes ~7 minutes
BATCH = services.BATCH
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_broker(monkeypatch):
    """The benchmark runs the push itself; the tasks that would be enqueued after commit are not sent."""
    monkeypatch.setattr("core.jobs.enqueue_on_commit", lambda task, *args, **kwargs: None)


class StatementCounter:
    """Counts every SQL statement sent (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def _tenant_with_invoices(count: int):
    tenant, user = seed_deals(deals=count, invoices=count)
    ledger_defaults_ensure(tenant=tenant)
    SyncSettings.objects.create(tenant=tenant, auto_sync=True)
    ids = list(Invoice.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))
    return tenant, user, ids


def _bulk(tenant, user, ids) -> tuple[float, int, list[int]]:
    """Records in batches (documents_changed), then one push per 1,000 records; statements per batch too."""
    per_batch = []
    started = time.perf_counter()
    with StatementCounter() as statements:
        for offset in range(0, len(ids), BATCH):
            before = statements.count
            records = services.documents_changed(tenant=tenant, document_type="invoice",
                                                 document_ids=ids[offset:offset + BATCH], operation="add", actor=user)
            services.sync_records_push(record_ids=[r.pk for r in records])
            per_batch.append(statements.count - before)
    return time.perf_counter() - started, statements.count, per_batch


def _row_by_row(tenant, user, ids) -> tuple[float, int]:
    started = time.perf_counter()
    with StatementCounter() as statements:
        for document_id in ids:
            record = services.document_sync(tenant=tenant, document_type="invoice", document_id=document_id,
                                            actor=user)
            services.sync_records_push(record_ids=[record.pk])
    return time.perf_counter() - started, statements.count


def _check(tenant, count: int) -> None:
    assert Trade.objects.filter(tenant=tenant).count() == count
    assert JournalEntry.objects.filter(tenant=tenant).count() == count
    assert not SyncRecord.objects.filter(tenant=tenant).exclude(status="done").exists()


def test_ten_thousand_documents_to_the_builtin_ledger(no_broker):
    tenant, user, ids = _tenant_with_invoices(DOCUMENTS)
    bulk_seconds, bulk_queries, per_batch = _bulk(tenant, user, ids)
    _check(tenant, DOCUMENTS)

    row_tenant, row_user, row_ids = _tenant_with_invoices(ROW_BY_ROW)
    row_seconds, row_queries = _row_by_row(row_tenant, row_user, row_ids)
    _check(row_tenant, ROW_BY_ROW)

    print(f"\nIssue 5 (9): {DOCUMENTS:,} issued invoices synced to the built-in ledger (PostgreSQL)")
    print(f"    {'path':<14}{'documents':>10}{'seconds':>10}{'docs/s':>10}{'SQL':>10}{'SQL/doc':>10}")
    print(f"    {'bulk':<14}{DOCUMENTS:>10,}{bulk_seconds:>10.2f}{DOCUMENTS / bulk_seconds:>10.0f}"
          f"{bulk_queries:>10,}{bulk_queries / DOCUMENTS:>10.3f}")
    print(f"    {'row by row':<14}{ROW_BY_ROW:>10,}{row_seconds:>10.2f}{ROW_BY_ROW / row_seconds:>10.0f}"
          f"{row_queries:>10,}{row_queries / ROW_BY_ROW:>10.3f}")
    if ROW_BY_ROW != DOCUMENTS:
        print(f"    row by row projected to {DOCUMENTS:,} documents: {row_seconds / ROW_BY_ROW * DOCUMENTS:,.0f} s, "
              f"{row_queries / ROW_BY_ROW * DOCUMENTS:,.0f} statements (BENCH_LEDGER_ROW_BY_ROW={DOCUMENTS} measures it)")
    print(f"    bulk statements per batch of {BATCH:,}: {sorted(set(per_batch))}   "
          "goal: the same number for every batch, >= 500 docs/s")
    assert len(set(per_batch)) == 1, per_batch  # constant statements per batch, whatever it holds
