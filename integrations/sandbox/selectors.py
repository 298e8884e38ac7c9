"""Reads of the freee sandbox console, always scoped to the request tenant."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet
from django.utils import timezone

from integrations.sandbox.models import SandboxApp, SandboxCompany
from tenancy.models import Tenant


def apps_for_tenant(tenant: Tenant | None) -> QuerySet[SandboxApp]:
    """The sandbox apps created in this tenant's console."""
    return SandboxApp.objects.for_tenant(tenant).annotate(company_count=Count("companies"))


def faults_initial(company: SandboxCompany) -> dict:
    """The fault form's initial values from the company's switches."""
    faults = company.faults or {}
    lockout = faults.get("lockout_until")
    minutes = 0
    if lockout:
        minutes = max(0, int((datetime.fromisoformat(lockout) - timezone.now()).total_seconds() // 60) + 1)
    server_error = faults.get("server_error_5xx") or {}
    return {
        "latency_ms": faults.get("latency_ms") or 0,
        "rate_limit_429": (faults.get("rate_limit_429") or {}).get("count", 0),
        "lockout_minutes": minutes,
        "server_error_5xx": server_error.get("count", 0),
        "server_error_status": server_error.get("status", 500),
        "timeout_after_create": (faults.get("timeout_after_create") or {}).get("timeout_seconds", 0),
        "malformed_body": (faults.get("malformed_body") or {}).get("count", 0),
    }
