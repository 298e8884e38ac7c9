"""「全メンバーに2段階認証を必須にする」: a member who has not set up 2FA reaches only the pages that set it up."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tenancy.selectors import two_factor_setup_required

# What a member who must set up 2FA may still reach: the set-up itself (with the password check it may ask
# for), logging out, the language switch and the sandbox mailbox. The API answers 403 mfa_required itself
# (core.api.permissions), because token users are only known after DRF's authentication.
ALLOWED_URL_NAMES = (
    "mfa_activate_totp",
    "mfa_index",
    "mfa_reauthenticate",
    "account_reauthenticate",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "logout",
    "account_logout",
    "set_language",
    "sandbox:mailbox",
)
ALLOWED_PREFIXES = ("/api/", "/static/", "/sandbox/mail/", "/healthz", "/metrics")
SETUP_REQUIRED = _("この事業所では全メンバーに2段階認証が必須です。認証アプリを設定してから操作を続けてください。")


class RequireTwoFactorMiddleware:
    """After TenantMiddleware: every page of a member who must set up 2FA redirects to the set-up page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: set[str] | None = None

    def allowed_paths(self) -> set[str]:
        if self._allowed is None:
            self._allowed = {reverse(name) for name in ALLOWED_URL_NAMES}
        return self._allowed

    def __call__(self, request):
        path = request.path_info
        if path.startswith(ALLOWED_PREFIXES):
            return self.get_response(request)
        request.two_factor_setup_required = two_factor_setup_required(request.user)  # the pages say so too
        if not request.two_factor_setup_required or path in self.allowed_paths():
            return self.get_response(request)
        messages.warning(request, SETUP_REQUIRED)
        target = reverse("mfa_activate_totp")
        response = HttpResponseRedirect(target)
        if getattr(request, "htmx", False):
            response["HX-Redirect"] = target  # an htmx partial must not swap the set-up page into a fragment
        return response
