"""Signals other apps listen to (dependencies point towards tenancy, never from it)."""

from django.dispatch import Signal

# Sent after a tenant is created and committed: kwargs tenant. Later apps seed their defaults on it.
tenant_created = Signal()
