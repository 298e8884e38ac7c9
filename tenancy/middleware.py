"""request.tenant and request.membership, from the logged-in user's membership."""

from tenancy.selectors import membership_for_user

SESSION_TENANT_KEY = "tenant_public_id"


class TenantMiddleware:
    """Sets request.membership and request.tenant (None for anonymous users and users of no tenant).

    The API sets them again after DRF authentication (token users are anonymous here); see core.api.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = membership_for_user(
            user=request.user, tenant_public_id=request.session.get(SESSION_TENANT_KEY)
        )
        request.tenant = request.membership.tenant if request.membership else None
        return self.get_response(request)
