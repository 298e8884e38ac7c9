from django.db.models import QuerySet

from core.errors import ApplicationError
from integrations.freee.services import connection_for
from invoices.models import Invoice


def invoice_list_for_deal(*, deal) -> QuerySet[Invoice]:
    return Invoice.objects.for_tenant(deal.tenant).filter(deal=deal).select_related("job").order_by("-created_at", "-id")


def is_connected(*, tenant) -> bool:
    """Whether the tenant's freee connection is usable: the same rule connection_for enforces, as a yes/no."""
    try:
        connection_for(tenant=tenant)
    except ApplicationError:
        return False
    return True
