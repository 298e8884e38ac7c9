from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.UploadView.as_view(), name="upload"),
    path("mappings/", views.MappingListView.as_view(), name="mapping_list"),
    path("mappings/<uuid:public_id>/delete/", views.MappingDeleteView.as_view(), name="mapping_delete"),
    path("<uuid:public_id>/", views.MappingView.as_view(), name="mapping"),
    path("<uuid:public_id>/status/", views.RunStatusView.as_view(), name="status"),
    path("<uuid:public_id>/report.csv", views.ReportView.as_view(), name="report"),
]
