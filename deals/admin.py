from django.contrib import admin

from deals.models import Deal, DealLine, DealType, Product


class DealLineInline(admin.TabularInline):
    model = DealLine
    extra = 0
    exclude = ["tenant"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "deal_type", "stage", "amount", "expected_billing_date"]
    list_filter = ["tenant", "stage"]
    search_fields = ["name", "partner_name"]
    readonly_fields = ["public_id"]
    inlines = [DealLineInline]

    def save_formset(self, request, form, formset, change):
        for line in formset.save(commit=False):
            line.tenant = form.instance.tenant
            line.save()
        for line in formset.deleted_objects:
            line.delete()


admin.site.register([DealType, Product])
