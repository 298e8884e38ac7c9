"""Binding request.tenant after DRF authentication (token users are anonymous to the middleware)."""

from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.selectors import is_tenant, membership_for_user

TENANT_HEADER = "HTTP_X_TENANT"


def bind_tenant(request):
    """Set request.membership/tenant on the DRF request from the X-Tenant header, the session, or the first."""
    wanted = request.META.get(TENANT_HEADER) or _session_tenant(request)
    membership = membership_for_user(user=request.user, tenant_public_id=wanted)
    if request.META.get(TENANT_HEADER) and not is_tenant(membership, wanted):
        membership = None  # an explicit tenant the user is not a member of is never silently replaced
    request.membership = membership
    request.tenant = membership.tenant if membership else None
    django_request = getattr(request, "_request", None)
    if django_request is not None:
        django_request.membership, django_request.tenant = request.membership, request.tenant
    return membership


def _session_tenant(request):
    session = getattr(request, "session", None)
    return session.get(SESSION_TENANT_KEY) if session is not None else None
