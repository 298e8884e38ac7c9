"""Signals other apps listen to (dependencies point towards tenancy, never from it)."""

from django.dispatch import Signal

# Sent inside the transaction that creates a tenant (services.tenant_create, the Django admin): kwargs tenant.
# Later apps seed their defaults on it; a receiver that fails rolls the whole tenant back.
tenant_created = Signal()

# Sent inside the transaction of an audited change to tenancy's rows (settings, profiles, memberships):
# kwargs tenant, actor, action, target, before, after (field -> value snapshots). core writes the audit
# entry from it, so the trail and the change still commit together while tenancy never imports core.
tenancy_changed = Signal()
