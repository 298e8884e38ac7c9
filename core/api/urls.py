from django.urls import path
from rest_framework.routers import DefaultRouter

from core.api import views

router = DefaultRouter()
router.register("jobs", views.JobViewSet, basename="job")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("auth/tokens/", views.ApiTokenListView.as_view(), name="token-list"),
    path("auth/tokens/<uuid:public_id>/", views.ApiTokenDetailView.as_view(), name="token-detail"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
