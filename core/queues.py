"""Which Celery queue every task goes to: people waiting never queue behind other companies' bulk work.

Two queues, served by separate worker processes (scripts/devstack.py `run`, docker-compose, README "Scaling"):

- INTERACTIVE: a person is looking at the screen until it is done — 発行 and 再試行 of an invoice, a
  payment request's 申請 mirrored to freee, a LINE WORKS ID連携 reply, a document's 連携する / 再連携 — and the
  short sweepers that re-send such work after an outage. Single ステータス更新, the partner search and
  接続テスト run inside the web request itself and never queue.
- BULK: work nobody watches call by call — the freee請求ステータス更新 of all invoices, the masters import,
  取引明細の書出 and automatic ledger pushes, notification fan-out and sends, the mirror's status pulls, token
  upkeep. Bulk tasks also take a per-tenant slot (core.fair), so one company cannot fill the bulk workers.

Every task is listed by name: tests/core/test_queues.py fails when a task is registered without a queue, so a
new task cannot silently land on the default queue.
"""

from __future__ import annotations

INTERACTIVE = "interactive"
BULK = "bulk"
DEFAULT = "default"  # Celery's own tasks only (nothing of ours is routed here)

TASK_QUEUES: dict[str, str] = {
    # a person waits
    "invoices.invoice_push": INTERACTIVE,
    "notifications.callback_handle": INTERACTIVE,
    "notifications.richmenu_sync": INTERACTIVE,  # the user just pressed ID連携 / 解除 and looks at the menu
    "payment_requests.mirror_push": INTERACTIVE,
    "payment_requests.mirror_delete": INTERACTIVE,
    # sweepers: short, and they re-send interactive work lost in an outage
    "core.jobs_requeue_stale": INTERACTIVE,
    "core.jobs_fail_abandoned": INTERACTIVE,
    "notifications.sweep": INTERACTIVE,
    "journals.sync_records_requeue_stale": INTERACTIVE,
    # bulk (sync_records_push goes to INTERACTIVE when a person asked for a few documents: journals.sync)
    "journals.sync_records_push": BULK,
    "journals.sync_export_run": BULK,
    "journals.masters_import": BULK,
    "invoices.bulk_refresh": BULK,
    "imports.deal_import": BULK,  # 案件インポート and its dry run (up to 100,000 rows)
    "invoices.bulk_refresh_schedule": BULK,
    "notifications.event_fan_out": BULK,
    "notifications.delivery_send": BULK,
    "notifications.richmenus_setup": BULK,  # every linked user's menu after a link is saved
    "payment_requests.mirror_pull": BULK,
    "payment_requests.mirror_pull_schedule": BULK,
    "integrations.freee_refresh_idle_connections": BULK,
    "integrations.freee_connection_refresh": BULK,
    "core.sessions_clear_expired": BULK,
    "accounts.tenant_export": BULK,  # 全データのダウンロード (退会): the admin watches a progress bar, not each row
    "core.idempotency_keys_purge": BULK,
}


def task_routes() -> dict[str, dict[str, str]]:
    """CELERY_TASK_ROUTES: each task name to its queue."""
    return {name: {"queue": queue} for name, queue in TASK_QUEUES.items()}


def queue_of(task_name: str) -> str:
    return TASK_QUEUES.get(task_name, DEFAULT)
