"""Signal receivers: seed the default chart of accounts, tax codes and wallets for each new tenant."""

from django.dispatch import receiver

from journals.defaults import ledger_defaults_ensure
from tenancy.signals import tenant_created


@receiver(tenant_created, dispatch_uid="journals.seed_ledger_defaults")
def seed_ledger_defaults(sender, tenant, **kwargs) -> None:
    ledger_defaults_ensure(tenant=tenant)
