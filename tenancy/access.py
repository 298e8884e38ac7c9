"""Page access: tenant members, tenant admins, and lookups that answer 404 for another tenant's object."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

NO_TENANT_MESSAGE = _("どの事業所にも所属していません。管理者に招待を依頼してください。")
ADMIN_ONLY_MESSAGE = _("この画面は管理者のみ利用できます。")


def check_member(request) -> None:
    if request.membership is None:
        raise PermissionDenied(NO_TENANT_MESSAGE)


def check_admin(request) -> None:
    check_member(request)
    if not request.membership.is_admin:
        raise PermissionDenied(ADMIN_ONLY_MESSAGE)


def check_member_perm(request, code: str) -> None:
    check_member(request)
    if not request.membership.has_perm(code):
        raise PermissionDenied(_("この操作を行う権限がありません。管理者に権限プロファイルの設定を依頼してください。"))


def get_tenant_object_or_404(model_or_queryset: type[Model] | QuerySet, request, **lookup) -> Model:
    """Fetch one object through the request tenant's queryset: another tenant's object is a 404."""
    queryset = model_or_queryset if isinstance(model_or_queryset, QuerySet) else model_or_queryset.objects.all()
    return get_object_or_404(queryset.for_tenant(request.tenant), **lookup)


def _guarded(check):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


member_required = _guarded(check_member)
admin_required = _guarded(check_admin)


class TenantMemberRequiredMixin(LoginRequiredMixin):
    """Class-based pages for tenant members; anonymous users are sent to login, users of no tenant get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.check_access(request)
        return super().dispatch(request, *args, **kwargs)

    def check_access(self, request) -> None:
        check_member(request)


class TenantAdminRequiredMixin(TenantMemberRequiredMixin):
    """Admin screens: members get 403."""

    def check_access(self, request) -> None:
        check_admin(request)


class TenantScopedObjectMixin:
    """Single-object pages looked up by public id within request.tenant; another tenant's object is a 404."""

    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.request.tenant)
