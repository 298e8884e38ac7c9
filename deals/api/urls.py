from rest_framework.routers import DefaultRouter

from deals.api import views

router = DefaultRouter()
router.register("deals", views.DealViewSet, basename="deal")
router.register("deal-types", views.DealTypeViewSet, basename="deal-type")

urlpatterns = router.urls
