"""Signal receivers: the 標準 deal type of each new tenant."""

from django.dispatch import receiver

from deals.models import DealType
from tenancy.signals import tenant_created


@receiver(tenant_created, dispatch_uid="deals.seed_standard_deal_type")
def seed_standard_deal_type(sender, tenant, **kwargs) -> None:
    """「標準」, linked to freee: a company that does not use deal types issues invoices from every deal."""
    DealType.objects.get_or_create(tenant=tenant, name="標準", defaults={"linked_to_freee": True})
