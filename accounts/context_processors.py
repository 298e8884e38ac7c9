from django.conf import settings
from django.urls import reverse


def accounts(request) -> dict:
    """Whether sign-up is open (the login page links to it), and where the sandbox mailbox is (development)."""
    return {
        "signup_enabled": settings.SIGNUP_ENABLED,
        "sandbox_mailbox_url": reverse("sandbox:mailbox") if settings.SANDBOX_ENABLED else "",
    }
