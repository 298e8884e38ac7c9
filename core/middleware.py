"""The health check ahead of every other middleware, and the UI language chosen by the user."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.views import healthz

HEALTH_CHECK_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answers /healthz before anything validates the Host.

    Docker's healthcheck and load balancers probe by IP, with a Host that is not in ALLOWED_HOSTS: further down
    the chain (CommonMiddleware, CSRF) that is a 400. It sits after SecurityMiddleware and CSPMiddleware, so the
    answer still carries their headers; in production SECURE_REDIRECT_EXEMPT keeps the probe on plain HTTP.
    The view reads no session, tenant or Host, so answering here changes nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_CHECK_PATH:
            return healthz(request)
        return self.get_response(request)


def chosen_language(request) -> str:
    """The language the user picked with the header switch (Django's set_language cookie), else Japanese."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    """Django's LocaleMiddleware, without the browser's Accept-Language: an English browser still gets the
    Japanese UI until its user chooses English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
