"""退会: download all of a tenant's data (a Job writing a zip of CSVs), then delete the tenant: its freee tokens
are revoked at freee, its LINE WORKS link removed, every tenant row deleted, and users left with no tenant
deactivated (their sessions and API tokens end)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.members import end_access
from accounts.models import TenantExport
from core import audit, jobs
from core.fields import EncryptedTextField
from core.models import Job
from integrations.freee import services as freee_services
from integrations.freee.errors import Transient
from integrations.models import FreeeConnection, LineWorksLink
from tenancy.models import Membership, Tenant

EXPORT_KIND = "accounts.tenant_export"
ROWS_PER_STEP = 500

# (file in the zip, model label): one CSV per kind of record the issue lists, and the rows they hang on.
EXPORT_FILES = [
    ("deals.csv", "deals.Deal"),
    ("deal_lines.csv", "deals.DealLine"),
    ("invoices.csv", "invoices.Invoice"),
    ("trades.csv", "journals.Trade"),
    ("trade_details.csv", "journals.TradeDetail"),
    ("trade_payments.csv", "journals.TradePayment"),
    ("journal_entries.csv", "journals.JournalEntry"),
    ("journal_lines.csv", "journals.JournalLine"),
    ("manual_journals.csv", "journals.ManualJournal"),
    ("manual_journal_lines.csv", "journals.ManualJournalLine"),
    ("payment_requests.csv", "payment_requests.PaymentRequest"),
    ("payment_request_lines.csv", "payment_requests.PaymentRequestLine"),
    ("sync_history.csv", "journal_sync.SyncRecord"),
    ("audit_trail.csv", "core.AuditEntry"),
]


@dataclass(frozen=True)
class Column:
    header: str
    lookup: str


def _columns(model: type[models.Model]) -> list[Column]:
    """Every stored field but the tenant and secrets; a related row as its public id (a user as their login)."""
    columns = []
    for field in model._meta.concrete_fields:
        if (
            field.name == "tenant"
            or audit.is_secret_field(field.name)
            or isinstance(field, EncryptedTextField | models.BinaryField)
        ):
            continue
        if field.is_relation:
            related = field.related_model
            if related is get_user_model():
                columns.append(Column(field.name, f"{field.name}__username"))
            elif any(f.name == "public_id" for f in related._meta.concrete_fields):
                columns.append(Column(field.name, f"{field.name}__public_id"))
            else:
                columns.append(Column(field.name, field.attname))
        else:
            columns.append(Column(field.name, field.name))
    return columns


def _rows(model, tenant: Tenant):
    return model.objects.filter(tenant=tenant).order_by("pk")


def tenant_export_start(*, tenant: Tenant, actor) -> Job:
    """Save the export job and send its task once committed (core.jobs)."""
    from accounts.tasks import tenant_export_task

    with transaction.atomic():
        job = jobs.job_create(tenant=tenant, actor=actor, kind=EXPORT_KIND)
        audit.audit_record(
            tenant=tenant, actor=actor, action="tenant.export", target=job, target_label=_("全データのダウンロード")
        )
        jobs.enqueue_on_commit(tenant_export_task, job.pk)
    return job


def tenant_export_run(*, job: Job, task_id: str = "") -> TenantExport | None:
    """The export task: every file of EXPORT_FILES into one zip (UTF-8 with BOM, for Excel), progress per
    ROWS_PER_STEP rows. A job another message owns, or one already finished, is left alone."""
    job = jobs.job_take(job_id=job.pk, task_id=task_id)
    if job is None:
        return None
    tenant = job.tenant
    plan = [(name, apps.get_model(label)) for name, label in EXPORT_FILES]
    jobs.job_set_total(job=job, total=sum(_rows(model, tenant).count() for _name, model in plan) or 1)
    buffer = io.BytesIO()
    counts = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, model in plan:
            counts[name] = _write_csv(archive, name, model, tenant, job)
    data = buffer.getvalue()
    export = TenantExport.objects.create(tenant=tenant, job=job, archive=data, size=len(data))
    jobs.job_succeed(job=job, result={"export": str(export.public_id), "files": counts, "size": len(data)})
    return export


def _write_csv(archive: zipfile.ZipFile, name: str, model, tenant: Tenant, job: Job) -> int:
    columns = _columns(model)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.header for c in columns])
    written = 0
    for row in _rows(model, tenant).values_list(*(c.lookup for c in columns)).iterator(chunk_size=2000):
        writer.writerow(["" if value is None else value for value in row])
        written += 1
        if written % ROWS_PER_STEP == 0:
            jobs.job_advance(job=job, by=ROWS_PER_STEP)
    if written % ROWS_PER_STEP:
        jobs.job_advance(job=job, by=written % ROWS_PER_STEP)
    archive.writestr(name, "\ufeff" + text.getvalue())
    return written


def tenant_export_filename(export: TenantExport) -> str:
    return f"export-{timezone.localdate(export.created_at):%Y%m%d}-{export.public_id.hex[:8]}.zip"


# --------------------------------------------------------------------------- deleting the tenant


def _tenant_paths(model: type[models.Model], depth: int = 3) -> list[str]:
    """The lookups from `model` to its tenant (a direct FK, or through the rows it belongs to)."""
    paths = []
    for field in model._meta.concrete_fields:
        if not field.many_to_one:
            continue
        if field.related_model is Tenant:
            paths.append(field.name)
        elif depth > 1 and field.related_model is not model:
            paths += [f"{field.name}__{path}" for path in _tenant_paths(field.related_model, depth - 1)]
    return paths


def _deletion_order(models_: list[type[models.Model]]) -> list[type[models.Model]]:
    """The models, each before every model it points to: a row is deleted while the rows its tenant is found
    through (its deal, its deal's type...) still exist. A cycle is broken anywhere (the constraints are deferred)."""
    wanted, placed, order = set(models_), set(), []

    def place(model) -> None:
        if model in placed:
            return
        placed.add(model)
        for field in model._meta.concrete_fields:
            if field.many_to_one and field.related_model in wanted and field.related_model is not model:
                place(field.related_model)
        order.append(model)

    for model in models_:
        place(model)
    return order[::-1]


def _purge_rows(tenant: Tenant) -> dict[str, int]:
    """Delete every row that belongs to the tenant, one statement per table and path to the tenant. A table with
    a tenant column is deleted by it alone; the others (a deal's lines...) through the rows they hang on, which
    is why the children go first (_deletion_order). PostgreSQL checks foreign keys at commit (Django makes them
    DEFERRABLE INITIALLY DEFERRED), so PROTECT relations between the tenant's own rows do not stand in the way.
    One path per statement: Django turns an OR across joins into INNER JOINs inside the DELETE's subquery, which
    would skip the rows whose optional link (a deal without a type) is empty."""
    deleted = {}
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m is not Tenant and m._meta.managed and not m._meta.proxy and _tenant_paths(m)
    ]
    for model in _deletion_order(candidates):
        paths = _tenant_paths(model)
        count = 0
        for path in ["tenant"] if "tenant" in paths else paths:
            count += model._base_manager.filter(**{path: tenant})._raw_delete(model._base_manager.db)
        if count:
            deleted[model._meta.label] = count
    return deleted


def tenant_delete(*, tenant: Tenant, actor, confirm_name: str) -> list:
    """Delete a tenant for good once the admin typed its name. Returns the users deactivated because they had no
    other tenant. freee is called first, outside any transaction: when freee cannot be reached nothing is
    deleted and the admin is asked to try again."""
    if confirm_name.strip() != tenant.name:
        raise ValidationError(
            {"confirm_name": _("事業所名が一致しません。削除する事業所の名前を正確に入力してください。")}
        )
    connection = FreeeConnection.objects.filter(tenant=tenant).first()
    if connection is not None:
        try:
            freee_services.connection_revoke(connection=connection)
        except Transient as error:
            raise ValidationError(
                _(
                    "freeeに接続できなかったため、freeeとの連携を解除できませんでした。"
                    "事業所は削除していません。しばらくしてからもう一度お試しください。"
                )
            ) from error
    users = list(get_user_model().objects.filter(memberships__tenant=tenant).distinct())
    with transaction.atomic():
        LineWorksLink.objects.filter(tenant=tenant).delete()  # with it the employees' ID連携 (notifications)
        audit.allow_purge_of_tenant(tenant.pk)
        _purge_rows(tenant)
        Tenant.objects.filter(pk=tenant.pk).delete()
    orphans = [user for user in users if not Membership.objects.filter(user=user, is_active=True).exists()]
    for user in orphans:
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        end_access(user=user, tenant=tenant)
    return orphans
