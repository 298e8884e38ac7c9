"""The account pages. The login stays at /login/ (allauth's views under our URLs); allauth's own URL names are
kept because its flows redirect by them (account_login redirects to /login/)."""

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from accounts import views

logout = auth_views.LogoutView.as_view()

urlpatterns = [
    path("login/", account_views.login, name="login"),
    path("account/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="account_login"),
    path("logout/", logout, name="logout"),
    path("account/logout/", logout, name="account_logout"),
    path("signup/", views.SignupView.as_view(), name="account_signup"),
    path("account/inactive/", account_views.account_inactive, name="account_inactive"),
    path("account/reauthenticate/", views.ReauthenticateView.as_view(), name="account_reauthenticate"),
    # e-mail: one address per user, changed with re-verification (ACCOUNT_CHANGE_EMAIL)
    path("account/email/", views.EmailView.as_view(), name="account_email"),
    path("account/confirm-email/", account_views.email_verification_sent, name="account_email_verification_sent"),
    re_path(r"^account/confirm-email/(?P<key>[-:\w]+)/$", account_views.confirm_email, name="account_confirm_email"),
    # passwords
    path("account/password/change/", views.PasswordChangeView.as_view(), name="account_change_password"),
    path("account/password/set/", views.PasswordSetView.as_view(), name="account_set_password"),
    path("account/password/reset/", views.PasswordResetView.as_view(), name="account_reset_password"),
    path("account/password/reset/done/", account_views.password_reset_done, name="account_reset_password_done"),
    re_path(
        r"^account/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.PasswordResetFromKeyView.as_view(),
        name="account_reset_password_from_key",
    ),
    path(
        "account/password/reset/key/done/",
        account_views.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    # two-factor authentication (allauth.mfa): TOTP and recovery codes
    path("account/2fa/", mfa_views.index, name="mfa_index"),
    path("account/2fa/authenticate/", views.MFAAuthenticateView.as_view(), name="mfa_authenticate"),
    path("account/2fa/reauthenticate/", views.MFAReauthenticateView.as_view(), name="mfa_reauthenticate"),
    path("account/2fa/totp/activate/", views.ActivateTOTPView.as_view(), name="mfa_activate_totp"),
    path("account/2fa/totp/deactivate/", views.DeactivateTOTPView.as_view(), name="mfa_deactivate_totp"),
    path("account/2fa/recovery-codes/", recovery_views.view_recovery_codes, name="mfa_view_recovery_codes"),
    path(
        "account/2fa/recovery-codes/generate/",
        views.GenerateRecoveryCodesView.as_view(),
        name="mfa_generate_recovery_codes",
    ),
    path(
        "account/2fa/recovery-codes/download/",
        recovery_views.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    # the user's own sessions (allauth.usersessions): end the others
    path("account/sessions/", views.UserSessionsView.as_view(), name="usersessions_list"),
]

# Our own pages (namespace "accounts", config/urls.py).
app_patterns = [
    path("account/", views.ProfileView.as_view(), name="profile"),
    path("account/tokens/<uuid:public_id>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    # メンバー招待 (admins) and the invitation link (anyone holding it)
    path("settings/invitations/", views.InvitationListView.as_view(), name="invitation_list"),
    path(
        "settings/invitations/<uuid:public_id>/resend/",
        views.InvitationActionView.as_view(action="resend"),
        name="invitation_resend",
    ),
    path(
        "settings/invitations/<uuid:public_id>/revoke/",
        views.InvitationActionView.as_view(action="revoke"),
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    # メンバーの無効化・再有効化・削除
    path(
        "settings/members/<uuid:public_id>/deactivate/",
        views.MembershipActionView.as_view(action="deactivate"),
        name="membership_deactivate",
    ),
    path(
        "settings/members/<uuid:public_id>/reactivate/",
        views.MembershipActionView.as_view(action="reactivate"),
        name="membership_reactivate",
    ),
    path("settings/members/<uuid:public_id>/remove/", views.MembershipRemoveView.as_view(), name="membership_remove"),
    # 退会
    path("settings/leave/", views.LeaveView.as_view(), name="leave"),
    path("settings/leave/export/", views.ExportPanelView.as_view(), name="export"),
    path("settings/exports/<uuid:public_id>/download/", views.ExportDownloadView.as_view(), name="export_download"),
    path("leave/done/", views.leave_done, name="leave_done"),
]
