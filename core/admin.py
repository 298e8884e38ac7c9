from django.contrib import admin

from core.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "tenant", "status", "done", "total", "actor", "created_at", "finished_at"]
    list_filter = ["status", "kind", "tenant"]
    readonly_fields = [f.name for f in Job._meta.fields]
