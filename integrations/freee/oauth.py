"""freee OAuth 2.0 (authorization code): authorize URL, code exchange and refresh, with requests-oauthlib.

Token endpoint calls are logged like every other vendor call (never with a token or secret).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import MissingTokenError, OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations.freee.errors import MalformedResponse, Permanent, ReauthorizationRequired, Transient
from integrations.models import ApiCallLog, FreeeConnection

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
AUTHORIZE_PATH = "/public_api/authorize"
TOKEN_PATH = "/public_api/token"  # noqa: S105 - a URL path, not a secret
REFRESH_TOKEN_LIFETIME = timedelta(days=90)

if settings.SANDBOX_ENABLED and settings.FREEE_ACCOUNTS_URL.startswith("http://"):
    # oauthlib refuses plain HTTP; only our local sandbox is served without TLS.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str
    company_id: int | None


def authorization_url(*, client_id: str, redirect_uri: str, state: str) -> str:
    """freee's authorize URL; prompt=select_company makes the user pick exactly one company."""
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, state=state)
    url, _ = session.authorization_url(settings.FREEE_ACCOUNTS_URL + AUTHORIZE_PATH, prompt="select_company")
    return url


def exchange_code(connection: FreeeConnection, *, code: str, redirect_uri: str) -> TokenSet:
    """POST the token endpoint with grant_type=authorization_code."""
    session = OAuth2Session(connection.client_id, redirect_uri=redirect_uri)
    return _token_call(connection, "authorization_code", lambda: session.fetch_token(
        settings.FREEE_ACCOUNTS_URL + TOKEN_PATH, code=code, client_secret=connection.client_secret,
        include_client_id=True, timeout=settings.FREEE_TIMEOUT_SECONDS,
    ))


def refresh(connection: FreeeConnection) -> TokenSet:
    """POST the token endpoint with grant_type=refresh_token (single use: the caller holds the row lock)."""
    session = OAuth2Session(connection.client_id)
    return _token_call(connection, "refresh_token", lambda: session.refresh_token(
        settings.FREEE_ACCOUNTS_URL + TOKEN_PATH, refresh_token=connection.refresh_token,
        client_id=connection.client_id, client_secret=connection.client_secret,
        timeout=settings.FREEE_TIMEOUT_SECONDS,
    ))


def _token_call(connection: FreeeConnection, grant: str, call) -> TokenSet:
    started = time.monotonic()
    status, error = 200, ""
    try:
        token = call()
    except OAuth2Error as exc:
        status, error = exc.status_code or 400, f"{exc.error}: {exc.description or ''}".strip()
        raise _oauth_error(exc) from exc
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}"
        raise Transient("freeeの認可サーバーに接続できませんでした。", code="connection") from exc
    except (ValueError, KeyError) as exc:  # a token answer that is not freee's JSON shape
        error = f"malformed token response: {type(exc).__name__}"
        raise MalformedResponse("freeeの認可サーバーの応答を読み取れませんでした。", code="malformed") from exc
    finally:
        ApiCallLog.objects.create(
            tenant_id=connection.tenant_id, family="oauth", method="POST", path=f"{TOKEN_PATH} ({grant})",
            status_code=status, duration_ms=int((time.monotonic() - started) * 1000), error_message=error,
        )
    return _token_set(token)


def _oauth_error(exc: OAuth2Error) -> Exception:
    if isinstance(exc, MissingTokenError):  # 2xx without a token: not freee's token shape
        return MalformedResponse("freeeの認可サーバーの応答を読み取れませんでした。", code="malformed")
    if exc.error == "invalid_grant":
        return ReauthorizationRequired(exc.description or "invalid_grant", status=exc.status_code, code="invalid_grant")
    return Permanent(exc.description or exc.error, status=exc.status_code, code=exc.error)


def _token_set(token: dict) -> TokenSet:
    expires_in = int(token.get("expires_in") or 21600)
    company_id = token.get("company_id")
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=expires_in),
        scope=" ".join(token.get("scope") or []) if isinstance(token.get("scope"), list) else token.get("scope", ""),
        company_id=int(company_id) if company_id not in (None, "") else None,
    )
