"""The labels of job kinds: what the job list and the job API (`kind_label`) show instead of the task name.

Apps add their kinds here, as with core.audit.ACTIONS; a kind without a label is shown as it is. The kinds are the
`kind=` passed to core.jobs.job_create (and registered with core.jobs.register_job_task when they can be re-sent).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

JOB_KINDS: dict[str, object] = {
    "invoices.bulk_refresh": _("freee請求ステータスの一括更新"),
    "invoices.issue": _("freee請求書の発行"),
    "journals.sync.export": _("会計freeeへの連携"),
    "journals.masters_import": _("freeeから勘定科目・税区分・口座の取り込み"),
    "accounts.tenant_export": _("全データのダウンロード"),
    "imports.deal_import": _("案件インポート"),
    "imports.deal_dry_run": _("案件インポートのドライラン"),
}


def job_kind_label(kind: str) -> str:
    """The label of a job kind in the active language (the raw kind when it has none)."""
    return str(JOB_KINDS.get(kind, kind))
