from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("settings/audit/", views.audit_list, name="audit_list"),
    path("jobs/<uuid:public_id>/progress/", views.job_progress, name="job_progress"),
]
