"""The account pages: allauth's views (their forms and flows), answering 400 on a form error like our pages."""

from __future__ import annotations

from allauth.account import views as account_views
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions import views as session_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from accounts import invitations, leaving, members, services
from accounts.forms import InvitationForm, LeaveForm, NewMemberForm, ProfileForm
from accounts.models import Invitation, TenantExport
from accounts.selectors import user_for_email, user_language
from core.models import Job
from core.tokens import api_token_list_for_user, api_token_revoke
from tenancy.access import TenantAdminRequiredMixin, get_tenant_object_or_404
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import Membership


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


# --------------------------------------------------------------------------- メンバー招待


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class InvitationListView(TenantAdminRequiredMixin, View):
    """設定 > メンバー > メンバーを招待: the tenant's invitations with their state, and the invite form."""

    def get(self, request):
        return self._render(InvitationForm(tenant=request.tenant))

    def post(self, request):
        form = InvitationForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            try:
                sent = invitations.invitation_create(
                    tenant=request.tenant, actor=request.user, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("%(n)s件の招待メールを送信しました。") % {"n": len(sent)})
                return redirect("accounts:invitation_list")
        return self._render(form, status=400)

    def _render(self, form, status=200):
        context = {
            "form": form,
            "invitations": Invitation.objects.for_tenant(self.request.tenant).select_related(
                "invited_by", "permission_profile"
            )[:200],
        }
        return render(self.request, "accounts/invitation_list.html", context, status=status)


class InvitationActionView(TenantAdminRequiredMixin, View):
    """再送信 / 取り消し of one invitation of this tenant (another tenant's is a 404)."""

    action = ""

    def post(self, request, public_id):
        invitation = get_tenant_object_or_404(Invitation, request, public_id=public_id)
        try:
            if self.action == "resend":
                invitations.invitation_resend(invitation=invitation, actor=request.user, request=request)
                messages.success(request, _("%(email)s に招待メールを再送信しました。") % {"email": invitation.email})
            else:
                invitations.invitation_revoke(invitation=invitation, actor=request.user)
                messages.success(request, _("%(email)s への招待を取り消しました。") % {"email": invitation.email})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("accounts:invitation_list")


class InvitationAcceptView(View):
    """The invitation link: join with the account of the invited address, or create it; any unusable link gets a
    page saying why and what to do."""

    def dispatch(self, request, token):
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return self.http_method_not_allowed(request)  # before the token: a DELETE is a 405 whatever the link
        try:
            self.invitation = invitations.invitation_from_token(token)
        except invitations.InvitationUnusable as unusable:
            status = 400 if unusable.reason == unusable.FORGED else 410
            return render(
                request,
                "accounts/invitation_unusable.html",
                {"message": unusable.message, "invitation": unusable.invitation},
                status=status,
            )
        self.owner = user_for_email(self.invitation.email)
        return super().dispatch(request, token)

    def get(self, request, token):
        return self._render(self._new_member_form())

    def post(self, request, token):
        if request.user.is_authenticated and request.user != self.owner:
            return self._render(None, status=403)  # signed in as someone else: the page says to log out first
        if self.owner is not None:
            if request.user != self.owner:
                return self._render(None, status=403)
            return self._join(
                self.owner, lambda: invitations.invitation_accept(invitation=self.invitation, user=self.owner)
            )
        form = self._new_member_form(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        return self._join(
            None,
            lambda: invitations.invitation_accept_as_new_user(
                invitation=self.invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                language=get_language(),
            ),
            form=form,
        )

    def _join(self, user, accept, form=None):
        try:
            result = accept()
        except ValidationError as error:
            if form is None:
                messages.error(self.request, " ".join(error.messages))
                return self._render(None, status=400)
            _add_errors(form, error)
            return self._render(form, status=400)
        user = user or result
        if not self.request.user.is_authenticated:
            login(self.request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
            record_authentication(self.request, user, "password")  # it was just set: no second password prompt
        self.request.session[SESSION_TENANT_KEY] = str(self.invitation.tenant.public_id)
        messages.success(self.request, _("「%(name)s」に参加しました。") % {"name": self.invitation.tenant.name})
        return redirect("home")

    def _new_member_form(self, data=None):
        return None if self.owner is not None else NewMemberForm(data, email=self.invitation.email)

    def _render(self, form, status=200):
        user = self.request.user
        context = {
            "invitation": self.invitation,
            "owner": self.owner,
            "form": form,
            "signed_in_as_owner": user.is_authenticated and user == self.owner,
            "signed_in_as_other": user.is_authenticated and user != self.owner,
        }
        return render(self.request, "accounts/invitation_accept.html", context, status=status)


# --------------------------------------------------------------------------- メンバーの無効化・削除


class MembershipActionView(TenantAdminRequiredMixin, View):
    """無効化 / 再有効化 (POST) and 削除 (POST; MembershipRemoveView asks first on GET) of a member of this tenant."""

    action = ""

    def post(self, request, public_id):
        membership = self._membership(public_id)
        name = membership.user.get_username()
        try:
            if self.action == "deactivate":
                members.membership_deactivate(membership=membership, actor=request.user)
                messages.success(
                    request,
                    _(
                        "%(user)s を無効化しました。ログイン中のセッションとAPIトークンは、"
                        "この事業所では使えなくなりました。"
                    )
                    % {"user": name},
                )
            elif self.action == "reactivate":
                members.membership_reactivate(membership=membership, actor=request.user)
                messages.success(request, _("%(user)s を再び有効にしました。") % {"user": name})
            else:
                members.membership_remove(membership=membership, actor=request.user)
                messages.success(request, _("%(user)s をこの事業所から削除しました。") % {"user": name})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("tenancy:membership_update", public_id=public_id)
        return redirect("tenancy:membership_list")

    def _membership(self, public_id):
        return get_tenant_object_or_404(Membership.objects.select_related("user"), self.request, public_id=public_id)


class MembershipRemoveView(MembershipActionView):
    """削除: GET asks for confirmation, POST removes."""

    action = "remove"

    def get(self, request, public_id):
        membership = self._membership(public_id)
        return render(request, "accounts/membership_confirm_remove.html", {"membership": membership})


# --------------------------------------------------------------------------- 退会


class LeaveView(TenantAdminRequiredMixin, View):
    """退会: download all data (a job with a progress bar), then delete the tenant after typing its name."""

    def get(self, request):
        return self._render(LeaveForm())

    def post(self, request):
        form = LeaveForm(request.POST)
        if form.is_valid():
            try:
                leaving.tenant_delete(tenant=request.tenant, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                request.session.pop(SESSION_TENANT_KEY, None)
                return redirect("accounts:leave_done")
        return self._render(form, status=400)

    def _render(self, form, status=200):
        context = {"form": form, "export_job": _latest_export_job(self.request), "files": leaving.EXPORT_FILES}
        return render(self.request, "accounts/leave.html", context, status=status)


def _latest_export_job(request):
    return Job.objects.for_tenant(request.tenant).filter(kind=leaving.EXPORT_KIND).first()


class ExportPanelView(TenantAdminRequiredMixin, View):
    """GET: the export's progress (htmx polls it); POST: start a new export."""

    def get(self, request):
        job = _latest_export_job(request)
        export = TenantExport.objects.for_tenant(request.tenant).filter(job=job).first() if job else None
        return render(request, "accounts/_export_panel.html", {"export_job": job, "export": export})

    def post(self, request):
        leaving.tenant_export_start(tenant=request.tenant, actor=request.user)
        if request.htmx:
            return self.get(request)
        return redirect("accounts:leave")


class ExportDownloadView(TenantAdminRequiredMixin, View):
    def get(self, request, public_id):
        export = get_tenant_object_or_404(TenantExport, request, public_id=public_id)
        response = HttpResponse(bytes(export.archive), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{leaving.tenant_export_filename(export)}"'
        return response


def leave_done(request):
    """After the tenant was deleted (no login needed: a user left with no tenant was logged out)."""
    return render(request, "accounts/leave_done.html")
