"""One error body for every API error: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import input_guard
from core.errors import ApplicationError

MESSAGES = {
    "not_found": _("見つかりません。"),
    "not_authenticated": _("ログインが必要です。"),
    "authentication_failed": _("認証に失敗しました。"),
    "permission_denied": _("この操作を行う権限がありません。"),
    "method_not_allowed": _("このメソッドは使用できません。"),
    "unsupported_media_type": _("このContent-Typeには対応していません。application/json を使用してください。"),
    "not_acceptable": _("このAcceptヘッダーには対応していません。"),
    "throttled": _("リクエストが多すぎます。しばらく待ってから再度お試しください。"),
    "parse_error": _("リクエストの形式が正しくありません。JSONを確認してください。"),
    "invalid": _("入力内容に誤りがあります。"),
    "server_error": _("サーバーでエラーが発生しました。時間をおいて再度お試しください。"),
    "csrf_failed": _("CSRF検証に失敗しました。ページを再読み込みしてからもう一度お試しください。"),
}


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def json_error(code: str, http_status: int, message: str | None = None) -> JsonResponse:
    """The same body for errors raised outside DRF views (404/500/CSRF on /api/ paths)."""
    return JsonResponse(
        error_body(code, str(message or MESSAGES[code])), status=http_status, json_dumps_params={"ensure_ascii": False}
    )


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: map every exception the API raises to the one error body."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, str(exc.message), exc.details), status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):  # Django's request.body above DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(input_guard.too_large().message, code="too_large")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's handler500 renders the error body for /api/
    response.data = _body_for(exc, response.data)
    return response


def _body_for(exc: exceptions.APIException, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return error_body("invalid", str(MESSAGES["invalid"]), data if isinstance(data, dict) else {"non_field": data})
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        return error_body("csrf_failed", str(MESSAGES["csrf_failed"]))
    detail = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else None
    default_detail = str(exc.default_detail)
    message = detail if detail and detail != default_detail else str(MESSAGES.get(code, default_detail))
    details = {"retry_after": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait else {}
    return error_body(code, message, details)

