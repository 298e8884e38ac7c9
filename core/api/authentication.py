"""`Authorization: Token <key>` against core.models.ApiToken: revoked (deleted) and expired tokens are refused
on the very next request, each with its own message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.tokens import api_token_for_key, api_token_touch

INVALID_TOKEN = _("APIトークンが無効です。取り消されたか、存在しないトークンです。")
EXPIRED_TOKEN = _("APIトークンの有効期限が切れています。新しいトークンを発行してください。")
INACTIVE_USER = _("このユーザーは無効化されています。")


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing (keyword "Token"), our token store."""

    def authenticate_credentials(self, key):
        token = api_token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if token.is_expired:
            raise exceptions.AuthenticationFailed(EXPIRED_TOKEN, code="token_expired")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE_USER, code="authentication_failed")
        api_token_touch(token)
        return token.user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for ApiTokenAuthentication (the same header as DRF's tokenAuth)."""

    target_class = "core.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <key>`（POST /api/v1/auth/token/ で発行。期限切れ・取り消し済みは401）"}
