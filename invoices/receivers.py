"""Signal receivers: the default 請求書の設定 of each new tenant."""

from django.dispatch import receiver

from invoices.models import InvoiceSettings
from tenancy.signals import tenant_created


@receiver(tenant_created, dispatch_uid="invoices.seed_invoice_settings")
def seed_invoice_settings(sender, tenant, **kwargs) -> None:
    InvoiceSettings.objects.get_or_create(tenant=tenant)
