from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, UUIDField, Value, When
from django.db.models.functions import Coalesce

from core.errors import ApplicationError
from integrations.freee.services import connection_for
from integrations.models import FreeeConnection
from invoices.models import Invoice, InvoiceSettings


def invoice_list_for_deal(*, deal) -> QuerySet[Invoice]:
    invoices = Invoice.objects.for_tenant(deal.tenant).filter(deal=deal).select_related("job")
    return with_superseded(invoices).order_by("-created_at", "-id")


def _issued_after_outer() -> QuerySet[Invoice]:
    """Invoices of the outer row's deal that freee issued after the outer row was created, earliest first."""
    return (Invoice.objects.filter(deal_id=OuterRef("deal_id"), state=Invoice.State.ISSUED)
            .annotate(issued_moment=Coalesce("issued_at", "created_at"))
            .filter(issued_moment__gt=OuterRef("created_at")).order_by("issued_moment", "id"))


def with_superseded(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate each failed invoice with the later invoice of its deal that was issued after it (issue 14 item 6).

    A failure whose deal got a good invoice afterwards is closed: it stays in the history, marked with the invoice
    that replaced it (`superseded_by_public_id`, `superseded_by_number`), and is never retried into a second one.
    A failure created after the good invoice is a new attempt (e.g. a second bill) and stays open."""
    later = _issued_after_outer()
    failed = Q(state=Invoice.State.FAILED)
    return invoices.annotate(
        superseded_by_public_id=Case(When(failed, then=Subquery(later.values("public_id")[:1])), default=None,
                                     output_field=UUIDField()),
        superseded_by_number=Case(When(failed, then=Coalesce(
            Subquery(later.values("invoice_number")[:1]), Value(""))), default=Value(""), output_field=CharField()),
    )


def is_connected(*, tenant) -> bool:
    """Whether the tenant's freee connection is usable: the same rule connection_for enforces, as a yes/no."""
    try:
        connection_for(tenant=tenant)
    except ApplicationError:
        return False
    return True


def numbering_is_manual(*, tenant) -> bool:
    """freee's numbering is 手動採番: 発行 asks for the 請求書番号 (issue 14 item 4)."""
    return FreeeConnection.objects.filter(tenant=tenant, invoice_numbering=FreeeConnection.Numbering.MANUAL).exists()


def tax_fraction_for(tenant) -> str:
    """The tenant's 消費税の端数処理 (請求書の設定), so the deal page's tax estimate rounds as the invoice will."""
    settings = InvoiceSettings.objects.filter(tenant=tenant).only("tax_fraction").first()
    return settings.tax_fraction if settings else "omit"
