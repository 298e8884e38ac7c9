from django.urls import path
from rest_framework.routers import SimpleRouter

from journals.sync.api import views

router = SimpleRouter()
router.register("sync-records", views.SyncRecordViewSet, basename="sync-record")

urlpatterns = [
    path("sync-settings/", views.SyncSettingsView.as_view(), name="sync-settings"),
    path("sync-exports/", views.ExportView.as_view(), name="sync-export"),
    path("trade-lines/", views.TradeLinesCsvView.as_view(), name="trade-lines-csv"),
    *router.urls,
]
