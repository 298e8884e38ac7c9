from django.urls import path
from rest_framework.routers import DefaultRouter

from deals.api import upsert, views

router = DefaultRouter()
router.register("deals", views.DealViewSet, basename="deal")
router.register("deal-types", views.DealTypeViewSet, basename="deal-type")

urlpatterns = [
    # before the router: its deals/{public_id}/ would take "external" as an id
    path("deals/external/bulk/", upsert.DealExternalBulkUpsertView.as_view(), name="deal-external-bulk"),
    path("deals/external/<str:source>/<str:external_id>/", upsert.DealExternalUpsertView.as_view(),
         name="deal-external"),
    *router.urls,
]
