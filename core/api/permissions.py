"""API access: the default permission is "authenticated member of the request's tenant"."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from core.api.tenant import TENANT_HEADER, bind_tenant
from tenancy.selectors import two_factor_setup_required

NOT_A_MEMBER_OF_X_TENANT = _("このユーザーはX-Tenantで指定された事業所に所属していません。")
MFA_SETUP_REQUIRED = _("所属している事業所では2段階認証が必須です。画面の「アカウント > 2段階認証」で認証アプリを設定してから"
                       "APIを使ってください。")


class TwoFactorSetupRequired(exceptions.PermissionDenied):
    """「全メンバーに2段階認証を必須にする」: the user has no authenticator app yet (sessions and tokens alike)."""

    default_code = "mfa_required"
    default_detail = MFA_SETUP_REQUIRED


class IsTenantMember(BasePermission):
    """Authenticated, and a member of the tenant the request acts on (X-Tenant header or the first one)."""

    message = _("どの事業所にも所属していないため、このAPIは利用できません。")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if two_factor_setup_required(request.user):
            raise TwoFactorSetupRequired()
        if bind_tenant(request) is not None:
            return True
        if request.META.get(TENANT_HEADER):  # say what is wrong: the header, not the user's memberships
            raise exceptions.PermissionDenied(NOT_A_MEMBER_OF_X_TENANT)
        return False


class IsTenantAdmin(IsTenantMember):
    message = _("この操作は管理者のみ行えます。")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.membership.is_admin


def has_member_perm(code: str) -> type[BasePermission]:
    """A permission class requiring a member permission (see tenancy.permissions)."""

    class HasMemberPerm(IsTenantMember):
        message = _("この操作を行う権限がありません。管理者に権限プロファイルの設定を依頼してください。")

        def has_permission(self, request, view) -> bool:
            return super().has_permission(request, view) and request.membership.has_perm(code)

    HasMemberPerm.__name__ = f"HasMemberPerm_{code}"
    return HasMemberPerm
