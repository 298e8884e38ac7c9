"""案件インポート: upload, mapping, preview, dry run and the import itself (a bulk Job, batch by batch, resumable)."""

from __future__ import annotations

import csv
import io
import itertools
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core import audit, jobs
from core.errors import ApplicationError
from core.models import Job
from core.retry import SliceSpent
from core.sql import insert_rows
from deals import upsert
from imports import parsers
from imports.mapping import TARGETS, MappingConfig, RowMapper, column_name, preset_config, suggest
from imports.models import ImportIssue, ImportMapping, ImportRun
from tenancy.models import Tenant

IMPORT_KIND = "imports.deal_import"
DRY_RUN_KIND = "imports.deal_dry_run"
BATCH_ROWS = 500
PREVIEW_DEALS = 20
MAX_DISTINCT_VALUES = 50
COUNT_KEYS = (upsert.CREATED, upsert.UPDATED, upsert.UNCHANGED, upsert.SKIPPED, upsert.ERROR)
FIELD_TARGETS = {"deal_type_id": "deal_type", "owner_id": "owner", "lines": "line_description"}


def import_upload(*, tenant: Tenant, actor, name: str, data: bytes) -> ImportRun:
    """Keep an uploaded file once it proved readable (encoding, delimiter, header, 1 … 100,000 rows)."""
    try:
        fmt = parsers.detect(name, data)
        header, count = parsers.inspect(data, fmt)
    except parsers.FileRejected as rejected:
        raise ApplicationError(rejected.message, code="file_rejected") from None
    return ImportRun.objects.create(tenant=tenant, actor=actor, file_name=name[:255], file_size=len(data), data=data,
                                    kind=fmt.kind, encoding=fmt.encoding, delimiter=fmt.delimiter, header=header,
                                    row_count=count)


def import_table(run: ImportRun) -> parsers.Table:
    return parsers.read(bytes(run.data), parsers.FileFormat(run.kind, run.encoding, run.delimiter))


def import_initial_config(*, run: ImportRun, preset: str = "", mapping: ImportMapping | None = None) -> MappingConfig:
    """What the mapping screen starts from: a saved mapping, a preset, the run's last choice, or suggestions."""
    if mapping is not None:
        config = MappingConfig.from_json(mapping.config)
        config.columns = {t: c for t, c in config.columns.items() if c in run.header}
        return config
    if preset:
        return preset_config(preset, run.header)
    if run.config:
        return MappingConfig.from_json(run.config)
    return MappingConfig(columns=suggest(run.header))


def import_distinct_values(*, run: ImportRun, config: MappingConfig, target: str) -> list[str]:
    """The different values of the column mapped to `target` (フェーズ, 案件タイプ), for the value mapping."""
    column = config.columns.get(target)
    if column not in run.header:
        return []
    position = run.header.index(column)
    values: dict[str, None] = {}
    for _number, cells in import_table(run).rows:
        text = str(cells[position] or "").strip()
        if text:
            values.setdefault(text)
            if len(values) >= MAX_DISTINCT_VALUES:
                break
    return list(values)


def import_check_config(config: MappingConfig) -> None:
    if not config.columns.get("external_id"):
        raise ApplicationError(_("外部ID（CRMの案件ID）の列を選んでください。同じファイルをもう一度取り込んだときに、"
                                 "同じ案件を更新するために使います。"), code="external_id_required")
    if not config.columns.get("name"):
        raise ApplicationError(_("案件名の列を選んでください。"), code="name_required")
    if not config.source.strip():
        raise ApplicationError(_("連携元の名前を入力してください。"), code="source_required")


def mapping_save(*, tenant: Tenant, actor, name: str, config: MappingConfig) -> ImportMapping:
    """Save (or overwrite) the tenant's mapping of this name."""
    with transaction.atomic():
        mapping, created = ImportMapping.objects.update_or_create(tenant=tenant, name=name.strip()[:100],
                                                                  defaults={"config": config.as_json()})
        audit.audit_record(tenant=tenant, actor=actor, action="import_mapping.save", target=mapping,
                           changes={"name": [None if created else mapping.name, mapping.name]})
    return mapping


def mapping_delete(*, mapping: ImportMapping, actor) -> None:
    with transaction.atomic():
        audit.audit_record(tenant=mapping.tenant, actor=actor, action="import_mapping.delete", target=mapping,
                           changes={"name": [mapping.name, None]})
        mapping.delete()


# --------------------------------------------------------------------------- preview


@dataclass
class PreviewDeal:
    """A deal of the preview: its values as they will be saved, the outcome, and each cell's error."""

    item: upsert.DealInput
    outcome: upsert.Outcome
    cell_errors: dict[str, list[str]]  # column -> messages
    rows: int


def import_preview(*, run: ImportRun, config: MappingConfig, limit: int = PREVIEW_DEALS) -> list[PreviewDeal]:
    """The first deals of the file as they will be saved (a dry run of them), every failing cell explained."""
    mapper = RowMapper(tenant=run.tenant, config=config, header=run.header)
    found = list(itertools.islice(mapper.deals(import_table(run).rows, seen=set()), limit))
    outcomes = upsert.deals_upsert(tenant=run.tenant, actor=None, items=[item for item, *_ in found], dry_run=True)
    preview = []
    for (item, count, _last), outcome in zip(found, outcomes, strict=True):
        cells: dict[str, list[str]] = {}
        for _row, column, message in _issues_of(outcome, config):
            cells.setdefault(column, []).append(message)
        preview.append(PreviewDeal(item, outcome, cells, count))
    return preview


def _issues_of(outcome: upsert.Outcome, config: MappingConfig) -> list[tuple[int, str, str]]:
    """An outcome's errors as (row number, column, reason): the file's own, and the upsert's by field."""
    issues = []
    for error in outcome.errors:
        if len(error) == 3:
            issues.append(error)
        else:
            name, message = error
            target = FIELD_TARGETS.get(name, name)
            issues.append((outcome.ref, column_name(config, target) if target in TARGETS else name, message))
    return issues


# --------------------------------------------------------------------------- the job


def import_start(*, run: ImportRun, actor, config: MappingConfig, dry_run: bool) -> Job:
    """Save the mapping on the run and start its dry run or import as a bulk Job (enqueued on commit)."""
    from imports.tasks import deal_import_task

    import_check_config(config)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        current = run.dry_run_job if dry_run else run.job
        if current is not None and (not current.is_finished or not dry_run):
            raise ApplicationError(_("このファイルのインポートはすでに開始しています。") if not dry_run else
                                   _("ドライランを実行中です。完了してから再度お試しください。"), code="import_started",
                                   http_status=409)
        job = jobs.job_create(tenant=run.tenant, actor=actor, kind=DRY_RUN_KIND if dry_run else IMPORT_KIND,
                              total=run.row_count)
        run.config = config.as_json()
        if dry_run:
            run.dry_run_job = job
            ImportIssue.objects.filter(run=run, dry_run=True).delete()
        else:
            run.job = job
        run.save(update_fields=["config", "dry_run_job", "job", "updated_at"])
        if not dry_run:
            audit.audit_record(tenant=run.tenant, actor=actor, action="deal_import.start", target=run,
                               changes={"file": [None, run.file_name], "rows": [None, run.row_count]})
        jobs.enqueue_on_commit(deal_import_task, job.pk)
    return job


def run_of(job: Job) -> ImportRun | None:
    field = "dry_run_job" if job.kind == DRY_RUN_KIND else "job"
    return ImportRun.objects.filter(**{field: job}).select_related("tenant").first()


def deal_import_run(*, job_id: int, task_id: str = "", deadline: float | None = None) -> None:
    """The task's work: take (or resume) the job and import the rows after `result["next_row"]`, a batch at a time.

    Each batch — its deals and lines, its report rows, the counts and the position to resume from — commits in
    one transaction, so a worker killed at any moment leaves the job exactly at a batch boundary: the sweeper
    re-sends it and it goes on from there, never importing a row twice. Raises SliceSpent after the slice."""
    job = jobs.job_take(job_id=job_id, task_id=task_id)
    if job is None:
        return
    run = run_of(job)
    if run is None:
        jobs.job_fail(job=job, error=_("インポートするファイルが見つかりません。"))
        return
    dry_run = job.kind == DRY_RUN_KIND
    state = {**dict.fromkeys(COUNT_KEYS, 0), "done_through": 0, **(job.result or {})}
    deadline = deadline if deadline is not None else time.monotonic() + settings.BULK_SLICE_SECONDS
    config = MappingConfig.from_json(run.config)
    mapper = RowMapper(tenant=run.tenant, config=config, header=run.header)
    try:
        rows = import_table(run).rows
    except parsers.FileRejected as rejected:
        jobs.job_fail(job=job, error=rejected.message)
        return
    seen: set[str] = set()
    for batch in _batches(mapper.deals(_rows_after(mapper, rows, state["done_through"], seen), seen=seen)):
        _import_batch(run, job, config, batch, state, dry_run=dry_run)
        if time.monotonic() > deadline:
            raise SliceSpent
    if not dry_run:
        ImportRun.objects.filter(pk=run.pk).update(data=b"")  # the report keeps what is needed; free the space
    jobs.job_succeed(job=job, result=state)


def _rows_after(mapper: RowMapper, rows, done_through: int, seen: set[str]):
    """The rows a previous slice has not imported yet; the keys of those it has go to `seen` (duplicates)."""
    for number, cells in rows:
        if number <= done_through:
            seen.add(mapper.key_of(cells))
            continue
        yield number, cells


def _batches(deals):
    batch, size = [], 0
    for item, count, last in deals:
        batch.append((item, count, last))
        size += count
        if size >= BATCH_ROWS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _import_batch(run: ImportRun, job: Job, config: MappingConfig, batch: list, state: dict, *,
                  dry_run: bool) -> None:
    items = [item for item, _count, _last in batch]
    rows = sum(count for _item, count, _last in batch)
    with transaction.atomic():
        outcomes = upsert.deals_upsert(tenant=run.tenant, actor=job.actor, items=items, dry_run=dry_run)
        issues = []
        for outcome in outcomes:
            state[outcome.status] += 1
            for row, column, reason in _issues_of(outcome, config):
                issues.append((run.tenant_id, run.pk, dry_run, row, column[:255], outcome.external_id[:255],
                               outcome.status, reason))
        insert_rows(ImportIssue, ("tenant", "run", "dry_run", "row_number", "column", "external_id", "outcome",
                                  "reason"), issues)
        state["done_through"] = batch[-1][2]
        Job.objects.filter(pk=job.pk).update(result=state)
        jobs.job_advance(job=job, by=min(rows, max(0, job.total - job.done)))


# --------------------------------------------------------------------------- report

REPORT_HEADER = ["行番号", "列", "外部ID", "結果", "理由"]


def import_report_csv(*, run: ImportRun, dry_run: bool) -> bytes:
    """The report as CSV (UTF-8 with BOM, for Excel): the counts, then every error and skip by row and column."""
    job = run.dry_run_job if dry_run else run.job
    counts = (job.result if job else {}) or {}
    out = io.StringIO()
    writer = csv.writer(out)
    for key in COUNT_KEYS:
        writer.writerow([_(upsert.OUTCOME_LABELS[key]), counts.get(key, 0)])
    writer.writerow([])
    writer.writerow([_(name) for name in REPORT_HEADER])
    for issue in run.issues.filter(dry_run=dry_run).order_by("row_number", "id").iterator(chunk_size=2000):
        writer.writerow([issue.row_number, _guard(issue.column), _guard(issue.external_id),
                         _(upsert.OUTCOME_LABELS.get(issue.outcome, issue.outcome)), _guard(issue.reason)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _guard(text: str) -> str:
    """Cells that Excel would run as a formula get a leading apostrophe (as the deal CSV export does)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def import_preview_table(*, run: ImportRun, config: MappingConfig, preview: list[PreviewDeal]) -> dict:
    """The preview as the page shows it: a header of the mapped fields and, per deal, each cell's value and errors."""
    from django.contrib.auth import get_user_model

    from deals.models import Deal, DealType

    targets = [t for t in ("external_id", "name", "deal_type", "stage", "amount", "expected_order_date",
                           "expected_billing_date", "owner", "partner_name", "partner_freee_id") if t in config.columns]
    types = dict(DealType.objects.for_tenant(run.tenant).values_list("pk", "name"))
    owners = dict(get_user_model().objects.filter(
        pk__in={p.item.fields.get("owner_id") for p in preview} - {None}).values_list("pk", "username"))
    stages = dict(Deal.Stage.choices)
    shown = {"deal_type": lambda v: types.get(v, ""), "owner": lambda v: owners.get(v, ""),
             "stage": lambda v: stages.get(v, v), "amount": lambda v: f"{v:,}",
             "expected_order_date": lambda v: f"{v:%Y/%m/%d}" if v else "",
             "expected_billing_date": lambda v: f"{v:%Y/%m/%d}" if v else ""}
    rows = []
    for deal in preview:
        fields = deal.item.fields
        cells = []
        for target in targets:
            value = deal.item.external_id if target == "external_id" else fields.get(FIELD_TARGET_KEYS.get(target, target))
            text = "" if value is None else shown.get(target, str)(value)
            cells.append({"value": text, "errors": deal.cell_errors.get(column_name(config, target), [])})
        lines = deal.item.lines
        line_errors = [m for t in ("line_description", "line_quantity", "line_unit", "line_unit_price", "line_tax_rate")
                       for m in deal.cell_errors.get(column_name(config, t), [])]
        other = [m for column, messages in deal.cell_errors.items()
                 if column not in {column_name(config, t) for t in TARGETS} for m in messages]
        rows.append({"number": deal.item.ref, "cells": cells, "status": deal.outcome.status,
                     "lines": None if lines is None else len(lines), "line_errors": line_errors, "other_errors": other})
    return {"header": [str(TARGETS[t][0]) for t in targets], "rows": rows, "has_lines": config.has_lines}


FIELD_TARGET_KEYS = {"deal_type": "deal_type_id", "owner": "owner_id"}
