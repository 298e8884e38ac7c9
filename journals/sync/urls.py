from django.urls import path

from journals.sync import views

app_name = "journal_sync"

urlpatterns = [
    path("settings/ledger-sync/", views.SyncSettingsView.as_view(), name="settings"),
    path("journals/sync/records/", views.record_list, name="record_list"),
    path("journals/sync/export/", views.ExportView.as_view(), name="export"),
]
