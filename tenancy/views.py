"""Tenant switcher and the admin settings screens (設定)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from tenancy import selectors, services
from tenancy.access import TenantAdminRequiredMixin, get_tenant_object_or_404
from tenancy.forms import CompanyForm, MembershipForm, PermissionProfileForm, TenantSettingsForm
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import Membership, PermissionProfile
from tenancy.selectors import is_tenant


@require_POST
def tenant_switch(request):
    """Switch the current tenant from the header; a tenant the user does not belong to is a 404."""
    if not request.user.is_authenticated:
        raise Http404
    wanted = request.POST.get("tenant", "")
    membership = selectors.membership_for_user(user=request.user, tenant_public_id=wanted)
    if not is_tenant(membership, wanted):
        raise Http404(_("その事業所は見つかりません。"))
    request.session[SESSION_TENANT_KEY] = str(membership.tenant.public_id)
    messages.success(request, _("事業所を「%(name)s」に切り替えました。") % {"name": membership.tenant.name})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("home")
    return HttpResponseRedirect(next_url)


class SettingsView(TenantAdminRequiredMixin, View):
    """設定: tenant name and the permission-profile switch."""

    def get(self, request):
        return self._render(TenantSettingsForm(instance=request.tenant))

    def post(self, request):
        form = TenantSettingsForm(request.POST, instance=request.tenant)
        if not form.is_valid():
            return self._render(form, status=400)
        services.tenant_settings_update(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        messages.success(request, _("設定を保存しました。"))
        return redirect("tenancy:settings")

    def _render(self, form, status=200):
        return render(self.request, "tenancy/settings.html", {"form": form}, status=status)


class CompanyView(TenantAdminRequiredMixin, View):
    """会社情報: company name and 適格請求書発行事業者登録番号 (T + 13 digits, check digit verified)."""

    def get(self, request):
        return self._render(CompanyForm(instance=request.tenant))

    def post(self, request):
        form = CompanyForm(request.POST, instance=request.tenant)
        if not form.is_valid():
            return self._render(form, status=400)
        services.tenant_company_update(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        messages.success(request, _("会社情報を保存しました。"))
        return redirect("tenancy:company")

    def _render(self, form, status=200):
        return render(self.request, "tenancy/company.html", {"form": form}, status=status)


class MembershipListView(TenantAdminRequiredMixin, View):
    def get(self, request):
        return render(request, "tenancy/membership_list.html",
                      {"memberships": selectors.membership_list(tenant=request.tenant)})


class MembershipUpdateView(TenantAdminRequiredMixin, View):
    def get(self, request, public_id):
        membership = self._membership(public_id)
        initial = {"role": membership.role, "permission_profile": membership.permission_profile}
        return self._render(membership, MembershipForm(initial=initial, tenant=request.tenant))

    def post(self, request, public_id):
        membership = self._membership(public_id)
        form = MembershipForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            try:
                services.membership_update(membership=membership, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("%(user)s のロールと権限を保存しました。") % {"user": membership.user})
                return redirect("tenancy:membership_list")
        return self._render(membership, form, status=400)

    def _membership(self, public_id):
        return get_tenant_object_or_404(Membership.objects.select_related("user"), self.request, public_id=public_id)

    def _render(self, membership, form, status=200):
        context = {"membership": membership, "form": form}
        return render(self.request, "tenancy/membership_form.html", context, status=status)


class PermissionProfileListView(TenantAdminRequiredMixin, View):
    def get(self, request):
        return render(request, "tenancy/permission_profile_list.html",
                      {"profiles": selectors.permission_profile_list(tenant=request.tenant)})


class PermissionProfileEditView(TenantAdminRequiredMixin, View):
    """Create (no public_id) or edit a permission profile."""

    def get(self, request, public_id=None):
        profile = self._profile(public_id)
        initial = {"name": profile.name, "permissions": profile.permissions} if profile else None
        return self._render(profile, PermissionProfileForm(initial=initial))

    def post(self, request, public_id=None):
        profile = self._profile(public_id)
        form = PermissionProfileForm(request.POST)
        if form.is_valid():
            try:
                services.permission_profile_save(
                    tenant=request.tenant, actor=request.user, profile=profile, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("権限プロファイルを保存しました。"))
                return redirect("tenancy:permission_profile_list")
        return self._render(profile, form, status=400)

    def _profile(self, public_id):
        if public_id is None:
            return None
        return get_tenant_object_or_404(PermissionProfile, self.request, public_id=public_id)

    def _render(self, profile, form, status=200):
        context = {"profile": profile, "form": form}
        return render(self.request, "tenancy/permission_profile_form.html", context, status=status)


class PermissionProfileDeleteView(TenantAdminRequiredMixin, View):
    """Deletion asks for confirmation first (GET shows it, POST deletes)."""

    def get(self, request, public_id):
        profile = get_tenant_object_or_404(PermissionProfile, request, public_id=public_id)
        return render(request, "tenancy/permission_profile_confirm_delete.html", {"profile": profile})

    def post(self, request, public_id):
        profile = get_tenant_object_or_404(PermissionProfile, request, public_id=public_id)
        services.permission_profile_delete(profile=profile, actor=request.user)
        messages.success(request, _("権限プロファイル「%(name)s」を削除しました。") % {"name": profile.name})
        return redirect("tenancy:permission_profile_list")


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


