"""request.tenant and request.membership, from the logged-in user's membership."""

from tenancy.selectors import membership_for_user

SESSION_TENANT_KEY = "tenant_public_id"
# The health check must not read the session or memberships: during a database outage it answers 503 itself,
# even when the caller sends a session cookie.
UNSCOPED_PATHS = {"/healthz"}


class TenantMiddleware:
    """Sets request.membership and request.tenant (None for anonymous users and users of no tenant).

    The API sets them again after DRF authentication (token users are anonymous here); see core.api.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in UNSCOPED_PATHS:
            request.membership = request.tenant = None
            return self.get_response(request)
        request.membership = membership_for_user(
            user=request.user, tenant_public_id=request.session.get(SESSION_TENANT_KEY)
        )
        request.tenant = request.membership.tenant if request.membership else None
        return self.get_response(request)
