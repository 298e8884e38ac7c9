"""Reads of 会計連携, always scoped to a tenant."""

from django.db.models import QuerySet

from journals.sync.models import SyncRecord

SORTS = {"created_at": "created_at", "-created_at": "-created_at", "status": "status", "-status": "-status",
         "document": "document_label", "-document": "-document_label", "operation": "operation",
         "-operation": "-operation"}
DEFAULT_SORT = "-created_at"


def sync_record_list(*, tenant, sort: str = DEFAULT_SORT) -> QuerySet[SyncRecord]:
    """API連携一覧: every sync of the tenant, newest first unless sorted otherwise (id breaks ties)."""
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    tiebreak = "-id" if order.startswith("-") else "id"
    return SyncRecord.objects.for_tenant(tenant).select_related("actor").order_by(order, tiebreak)


def document_history(*, tenant, document_types: list[str], document_id: int) -> QuerySet[SyncRecord]:
    """API連携履歴 of one document (an invoice shows its 請求書 and 入金 rows together)."""
    return (SyncRecord.objects.for_tenant(tenant).filter(document_type__in=document_types, document_id=document_id)
            .select_related("actor").order_by("-created_at", "-id"))
