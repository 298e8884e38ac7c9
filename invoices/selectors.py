from django.db.models import QuerySet

from core.errors import ApplicationError
from integrations.freee.services import connection_for
from integrations.models import FreeeConnection
from invoices.models import Invoice, InvoiceSettings


def invoice_list_for_deal(*, deal) -> QuerySet[Invoice]:
    return Invoice.objects.for_tenant(deal.tenant).filter(deal=deal).select_related("job").order_by("-created_at", "-id")


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
