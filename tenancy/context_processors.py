from django.conf import settings

from tenancy.selectors import membership_list_for_user


def tenancy(request) -> dict:
    """The current tenant and membership, and the user's other tenants for the header switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "sandbox_enabled": settings.SANDBOX_ENABLED,
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": membership_list_for_user(user=user),
    }
