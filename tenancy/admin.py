from django.contrib import admin

from tenancy.models import Membership, PermissionProfile, Tenant
from tenancy.signals import tenant_created


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "permission_profile"]

    def get_formset(self, request, obj=None, **kwargs):
        """Offer only this tenant's permission profiles (none while the tenant is being created)."""
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields["permission_profile"]
        field.queryset = PermissionProfile.objects.for_tenant(obj)
        return formset


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "uses_permission_profiles", "created_at"]
    list_filter = ["plan"]
    search_fields = ["name"]
    readonly_fields = ["public_id"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change) -> None:
        """A tenant added here is set up like one from services.tenant_create: apps seed their defaults."""
        super().save_model(request, obj, form, change)  # the admin's change view runs in one transaction
        if not change:
            tenant_created.send(sender=Tenant, tenant=obj)


@admin.register(PermissionProfile)
class PermissionProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant"]
    list_filter = ["tenant"]
    readonly_fields = ["public_id"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "permission_profile"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "tenant__name"]
    readonly_fields = ["public_id"]
