"""The account pages: allauth's views (their forms and flows), answering 400 on a form error like our pages."""

from __future__ import annotations

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions import views as session_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from accounts import services
from accounts.forms import ProfileForm
from accounts.selectors import user_language
from core.tokens import api_token_list_for_user, api_token_revoke


class FormError400:
    """A form sent back with its errors answers 400 (as every page of the hub does), never 200."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignupView(FormError400, account_views.SignupView):
    """新規登録 (closed with SIGNUP_ENABLED=off: allauth shows account/signup_closed.html)."""


class PasswordResetView(FormError400, account_views.PasswordResetView):
    pass


class PasswordResetFromKeyView(FormError400, account_views.PasswordResetFromKeyView):
    pass


class PasswordChangeView(FormError400, account_views.PasswordChangeView):
    pass


class PasswordSetView(FormError400, account_views.PasswordSetView):
    pass


class EmailView(FormError400, account_views.EmailView):
    pass


class ReauthenticateView(FormError400, account_views.ReauthenticateView):
    pass


class ActivateTOTPView(FormError400, totp_views.ActivateTOTPView):
    pass


class DeactivateTOTPView(FormError400, totp_views.DeactivateTOTPView):
    pass


class GenerateRecoveryCodesView(FormError400, recovery_views.GenerateRecoveryCodesView):
    pass


class MFAReauthenticateView(FormError400, mfa_views.ReauthenticateView):
    pass


class UserSessionsView(FormError400, session_views.ListUserSessionsView):
    pass


class MFAAuthenticateView(mfa_views.AuthenticateView):
    """The second step of the login: a wrong code answers 400 with the form and its message."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


# --------------------------------------------------------------------------- アカウント設定 (our own pages)


class ProfileView(LoginRequiredMixin, View):
    """アカウント設定: name and language, the links to e-mail / password / 2FA / sessions, and the user's API
    tokens (listed, revocable; issued with POST /api/v1/auth/token/)."""

    def get(self, request):
        initial = {"name": request.user.first_name, "language": user_language(request.user) or get_language()}
        return self._render(ProfileForm(initial=initial))

    def post(self, request):
        form = ProfileForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        profile = services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("アカウント設定を保存しました。"))
        response = redirect("accounts:profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            profile.language,
            samesite="Lax",
            secure=request.is_secure(),
            max_age=settings.LANGUAGE_COOKIE_AGE,
        )
        return response

    def _render(self, form, status=200):
        context = {
            "form": form,
            "tokens": api_token_list_for_user(user=self.request.user),
            "mfa_enabled": is_mfa_enabled(self.request.user),
        }
        return render(self.request, "accounts/profile.html", context, status=status)


class TokenRevokeView(LoginRequiredMixin, View):
    """Revoke one of the user's own API tokens (the next request with it is refused); another user's is a 404."""

    def post(self, request, public_id):
        token = get_object_or_404(api_token_list_for_user(user=request.user), public_id=public_id)
        api_token_revoke(user=request.user, token=token)
        messages.success(request, _("APIトークン「%(name)s」を取り消しました。") % {"name": token.name or token.prefix})
        return redirect("accounts:profile")
