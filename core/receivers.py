"""Signal receivers of core: the audit entries of tenancy's changes (tenancy sends, core records)."""

from django.dispatch import receiver

from core import audit
from tenancy.signals import tenancy_changed


@receiver(tenancy_changed, dispatch_uid="core.audit_tenancy_change")
def audit_tenancy_change(sender, *, tenant, actor, action: str, target, before: dict, after: dict, **kwargs) -> None:
    """Append the audit entry of a change tenancy made (called in the change's transaction)."""
    audit.audit_record(tenant=tenant, actor=actor, action=action, target=target,
                       changes=audit.changes_between(before, after))
