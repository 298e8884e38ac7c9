"""A URLconf for error-page tests: the project's routes plus two views that fail."""

from django.urls import path

from config.urls import handler500  # noqa: F401 - handler500 is used by Django
from config.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *project_urlpatterns]
