"""会計連携 (seed 001): automatic and manual sync of documents to the ledger target, with per-document history.

Public entry points for source apps (keep them stable):
- document_changed / documents_changed: call inside the transaction that added, edited or deleted a
  document. With 自動連携 on, a SyncRecord (連携待ち) is written and its task enqueued on commit; with it off
  nothing happens (documents changed before it was turned on are not synced automatically).
- document_sync: the 連携する button of one document.

The worker (sync_records_push) claims records with SELECT ... FOR UPDATE SKIP LOCKED and flips them to 連携中,
so two workers never hold the same record; two records of the same document are serialised by the target
(advisory locks for the built-in ledger, a lease for freee), so a document never becomes two trades.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, events, jobs, queues
from core.errors import ApplicationError
from core.models import Job
from core.retry import RetryLater
from core.sql import insert_rows, update_rows
from journals.sync.documents import (
    DocumentType,
    document_type_get,
    document_types,
    groups_for_plan,
)
from journals.sync.models import SyncedDocument, SyncRecord, SyncSettings, Target
from journals.sync.targets import WorkItem, target_for
from tenancy.models import Membership, Tenant

Operation = SyncRecord.Operation
Status = SyncRecord.Status
EXPORT_KIND = "journals.sync.export"
MAX_PERIOD_DAYS = 366  # 1年以内 (a leap year's 366 days included)
BATCH = 1000  # documents per claim / per ledger transaction
# One push's slice is settings.BULK_SLICE_SECONDS (core.fair): the rest continues at the back of the queue.
ZERO_YEN_NOTE = "金額が0円の帳票は連携されません。"
DELETED_NOTE = "帳票が削除されているため送信しませんでした。"
NOTHING_TO_DELETE_NOTE = "連携済みの取引がないため、削除するものはありませんでした。"
CANCELED_NOTE = "取消済みの帳票は連携されません。"
# A synced document that became 0円 or was canceled: its next sync removes what it booked, and says why.
REMOVED_NOTES = {
    ("zero", False): "金額が0円になったため、連携済みの取引を削除しました。",
    ("zero", True): "金額が0円になったため、連携済みの決済を削除しました。",
    ("canceled", False): "取消のため、連携済みの取引を削除しました。",
    ("canceled", True): "取消のため、連携済みの決済を削除しました。",
}


# --------------------------------------------------------------------------- settings


def sync_settings_for(*, tenant: Tenant) -> SyncSettings:
    settings, _created = SyncSettings.objects.get_or_create(tenant=tenant)
    return settings


def sync_settings_update(*, tenant: Tenant, actor, auto_sync: bool, target: str) -> SyncSettings:
    """Save API連携設定 (the view/API checks the admin role). Turning 自動連携 on stamps when it started."""
    if target not in Target.values:
        raise ApplicationError(_("連携先が正しくありません。"), code="invalid_target")
    with transaction.atomic():
        settings = SyncSettings.objects.select_for_update().get(pk=sync_settings_for(tenant=tenant).pk)
        before = audit.snapshot(settings, ["auto_sync", "target"])
        if auto_sync and not settings.auto_sync:
            settings.auto_sync_since = timezone.now()
        settings.auto_sync, settings.target = auto_sync, target
        settings.save(update_fields=["auto_sync", "target", "auto_sync_since", "updated_at"])
        audit.audit_record(tenant=tenant, actor=actor, action="ledger.sync_settings_update", target=settings,
                           target_label=_("API連携設定"),
                           changes=audit.changes_between(before, audit.snapshot(settings, ["auto_sync", "target"])))
    return settings


def group_allowed(*, tenant: Tenant, doc_type: DocumentType) -> bool:
    return doc_type.group in groups_for_plan(tenant.plan)


# --------------------------------------------------------------------------- entry points for source apps


def document_changed(*, tenant: Tenant, document_type: str, document_id: int, operation: str, actor=None) -> None:
    """A document was added, edited or deleted (call inside that transaction). Queues its sync if 自動連携 is on."""
    documents_changed(tenant=tenant, document_type=document_type, document_ids=[document_id], operation=operation,
                      actor=actor)


def documents_changed(*, tenant: Tenant, document_type: str, document_ids: Iterable[int], operation: str,
                      actor=None) -> list[SyncRecord]:
    """The bulk form of document_changed: a few queries and one task for any number of documents."""
    ids = list(dict.fromkeys(document_ids))
    settings = SyncSettings.objects.filter(tenant=tenant).first()
    doc_type = document_type_get(document_type)
    if not ids or settings is None or not settings.auto_sync or not group_allowed(tenant=tenant, doc_type=doc_type):
        return []
    return _records_create(tenant=tenant, doc_type=doc_type, ids=ids, operation=operation, actor=actor,
                           target=settings.target)


def document_sync(*, tenant: Tenant, document_type: str, document_id: int, actor) -> SyncRecord:
    """連携する: sync one document now (add, or edit once it has been synced), whatever 自動連携 says."""
    doc_type = document_type_get(document_type)
    if not group_allowed(tenant=tenant, doc_type=doc_type):
        raise ApplicationError(_("ご利用のプランでは、この帳票は会計連携の対象外です（仕入・支払はプロフェッショナルプラン・"
                                 "トライアルプランのみ）。"), code="plan_not_allowed", http_status=403)
    document = doc_type.load(tenant, [document_id]).get(document_id)
    if document is None:
        raise ApplicationError(_("帳票が見つかりません。"), code="not_found", http_status=404)
    synced = bool(_synced_ids(tenant, doc_type, [document_id]))
    if not synced and document.amount == 0:
        raise ApplicationError(_("金額が0円の帳票は連携されません。"), code="zero_amount")
    if not synced and document.canceled:
        raise ApplicationError(_(CANCELED_NOTE), code="canceled")
    operation = Operation.EDIT if synced else Operation.ADD  # a synced 0円 / canceled one: its trade is removed
    with transaction.atomic():
        (record,) = _records_create(tenant=tenant, doc_type=doc_type, ids=[document_id], operation=operation,
                                    actor=actor, target=sync_settings_for(tenant=tenant).target,
                                    documents={document_id: document}, interactive=True)
    return record


def _synced_ids(tenant: Tenant, doc_type: DocumentType, ids: list[int]) -> set[int]:
    links = SyncedDocument.objects.for_tenant(tenant).filter(document_type=doc_type.code, document_id__in=ids,
                                                             deleted=False)
    return set(links.values_list("document_id", flat=True))


def _records_create(*, tenant, doc_type: DocumentType, ids: list[int], operation: str, actor, target: str,
                    documents: dict | None = None, job=None, interactive: bool = False) -> list[SyncRecord]:
    """Write 連携待ち records (zero-yen documents are never synced) and enqueue their task after commit.

    `interactive`: a person asked for these documents and waits (連携する, 再連携): the push goes to the
    interactive queue instead of queueing behind other tenants' bulk exports (core.queues)."""
    documents = documents if documents is not None else doc_type.load(tenant, ids)
    now, rows = timezone.now(), []
    zero = [i for i in ids if documents.get(i) is not None and documents[i].amount == 0]
    # A 0円 document is never synced, unless it was before it became 0円: then its trade must go.
    skipped = set(zero) - _synced_ids(tenant, doc_type, zero) if zero and operation != Operation.DELETE else set()
    for document_id in ids:
        document = documents.get(document_id)
        if document_id in skipped:
            continue
        label = (document.label if document else f"{doc_type.label} #{document_id}")[:255]
        rows.append((tenant.pk, uuid.uuid4(), now, now, doc_type.code, document_id,
                     getattr(document, "public_id", None), label, getattr(document, "date", None),
                     getattr(document, "amount", None), operation, Status.WAITING, getattr(actor, "pk", actor),
                     target, "", "", 0, getattr(job, "pk", job)))
    ids_by_public = {str(public_id): pk for pk, public_id in insert_rows(SyncRecord, RECORD_FIELDS, rows,
                                                                          returning="id, public_id")}
    records = [SyncRecord(pk=ids_by_public[str(row[1])], **dict(zip(RECORD_FIELDS, row, strict=True))) for row in rows]
    _push_enqueue([r.pk for r in records], interactive=interactive)
    return records


def _push_enqueue(record_ids: list[int], *, interactive: bool = False) -> None:
    """One push task per BATCH records (of one tenant: a bulk push takes that tenant's slot, core.fair)."""
    from journals.sync.tasks import sync_records_push_task

    options = {"queue": queues.INTERACTIVE} if interactive and len(record_ids) <= BATCH else None
    for start in range(0, len(record_ids), BATCH):
        jobs.enqueue_on_commit(sync_records_push_task, record_ids[start:start + BATCH], _options=options)


RECORD_FIELDS = ["tenant_id", "public_id", "created_at", "updated_at", "document_type", "document_id",
                 "document_public_id", "document_label", "document_date", "document_amount", "operation", "status",
                 "actor_id", "target", "error_message", "note", "attempts", "job_id"]


# --------------------------------------------------------------------------- the worker


def sync_records_push(*, record_ids: list[int]) -> RetryLater | None:
    """The task's work: claim the waiting records, book their documents, record each outcome.

    Returns a RetryLater when records were handed back to 連携待ち (the document was busy in another worker, or
    freee asked us to wait; retry_after 0 when only the run's time slice was spent), else None. It returns the
    instruction rather than raising it: the outcomes of the other records are written and final either way.
    """
    claimed = _claim(record_ids)
    if not claimed:
        return None
    retry_after = None
    by_tenant: dict[int, list[SyncRecord]] = defaultdict(list)
    for record in claimed:
        by_tenant[record.tenant_id].append(record)
    for records in by_tenant.values():
        later = _push_tenant(records[0].tenant, records)
        if later is not None:
            retry_after = max(retry_after or 0, later)
    return None if retry_after is None else RetryLater(retry_after)


def sync_records_requeue_stale(*, waiting_for: timedelta, in_progress_for: timedelta) -> int:
    """Sweeper: records whose task message was lost (broker down) or whose worker died mid-way go again.

    A dead worker's ledger transaction was rolled back, and a freee create it may have sent is reconciled
    (create_attempts) before any second POST, so putting 連携中 rows back to 連携待ち is safe.
    """
    return _records_requeue(SyncRecord.objects.all(), waiting_for=waiting_for, in_progress_for=in_progress_for)


def _records_requeue(records, *, waiting_for: timedelta, in_progress_for: timedelta) -> int:
    now = timezone.now()
    abandoned = list(records.filter(status=Status.IN_PROGRESS, updated_at__lt=now - in_progress_for)
                     .order_by("pk").values_list("pk", flat=True)[:10 * BATCH])
    SyncRecord.objects.filter(pk__in=abandoned, status=Status.IN_PROGRESS).update(status=Status.WAITING,
                                                                                 updated_at=now)
    # The records just taken back are sent now too, not at a later sweep once they look stale again.
    stale = list(records.filter(Q(updated_at__lt=now - waiting_for) | Q(pk__in=abandoned), status=Status.WAITING)
                 .order_by("tenant_id", "pk").values_list("tenant_id", "pk")[:10 * BATCH])
    by_tenant: dict[int, list[int]] = defaultdict(list)
    for tenant_id, pk in stale:
        by_tenant[tenant_id].append(pk)
    for ids in by_tenant.values():
        _push_enqueue(ids)
    return len(stale)


def sync_records_give_up(*, record_ids: list[int]) -> None:
    """The task ran out of retries: records still waiting become エラー (the user can 再連携 them)."""
    records = list(SyncRecord.objects.filter(pk__in=record_ids, status=Status.WAITING).select_related("tenant"))
    for record in records:
        record.status, record.finished_at = Status.ERROR, timezone.now()
        record.error_message = record.error_message or _("連携先の応答待ちが長引いたため中断しました。時間をおいて再連携してください。")
    SyncRecord.objects.bulk_update(records, ["status", "finished_at", "error_message"])
    by_tenant = defaultdict(list)
    for record in records:
        by_tenant[record.tenant_id].append(record)
    for failed in by_tenant.values():
        _notify_failures(failed[0].tenant, failed)


def _claim(record_ids: list[int]) -> list[SyncRecord]:
    """Flip 連携待ち → 連携中 for the records no other worker holds (skip_locked), in one short transaction."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(SyncRecord.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk__in=record_ids, status=Status.WAITING).select_related("tenant").order_by("pk"))
        SyncRecord.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Status.IN_PROGRESS, attempts=F("attempts") + 1, started_at=now, updated_at=now)
    for row in rows:
        row.status = Status.IN_PROGRESS
    return rows


def _push_tenant(tenant: Tenant, records: list[SyncRecord]) -> float | None:
    """Book the ready items chunk by chunk (the target's chunk size), writing outcomes after each chunk.

    A run stops taking chunks once BULK_SLICE_SECONDS have passed: a thousand freee documents would otherwise run
    into the task's hard time limit (a SIGKILL) and start over from the same place every time. What is left
    goes back to 連携待ち with retry_after 0, and the task continues with it at once.
    """
    items = _work_items(tenant, records)
    by_target: dict[str, list[WorkItem]] = defaultdict(list)
    for item in items:
        if not item.note and not item.error:
            by_target[item.records[-1].target].append(item)
    later = [_finish(tenant, [i for i in items if i.note or i.error])]
    deadline = time.monotonic() + django_settings.BULK_SLICE_SECONDS
    for code, target_items in by_target.items():
        target = target_for(code)
        for start in range(0, len(target_items), target.chunk):
            chunk = target_items[start:start + target.chunk]
            if start and time.monotonic() > deadline:  # the first chunk always runs: every run makes progress
                for item in chunk:
                    item.retry_after = 0
            else:
                target.sync(tenant=tenant, items=chunk)
            later.append(_finish(tenant, chunk))
    waits = [w for w in later if w is not None]
    return max(waits) if waits else None


def _work_items(tenant: Tenant, records: list[SyncRecord]) -> list[WorkItem]:
    """One item per document (its records in order; the latest operation wins), loaded and converted in bulk."""
    grouped: dict[tuple[str, int], list[SyncRecord]] = defaultdict(list)
    for record in records:
        grouped[(record.document_type, record.document_id)].append(record)
    items: list[WorkItem] = []
    by_type: dict[str, list[WorkItem]] = defaultdict(list)
    for (code, document_id), recs in grouped.items():
        item = WorkItem(doc_type=document_type_get(code), document_id=document_id, operation=recs[-1].operation,
                        records=recs)
        items.append(item)
        by_type[code].append(item)
    for code, typed in by_type.items():
        _prepare(tenant, document_type_get(code), typed)
    return items


def _prepare(tenant: Tenant, doc_type: DocumentType, items: list[WorkItem]) -> None:
    """Load the documents and their ledger input; decide which ones are skipped (deleted, 0円, plan)."""
    documents = doc_type.load(tenant, [i.document_id for i in items])
    if not group_allowed(tenant=tenant, doc_type=doc_type):
        for item in items:
            item.error = _("ご利用のプランでは、この帳票は会計連携の対象外です（仕入・支払はプロフェッショナルプラン・"
                           "トライアルプランのみ）。")
        return
    for item in items:
        item.document = documents.get(item.document_id)
    live = [i.document for i in items if i.document is not None and not i.document.canceled]
    try:
        ledger = doc_type.to_ledger(tenant, live) if live else {}
    except ApplicationError as error:
        for item in items:
            item.error = str(error.message)
        return
    # Only a document that is 0円 or canceled asks whether it was synced: the ordinary batch costs no statement.
    unbookable = [i.document_id for i in items if i.operation != Operation.DELETE and i.document is not None
                  and (i.document.canceled or ledger.get(i.document_id) is None)]
    synced = _synced_ids(tenant, doc_type, unbookable) if unbookable else set()
    for item in items:
        _decide(item, ledger, synced)


def _decide(item: WorkItem, ledger: dict, synced: set[int]) -> None:
    if item.operation == Operation.DELETE:
        item.ledger = ledger.get(item.document_id)
        return
    if item.document is None:
        item.note = _(DELETED_NOTE)  # documents deleted before the sync ran are not sent
        return
    reason = "canceled" if item.document.canceled else "zero" if (
        item.document.amount == 0 or ledger.get(item.document_id) is None) else None
    if reason is None:
        item.ledger = ledger[item.document_id]
    elif item.document_id in synced:
        # What it booked goes (freee deletes a canceled invoice's deal too): the history row says why.
        item.operation, item.removal = Operation.DELETE, _(REMOVED_NOTES[(reason, item.doc_type.settles)])
    else:
        item.note = _(CANCELED_NOTE if reason == "canceled" else ZERO_YEN_NOTE)


def _finish(tenant: Tenant, items: list[WorkItem]) -> float | None:
    """Write every record's outcome in bulk; errors notify the tenant's admins; busy ones wait again."""
    if not items:
        return None
    now = timezone.now()
    changed, failed, retry_after = [], [], None
    for item in items:
        for record in item.records:
            if item.retry_after is not None:
                record.status, record.error_message = Status.WAITING, item.error
                retry_after = max(retry_after or 0, item.retry_after)
            elif item.error:
                record.status, record.error_message, record.finished_at = Status.ERROR, item.error, now
                failed.append(record)
            else:
                record.status, record.error_message, record.finished_at = Status.DONE, "", now
                record.note, record.operation = item.removal or item.note, item.operation
                record.trade_id, record.freee_deal_id = item.trade_id, item.freee_deal_id
            record.updated_at = now
            changed.append(record)
    _outcomes_write(changed)
    _advance_jobs(changed)
    if failed:
        _notify_failures(tenant, failed)
    return retry_after


def _outcomes_write(records: list[SyncRecord]) -> None:
    """One UPDATE ... FROM unnest(arrays) per batch: bulk_update's CASE per row and column is far slower to build."""
    fields = ["status", "error_message", "finished_at", "note", "operation", "trade_id", "freee_deal_id", "updated_at"]
    for start in range(0, len(records), BATCH):
        update_rows(SyncRecord, fields, [(r.pk, *(getattr(r, name) for name in fields))
                                         for r in records[start:start + BATCH]])


def _advance_jobs(records: list[SyncRecord]) -> None:
    """Manual export Jobs: count finished records, and finish the Job when none of its records is open."""
    finished = defaultdict(int)
    for record in records:
        if record.job_id and record.status in (Status.DONE, Status.ERROR):
            finished[record.job_id] += 1
    for job_id, count in finished.items():
        job = Job.objects.filter(pk=job_id).first()
        if job is None or job.is_finished:
            continue
        jobs.job_advance(job=job, by=min(count, max(0, job.total - job.done)))
        _export_finish_if_done(job)


def _export_finish_if_done(job) -> bool:
    if SyncRecord.objects.filter(job_id=job.pk, status__in=[Status.WAITING, Status.IN_PROGRESS]).exists():
        return False
    errors = SyncRecord.objects.filter(job_id=job.pk, status=Status.ERROR).count()
    jobs.job_succeed(job=job, result={**(job.result or {}), "errors": errors})
    return True


def _notify_failures(tenant: Tenant, failed: list[SyncRecord]) -> None:
    """LEDGER_SYNC_FAILED to the tenant's admins, one event per failed record."""
    admins = list(Membership.objects.filter(tenant=tenant, role=Membership.Role.ADMIN, is_active=True).values_list("user_id", flat=True))
    with transaction.atomic():
        for record in failed:
            events.emit(tenant=tenant, kind=events.LEDGER_SYNC_FAILED, recipients=admins,
                        key=f"ledger.sync_failed:{record.public_id}:{record.attempts}",
                        payload={"title": _("会計連携でエラーが発生しました"),
                                 "text": _("%(label)s の連携に失敗しました: %(error)s")
                                 % {"label": record.document_label, "error": record.error_message[:200]},
                                 "url": "/journals/sync/records/?status=error", "sync_id": str(record.public_id)})


# --------------------------------------------------------------------------- API連携一覧: 再連携 / 削除


def sync_records_resync(*, tenant: Tenant, records: Iterable[SyncRecord], actor) -> int:
    """再連携 of error rows: they go back to 連携待ち and are queued again. Other rows are left alone."""
    ids = [r.pk for r in records]
    now = timezone.now()
    with transaction.atomic():
        queryset = SyncRecord.objects.for_tenant(tenant).filter(pk__in=ids, status=Status.ERROR)
        retried = list(queryset.values_list("pk", flat=True))
        queryset.update(status=Status.WAITING, error_message="", actor=actor, updated_at=now, finished_at=None)
        _push_enqueue(retried, interactive=True)  # a person pressed 再連携; a large selection goes to bulk
    return len(retried)


def sync_records_delete(*, tenant: Tenant, records: Iterable[SyncRecord]) -> int:
    """削除 of error rows from the history (only エラー rows can be deleted)."""
    ids = [r.pk for r in records]
    deleted, _detail = SyncRecord.objects.for_tenant(tenant).filter(pk__in=ids, status=Status.ERROR).delete()
    return deleted


# --------------------------------------------------------------------------- 取引明細の書出 (manual)


def export_validate(*, tenant: Tenant, start: date, end: date, groups: list[str]) -> list[str]:
    """出力期間 (at most one year) and 出力取引 (plan-gated); returns the groups to output."""
    if start > end:
        raise ApplicationError(_("出力期間の開始日は終了日以前の日付を指定してください。"), code="invalid_period")
    if (end - start).days >= MAX_PERIOD_DAYS or end >= _one_year_after(start):
        raise ApplicationError(_("出力期間は1年以内の期間を選択してください。"), code="period_too_long")
    allowed = groups_for_plan(tenant.plan)
    refused = [g for g in groups if g not in allowed]
    if refused:
        raise ApplicationError(_("仕入・支払はプロフェッショナルプラン・トライアルプランのみ出力できます。"),
                               code="plan_not_allowed", http_status=403)
    if not groups:
        raise ApplicationError(_("出力取引を選択してください。"), code="no_groups")
    return groups


def export_resume(*, job) -> int:
    """A running export whose pushes died with their worker: its records stuck 連携中 for longer than any task
    may run (JOB_ABANDONED_AFTER_SECONDS, the sweeper's own test) go back to 連携待ち, and its waiting records
    are queued again. A record is claimed once, so one still queued elsewhere is not synced twice; a freee
    create that was in flight is reconciled before any second POST. Returns the records queued."""
    from django.conf import settings

    jobs.job_advance(job=job, by=0)  # heartbeat
    if _export_finish_if_done(job):  # the worker died after the last outcomes were written
        return 0
    return _records_requeue(SyncRecord.objects.filter(job_id=job.pk), waiting_for=timedelta(0),
                            in_progress_for=timedelta(seconds=settings.JOB_ABANDONED_AFTER_SECONDS))


def _one_year_after(start: date) -> date:
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def export_start(*, tenant: Tenant, actor, start: date, end: date, groups: list[str], closed_only: bool,
                 unsynced_only: bool):
    """会計連携する: a Job that syncs every document of the period (only unsynced ones with 会計連携 checked)."""
    from journals.sync.tasks import export_run_task

    groups = export_validate(tenant=tenant, start=start, end=end, groups=groups)
    with transaction.atomic():
        job = jobs.job_create(tenant=tenant, actor=actor, kind=EXPORT_KIND)
        job.result = {"start": start.isoformat(), "end": end.isoformat(), "groups": groups,
                      "closed_only": closed_only, "unsynced_only": unsynced_only}
        job.save(update_fields=["result"])
        audit.audit_record(tenant=tenant, actor=actor, action="ledger.export", target=job,
                           target_label=_("取引明細の書出 %(start)s〜%(end)s") % {"start": start, "end": end},
                           changes={name: [None, value] for name, value in job.result.items()})
        jobs.enqueue_on_commit(export_run_task, job.pk)
    return job


def export_run(*, job, task_id: str = "") -> None:
    """The export task: write one 連携待ち record per current document of the period, then the pushes run.

    Only documents that exist now are listed, so documents deleted before the export are never sent. A running
    job sent again by the abandoned-job sweeper (its worker died) is resumed: see export_resume.
    """
    job = jobs.job_take(job_id=job.pk, task_id=task_id)
    if job is None:
        return
    if SyncRecord.objects.filter(job_id=job.pk).exists():
        export_resume(job=job)
        return
    options, tenant = job.result, job.tenant
    start, end = date.fromisoformat(options["start"]), date.fromisoformat(options["end"])
    target = sync_settings_for(tenant=tenant).target
    total = 0
    with transaction.atomic():
        for doc_type in document_types():
            if doc_type.group not in options["groups"] or not group_allowed(tenant=tenant, doc_type=doc_type):
                continue
            ids = list(doc_type.in_period(tenant, start, end, options["closed_only"]))
            synced = _synced_ids(tenant, doc_type, ids)
            if options["unsynced_only"]:
                ids = [i for i in ids if i not in synced]
            for chunk in (ids[s:s + BATCH] for s in range(0, len(ids), BATCH)):
                documents = doc_type.load(tenant, chunk)
                adds = [i for i in chunk if i not in synced]
                edits = [i for i in chunk if i in synced]
                for operation, part in ((Operation.ADD, adds), (Operation.EDIT, edits)):
                    if part:
                        total += len(_records_create(tenant=tenant, doc_type=doc_type, ids=part, operation=operation,
                                                     actor=job.actor, target=target, documents=documents, job=job))
        jobs.job_set_total(job=job, total=total)
    if total == 0:
        jobs.job_succeed(job=job, result={**options, "errors": 0, "message": _("新しい取引はありません。")})
