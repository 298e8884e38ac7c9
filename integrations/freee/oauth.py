"""freee OAuth 2.0 (authorization code): authorize URL, code exchange and refresh, with requests-oauthlib.

Token endpoint calls are logged like every other vendor call (never with a token or secret).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import MissingTokenError, OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations import http
from integrations.freee.errors import MalformedResponse, Permanent, ReauthorizationRequired, Transient
from integrations.models import FreeeConnection

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
AUTHORIZE_PATH = "/public_api/authorize"
TOKEN_PATH = "/public_api/token"  # noqa: S105 - a URL path, not a secret
REVOKE_PATH = "/public_api/revoke"
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
# A timeout is worded like any other failure to reach the authorization server.
NO_ANSWER = http.NoAnswer(Transient, connection="freeeの認可サーバーに接続できませんでした。")

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
    return _token_call(connection, "authorization_code", lambda timeout: session.fetch_token(
        settings.FREEE_ACCOUNTS_URL + TOKEN_PATH, code=code, client_secret=connection.client_secret,
        include_client_id=True, timeout=timeout,
    ), secrets=(code,))


def refresh(connection: FreeeConnection) -> TokenSet:
    """POST the token endpoint with grant_type=refresh_token (single use: the caller holds the row lock)."""
    session = OAuth2Session(connection.client_id)
    return _token_call(connection, "refresh_token", lambda timeout: session.refresh_token(
        settings.FREEE_ACCOUNTS_URL + TOKEN_PATH, refresh_token=connection.refresh_token,
        client_id=connection.client_id, client_secret=connection.client_secret, timeout=timeout,
    ), secrets=(connection.refresh_token,))


def revoke(connection: FreeeConnection, *, token: str) -> None:
    """POST /public_api/revoke (RFC 7009, form-encoded client_id, client_secret, token): freee forgets the token.
    An unknown or already revoked token is a 200 too; wrong client credentials are Permanent."""
    log = http.CallLog(tenant_id=connection.tenant_id, vendor="freee", family="oauth", method="POST",
                       path=REVOKE_PATH, secrets=(connection.client_secret, token))
    http.send(lambda timeout: requests.post(
        settings.FREEE_ACCOUNTS_URL + REVOKE_PATH, timeout=timeout,
        data={"client_id": connection.client_id, "client_secret": connection.client_secret, "token": token},
    ), timeout=settings.FREEE_TIMEOUT_SECONDS, no_answer=NO_ANSWER, log=log, result=_revoke_answer)


def _revoke_answer(response: requests.Response) -> None:
    if response.status_code == 200:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    description = str(body.get("error_description") or body.get("error") or response.reason or "")
    error_class = Transient if response.status_code >= 500 or response.status_code == 429 else Permanent
    raise error_class(description or f"HTTP {response.status_code}", status=response.status_code,
                      code=str(body.get("error") or "revoke_failed"))


def _token_call(connection: FreeeConnection, grant: str, call: Callable[[float], dict], *,
                secrets: tuple[str, ...]) -> TokenSet:
    log = http.CallLog(tenant_id=connection.tenant_id, vendor="freee", family="oauth", method="POST",
                       path=f"{TOKEN_PATH} ({grant})", status=_log_status, text=_log_text,
                       secrets=(connection.client_secret, *secrets))
    token = http.send(lambda timeout: _fetch(call, timeout), timeout=settings.FREEE_TIMEOUT_SECONDS,
                      no_answer=NO_ANSWER, log=log)
    return _token_set(token)


def _fetch(call: Callable[[float], dict], timeout: float) -> dict:
    """requests-oauthlib's answer, its OAuth errors and unreadable bodies mapped to ours."""
    try:
        return call(timeout)
    except OAuth2Error as exc:
        raise _oauth_error(exc) from exc
    except requests.RequestException:
        raise  # http.send words it (before ValueError: some requests errors are ValueErrors too)
    except (ValueError, KeyError) as exc:  # a token answer that is not freee's JSON shape
        raise MalformedResponse("freeeの認可サーバーの応答を読み取れませんでした。", code="malformed") from exc


def _log_status(outcome: http.Outcome) -> int | None:
    """requests-oauthlib hides the response: the status comes from its error (a token answer is a 200)."""
    if isinstance(outcome.cause, OAuth2Error):
        return outcome.cause.status_code or 400
    if isinstance(outcome.cause, requests.RequestException):
        return None
    return 200


def _log_text(outcome: http.Outcome) -> str:
    cause = outcome.cause
    if isinstance(cause, OAuth2Error):
        return f"{cause.error}: {cause.description or ''}".strip()
    if isinstance(cause, requests.RequestException):
        return f"{type(cause).__name__}"
    if isinstance(cause, (ValueError, KeyError)):
        return f"malformed token response: {type(cause).__name__}"
    return ""


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
