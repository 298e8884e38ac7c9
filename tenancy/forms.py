from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import Membership, PermissionProfile, Tenant
from tenancy.permissions import PERMISSION_CHOICES


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
