from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import Membership, PermissionProfile, Tenant
from tenancy.permissions import PERMISSION_CHOICES
from tenancy.validators import normalize_registration_number, validate_registration_number


class TenantSettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "uses_permission_profiles", "requires_mfa"]


class PermissionProfileForm(forms.Form):
    name = forms.CharField(label=_("権限プロファイル名"), max_length=100)
    permissions = forms.MultipleChoiceField(
        label=_("権限"), choices=PERMISSION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("ロール"), choices=Membership.Role.choices)
    permission_profile = forms.ModelChoiceField(
        label=_("権限プロファイル"), queryset=PermissionProfile.objects.none(), required=False,
        empty_label=_("（なし）"),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission_profile"].queryset = PermissionProfile.objects.for_tenant(tenant)


class CompanyForm(forms.ModelForm):
    """会社情報: the company name and its 適格請求書発行事業者登録番号 (typed with full-width digits, spaces or
    hyphens too: normalised before the model's 14 characters are checked)."""

    registration_number = forms.CharField(
        label=Tenant._meta.get_field("registration_number").verbose_name, max_length=40, required=False,
        help_text=Tenant._meta.get_field("registration_number").help_text)

    class Meta:
        model = Tenant
        fields = ["name", "registration_number"]

    def clean_registration_number(self) -> str:
        value = normalize_registration_number(self.cleaned_data.get("registration_number") or "")
        validate_registration_number(value)
        return value
