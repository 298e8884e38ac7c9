"""Service Account auth (JWT bearer, RS256) and the bot callback signature.

The access token is cached on the link and refreshed under a row lock on it: LINE WORKS rotates refresh
tokens, so two workers refreshing at once would spend one refresh token twice. After taking the lock we
re-read; a token another worker just stored is used as is. The new pair is saved before it is used.
A refused refresh falls back to a new JWT grant (the service account can always get a fresh pair).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta

import jwt
import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from integrations import http
from integrations.lineworks.errors import AuthFailed, RateLimited, Transient
from integrations.lineworks.ratelimit import reset_seconds
from integrations.lineworks.schemas import JWT_BEARER_GRANT, SCOPE, ErrorBody, TokenResponse

TOKEN_PATH = "/oauth2/v2.0/token"  # noqa: S105 - a URL path
JWT_LIFETIME_SECONDS = 3600  # LINE WORKS accepts at most 60 minutes between iat and exp
REFRESH_MARGIN_SECONDS = 300
NO_ANSWER = http.NoAnswer(Transient, connection="LINE WORKSの認証サーバーに接続できませんでした。",
                          timeout="LINE WORKSの認証サーバーの応答がタイムアウトしました。")


def assertion(*, client_id: str, service_account: str, private_key: str, now: float | None = None) -> str:
    """The signed JWT of the jwt-bearer grant: iss = Client ID, sub = Service Account, RS256."""
    issued = int(now if now is not None else time.time())
    claims = {"iss": client_id, "sub": service_account, "iat": issued, "exp": issued + JWT_LIFETIME_SECONDS}
    try:
        return jwt.encode(claims, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise AuthFailed("Private Key を読み込めませんでした。PEM形式の秘密鍵を貼り付けてください。",
                         code="invalid_private_key") from error


def token_url() -> str:
    return settings.LINEWORKS_AUTH_URL + TOKEN_PATH


def request_token(link) -> TokenResponse:
    """POST the token endpoint with a fresh service-account JWT."""
    data = {"assertion": assertion(client_id=link.client_id, service_account=link.service_account,
                                   private_key=link.private_key),
            "grant_type": JWT_BEARER_GRANT, "client_id": link.client_id, "client_secret": link.client_secret,
            "scope": SCOPE}
    return _token_call(link, data, "jwt-bearer")


def refresh_token(link) -> TokenResponse:
    """POST the token endpoint with grant_type=refresh_token (the answer carries a new refresh token)."""
    data = {"grant_type": "refresh_token", "refresh_token": link.refresh_token, "client_id": link.client_id,
            "client_secret": link.client_secret}
    return _token_call(link, data, "refresh_token")


def _token_call(link, data: dict, grant: str) -> TokenResponse:
    log = http.CallLog(tenant_id=link.tenant_id, vendor="lineworks", family="auth", method="POST",
                       path=f"{TOKEN_PATH} ({grant})",
                       secrets=(link.client_secret, data.get("refresh_token", ""), data.get("assertion", "")))
    return http.send(lambda timeout: requests.post(token_url(), data=data, timeout=timeout),
                     timeout=settings.LINEWORKS_TIMEOUT_SECONDS, no_answer=NO_ANSWER, log=log, result=_token_result)


def _token_result(response: requests.Response) -> TokenResponse:
    if response.status_code == 200:
        try:
            return TokenResponse.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise Transient("LINE WORKSの認証サーバーの応答を読み取れませんでした。", status=200,
                            code="malformed") from exc
    body = error_body(response)
    common = {"status": response.status_code, "code": body.code, "description": body.description}
    if response.status_code == 429:
        raise RateLimited("LINE WORKSのAPI利用上限に達しました。", retry_after=reset_seconds(response.headers, default=60),
                          **common)
    if response.status_code >= 500:
        raise Transient("LINE WORKSの認証サーバーでエラーが発生しました。", **common)
    raise AuthFailed("LINE WORKSの認証に失敗しました。Client ID、Client Secret、Service Account、Private Key を確認してください。",
                     **common)


def error_body(response: requests.Response) -> ErrorBody:
    try:
        body = response.json()
    except ValueError:
        return ErrorBody()
    if not isinstance(body, dict):
        return ErrorBody()
    # The token endpoint answers OAuth-style {"error", "error_description"}; the APIs {"code", "description"}.
    return ErrorBody(code=str(body.get("code") or body.get("error") or ""),
                     description=str(body.get("description") or body.get("error_description") or ""))


# ---------------------------------------------------------------- the cached token

def access_token_for(link, *, force_refresh: bool = False) -> str:
    """A usable access token for the link: the cached one while fresh, otherwise a new one (under a lock)."""
    if not force_refresh and link.access_token_fresh(REFRESH_MARGIN_SECONDS):
        return link.access_token
    return link_token_renew(link=link, stale_access_token=link.access_token)


def link_token_renew(*, link, stale_access_token: str) -> str:
    """Refresh (or re-grant) under a row lock; return the new token or the one another worker just stored."""
    model = type(link)
    with transaction.atomic():
        # The HTTP call is made while holding this one row's lock on purpose: it is what keeps a rotating
        # refresh token from being spent twice. The call has a timeout.
        locked = model.objects.select_for_update().get(pk=link.pk)
        if locked.access_token != stale_access_token and locked.access_token_fresh(60):
            link.access_token, link.access_expires_at = locked.access_token, locked.access_expires_at
            return locked.access_token
        tokens = _renew(locked)
        locked.access_token = tokens.access_token
        locked.refresh_token = tokens.refresh_token or locked.refresh_token
        locked.access_expires_at = timezone.now() + timedelta(seconds=tokens.expires_in)
        locked.save(update_fields=["access_token", "refresh_token", "access_expires_at", "updated_at"])
    link.access_token, link.refresh_token = locked.access_token, locked.refresh_token
    link.access_expires_at = locked.access_expires_at
    return link.access_token


def _renew(link) -> TokenResponse:
    if link.refresh_token:
        try:
            return refresh_token(link)
        except AuthFailed:
            pass  # refresh token expired or revoked: a new JWT grant replaces it
    return request_token(link)


# ---------------------------------------------------------------- callbacks

def callback_signature(body: bytes, bot_secret: str) -> str:
    """base64(HMAC-SHA256(key=Bot Secret, msg=raw body)): the X-WORKS-Signature header value."""
    digest = hmac.new(bot_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_valid(body: bytes, signature: str, bot_secret: str) -> bool:
    """Constant-time check of X-WORKS-Signature against the raw body (never a re-serialised one)."""
    if not signature or not bot_secret:
        return False
    return hmac.compare_digest(callback_signature(body, bot_secret).encode(), signature.strip().encode())
