"""FreeeClient: the one way the product talks to freee.

Every call: waits for the shared rate-limit budget, sends with a timeout and a fresh access token, parses
the answer into the endpoint's typed model, logs the attempt (time, method, path, status, duration,
X-Freee-Request-ID, error; never a token), and maps the answer to a result or one of integrations.freee.errors.
A body that breaks the model is that attempt's error: logged as such and never counted as a success. A 401
expired token is refreshed once, and the resend spends budget like any call. GETs are retried on transient
failures with backoff; writes are never re-sent after an unknown outcome (timeout, 5xx) because freee has
no idempotency keys: the caller reconciles instead.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from pydantic import BaseModel

from integrations import http
from integrations.freee import schemas, tokens
from integrations.freee.base import Family
from integrations.freee.endpoints import FreeeEndpoints
from integrations.freee.errors import (
    AuthExpired,
    FreeeError,
    MalformedResponse,
    Permanent,
    RateLimited,
    ReauthorizationRequired,
    Transient,
)
from integrations.freee.ratelimit import RateLimiter, parse_reset
from integrations.models import FreeeConnection

logger = logging.getLogger(__name__)

PREFIX = {Family.ACCOUNTING: "/api/1", Family.INVOICE: "/iv"}
ATTEMPTS = 3
REQUEST_ID_HEADER = "X-Freee-Request-ID"
NO_ANSWER = http.NoAnswer(Transient, connection="freeeに接続できませんでした。", timeout="freeeの応答がタイムアウトしました。")
EXPIRED_CODES = {"expired_access_token", "invalid_access_token"}
REAUTH_CODES = {"re_authorization_required"}
PERMISSION_CODES = {"user_do_not_have_permission", "company_not_found", "freee_plan_limit",
                    "source_ip_address_limit", "forbidden", "access_denied"}


class FreeeClient(FreeeEndpoints):
    """A client bound to one tenant's connection. `max_wait` is how long a call may wait for budget."""

    def __init__(self, connection: FreeeConnection, *, max_wait: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 session: requests.Session | None = None):
        if connection.company_id is None:
            raise ReauthorizationRequired("freeeと接続されていません。管理者設定から接続してください。",
                                          code="not_connected")
        self.connection = connection
        self.company_id = connection.company_id
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.session = session or requests.Session()

    # ------------------------------------------------------------------ the Transport contract

    def _request(self, method: str, family: Family, path: str, *, params: dict | None = None,
                 json: dict | None = None, model: type[BaseModel] | None = None, files: dict | None = None,
                 data: dict | None = None) -> Any:
        limiter = RateLimiter(connection_id=self.connection.pk, family=family,
                              daily_cap=self.connection.daily_cap, clock=self.clock)
        last_error: FreeeError | None = None
        for attempt in range(1, ATTEMPTS + 1):
            self._wait_for_budget(limiter)
            try:
                payload = {"params": params, "json": json, "files": files, "data": data}
                return self._send_refreshing(method, family, path, payload, limiter, model)
            except RateLimited as error:
                # freee refused the call unprocessed, so even a write may go again once the wait is over.
                if error.retry_after > self.max_wait:
                    raise
                self.sleep(error.retry_after)
                last_error = error
            except Transient as error:
                # The outcome of a write is unknown after a timeout or 5xx: never re-send it blindly. A body
                # that breaks the schema would break it again: asking twice only spends budget.
                if method != "GET" or attempt == ATTEMPTS or error.code == schemas.SCHEMA_MISMATCH:
                    raise
                self.sleep(min(8.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
                last_error = error
        raise last_error

    def _send_refreshing(self, method, family, path, payload: dict, limiter: RateLimiter, model) -> Any:
        """One send; on 401 expired token, refresh once and send again (401 means freee did nothing).
        The second send reaches freee like any other call, so it waits for its own unit of budget."""
        try:
            return self._attempt(method, family, path, payload, limiter, model)
        except AuthExpired:
            tokens.access_token_for(self.connection, force_refresh=True)
            self._wait_for_budget(limiter)
            return self._attempt(method, family, path, payload, limiter, model)

    # ------------------------------------------------------------------ one attempt

    def _attempt(self, method, family, path, payload: dict, limiter: RateLimiter, model) -> Any:
        """`payload`: the requests keywords (params, json, or files + data for a multipart upload)."""
        token = tokens.access_token_for(self.connection)
        url = settings.FREEE_API_URL + PREFIX[family] + path
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        log = http.CallLog(tenant_id=self.connection.tenant_id, vendor="freee", family=family.value, method=method,
                           path=PREFIX[family] + path, request_id_header=REQUEST_ID_HEADER, secrets=(token,))
        return http.send(
            lambda timeout: self.session.request(method, url, timeout=timeout, headers=headers, **payload),
            timeout=settings.FREEE_TIMEOUT_SECONDS, no_answer=NO_ANSWER, log=log,
            result=lambda response: self._result(response, limiter, model),
        )

    def _result(self, response: requests.Response, limiter: RateLimiter, model: type[BaseModel] | None) -> Any:
        limiter.observe(response.headers)
        request_id = response.headers.get(REQUEST_ID_HEADER, "")
        if 200 <= response.status_code < 300:
            body = self._json(response, request_id) if response.status_code != 204 and response.content else None
            if model is not None:
                body = schemas.parse(model, body, status=response.status_code, request_id=request_id)
            self._mark_success()
            return body
        body = self._error_body(response)
        error = classify(response.status_code, body, response.headers, request_id, self.clock())
        if isinstance(error, RateLimited):
            limiter.block_until(self.clock() + error.retry_after)
        if isinstance(error, ReauthorizationRequired):
            tokens.connection_mark_needs_reauth(connection=self.connection, reason=error.message)
        raise error

    @staticmethod
    def _json(response: requests.Response, request_id: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise MalformedResponse("freeeの応答を読み取れませんでした（JSONではありません）。",
                                    status=response.status_code, request_id=request_id, code="malformed") from exc

    @staticmethod
    def _error_body(response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    # ------------------------------------------------------------------ waiting, logging

    def _wait_for_budget(self, limiter: RateLimiter) -> None:
        waited = 0.0
        while (wait := limiter.reserve()) > 0:
            if waited + wait > self.max_wait:
                raise RateLimited("freeeのAPI利用上限に達しました。しばらく待ってから再度お試しください。",
                                  retry_after=wait, code="budget")
            self.sleep(wait)
            waited += wait

    def _mark_success(self) -> None:
        now = timezone.now()
        FreeeConnection.objects.filter(pk=self.connection.pk).update(last_success_at=now)
        self.connection.last_success_at = now


def classify(status: int, body: dict, headers, request_id: str, now: float) -> FreeeError:
    """Map a non-2xx freee answer to an error class, keeping freee's messages."""
    messages = _messages(body)
    code = str(body.get("code") or body.get("error") or "")
    message = messages[0] if messages else str(body.get("message") or f"HTTP {status}")
    common = {"status": status, "messages": messages, "request_id": request_id, "code": code}
    if status == 429:
        return RateLimited("freeeのAPI利用上限に達しました。", retry_after=_retry_after(headers, now, 60), **common)
    if status == 401 and code in REAUTH_CODES:
        return ReauthorizationRequired(message, **common)
    if status == 401 and (code in EXPIRED_CODES or not code):
        return AuthExpired(message, **common)
    if status == 403 and not _is_permission_error(code, messages):
        return RateLimited("freeeへのアクセスが一時的に制限されています（約10分）。", retry_after=settings.FREEE_LOCKOUT_SECONDS,
                           **common)
    if status >= 500:
        return Transient(message, **common)
    return Permanent(message, **common)


def _messages(body: dict) -> list[str]:
    texts: list[str] = []
    for item in body.get("errors") or []:
        raw = item.get("messages") if isinstance(item, dict) else None
        texts.extend([raw] if isinstance(raw, str) else [str(m) for m in raw or []])
    extra = body.get("messages") or body.get("error_description")
    if isinstance(extra, str) and extra not in texts:
        texts.append(extra)
    elif isinstance(extra, list):
        texts.extend(str(m) for m in extra)
    if not texts and body.get("message"):
        texts.append(str(body["message"]))
    return texts


def _is_permission_error(code: str, messages: list[str]) -> bool:
    return code in PERMISSION_CODES or any("権限" in m or "メンバー" in m for m in messages)


def _retry_after(headers, now: float, default: float) -> float:
    for name in ("Retry-After", "X-Ratelimit-Reset-Minute", "X-RateLimit-Reset", "X-RateLimit-Reset-Day"):
        if headers.get(name):
            until = parse_reset(headers[name], now)
            if until is not None:
                return max(1.0, until - now)
    return default
