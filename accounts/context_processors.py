from django.conf import settings
from django.urls import reverse


def accounts(request) -> dict:
    """Whether sign-up is open (the login page links to it), whether the user must set up 2FA before anything
    else, and where the sandbox mailbox is (development)."""
    return {
        "signup_enabled": settings.SIGNUP_ENABLED,
        "mfa_required": getattr(request, "two_factor_setup_required", False),  # accounts.middleware
        "sandbox_mailbox_url": reverse("sandbox:mailbox") if settings.SANDBOX_ENABLED else "",
    }
