"""The health check ahead of every other middleware, the UI language chosen by the user, and bad input refused."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core import input_guard
from core.views import bad_input, healthz

FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

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


class BadInputMiddleware:
    """Refuses a NUL character or a lone surrogate in the path, a query parameter or a POSTed form field
    (keys and values) before any view, form or filter passes it to PostgreSQL (core.input_guard).

    Pages answer a Japanese 400 page saying what was wrong and where; /api/ answers the API's error body.
    JSON bodies are checked by the API's parser (core.api.parsers) and input_guard.loads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            input_guard.check_text(request.path_info, "_path")
            input_guard.check_pairs(request.GET.lists())
            if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
                input_guard.check_pairs(request.POST.lists())
        except input_guard.BadInput as error:
            return bad_input(request, error)
        return self.get_response(request)
