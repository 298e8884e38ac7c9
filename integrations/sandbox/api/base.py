"""What every fake freee endpoint shares: bearer auth, company check, limits, fault switches, error bodies."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from core import input_guard
from integrations.sandbox import ratelimit
from integrations.sandbox.models import SandboxCompany, SandboxResource, SandboxToken
from integrations.sandbox.services import sandbox_fault_consume

ACCOUNTING = "accounting"
INVOICE = "invoice"
PROBLEM_JSON = "application/problem+json"
LOCKOUT_MESSAGE = ("短時間に大量のリクエストが行われたため、一時的にアクセスを制限しています。"
                   "しばらく時間をおいてから再度お試しください。")
LIMIT_MESSAGE = "APIの利用回数の上限に達しました。時間をおいて再度お試しください。"
SERVER_ERROR_MESSAGE = "エラーが発生しました。しばらく時間をおいて再度お試しください。"


class ApiError(Exception):
    """An error answer in freee's shape; raised anywhere inside an endpoint."""

    def __init__(self, status: int, body: dict, *, content_type: str = "application/json",
                 headers: dict | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.content_type, self.headers = status, body, content_type, headers or {}

    def response(self) -> HttpResponse:
        response = json_response(self.body, status=self.status, content_type=self.content_type)
        for name, value in self.headers.items():
            response[name] = value
        return response


def json_response(data: dict, *, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                        content_type=f"{content_type}; charset=utf-8")


def status_error(family: str, status: int, messages: list[str], *, kind: str | None = None) -> ApiError:
    """400/404/500-style `{status_code, errors:[{type, messages}]}` (請求書 uses application/problem+json)."""
    if family == INVOICE:
        kind = kind or {400: "bad_request", 404: "not_found"}.get(status, "status")
        return ApiError(status, {"status_code": status, "errors": [{"type": kind, "messages": messages}]},
                        content_type=PROBLEM_JSON)
    kind = kind or ("validation" if status == 400 else "status")
    return ApiError(status, {"status_code": status, "errors": [{"type": kind, "messages": messages}]})


def bad_request(family: str, *messages: str) -> ApiError:
    return status_error(family, 400, list(messages))


def not_found(family: str) -> ApiError:
    return status_error(family, 404, ["指定されたリソースが見つかりません。"])


def unauthorized(code: str = "expired_access_token", message: str = "アクセスする権限がありません") -> ApiError:
    return ApiError(401, {"message": message, "code": code})


@dataclass
class ApiContext:
    """One authenticated call: its token, company, body and the response headers collected so far."""

    request: HttpRequest
    family: str
    token: SandboxToken
    company: SandboxCompany
    body: dict
    headers: dict = field(default_factory=dict)

    @property
    def params(self) -> QueryDict:
        return self.request.GET

    def resource(self, kind: str, resource_id: int) -> SandboxResource:
        found = SandboxResource.objects.filter(company=self.company, kind=kind, resource_id=resource_id).first()
        if found is None:
            raise not_found(self.family)
        return found

    def resources(self, kind: str) -> list[dict]:
        return [r.data for r in SandboxResource.objects.filter(company=self.company, kind=kind)]


# ---------------------------------------------------------------- request parsing

def _parse_body(request: HttpRequest, family: str) -> dict:
    if request.method in ("GET", "DELETE", "HEAD"):
        return {}
    if (request.content_type or "").startswith("multipart/"):  # an upload: the fields; the files stay on request
        try:
            input_guard.check_pairs(request.POST.lists())
        except input_guard.BadInput as error:
            raise bad_request(family, "リクエストの形式が不正です。") from error
        return request.POST.dict()
    if "json" in (request.content_type or "") or request.body.lstrip()[:1] in (b"{", b"["):
        try:
            body = input_guard.loads(request.body or b"{}")  # bounded depth, no NUL / lone surrogate
        except ValueError as error:
            raise bad_request(family, "リクエストの形式が不正です。") from error
        if not isinstance(body, dict):
            raise bad_request(family, "リクエストの形式が不正です。")
        return body
    form = QueryDict(request.body)
    try:
        input_guard.check_pairs(form.lists())
    except input_guard.BadInput as error:
        raise bad_request(family, "リクエストの形式が不正です。") from error
    return form.dict()


def _bearer_token(request: HttpRequest) -> SandboxToken:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise unauthorized()
    token = (SandboxToken.objects.select_related("company", "app")
             .filter(token=header.removeprefix("Bearer ").strip(), kind=SandboxToken.Kind.ACCESS).first())
    if token is None or token.revoked or token.expires_at <= timezone.now():
        raise unauthorized()
    return token


def _requested_company_id(request: HttpRequest, body: dict, path_company: object) -> object:
    if path_company is not None:
        return path_company
    return body.get("company_id") if request.method in ("POST", "PUT") else request.GET.get("company_id")


def _check_company(family: str, token: SandboxToken, requested: object, required: bool) -> None:
    if requested in (None, ""):
        if required:
            raise bad_request(family, "company_id が指定されていません。")
        return
    try:
        company_id = int(requested)
    except (TypeError, ValueError) as error:
        raise bad_request(family, "company_id の値が不正です。") from error
    if company_id != token.company.company_id:
        raise unauthorized("company_not_found", "指定した事業所へのアクセス権限がありません。")


# ---------------------------------------------------------------- limits and faults

def _check_lockout(ctx: ApiContext) -> None:
    until = (ctx.company.faults or {}).get("lockout_until")
    if until and datetime.fromisoformat(until) > timezone.now():
        body = {"message": LOCKOUT_MESSAGE, "code": "access_locked"}
        if ctx.family == INVOICE:
            body = {"error": "access_denied", **body}
        raise ApiError(403, body)


def _sleep_latency(ctx: ApiContext) -> None:
    """latency_ms, plus up to latency_jitter_ms more at random (a freee that answers in 1–2 s: 1000 + 1000)."""
    faults = ctx.company.faults or {}
    latency = int(faults.get("latency_ms") or 0) + random.uniform(0, int(faults.get("latency_jitter_ms") or 0))  # noqa: S311
    if latency:
        time.sleep(latency / 1000)


def too_many_requests(window: ratelimit.Window, headers: dict) -> ApiError:
    meta = {"limit": window.limit, "period": window.seconds, "remaining": 0, "reset": ratelimit.iso(window.reset)}
    body = {"status_code": 429, "errors": [{"type": "status", "messages": [LIMIT_MESSAGE]}], "meta": meta}
    return ApiError(429, body, headers={**headers, "Retry-After": str(_seconds_until(window.reset))})


def _seconds_until(moment: datetime) -> int:
    return max(1, int((moment - ratelimit.now()).total_seconds()) + 1)


def _apply_rate_limits(ctx: ApiContext) -> None:
    if (ctx.company.faults or {}).get("rate_limits_off"):  # benchmarks measure our side, not freee's limits
        return
    usage = ratelimit.rate_limit_hit(company=ctx.company, app_id=ctx.token.app_id, family=ctx.family)
    if ctx.family == INVOICE:
        ctx.headers.update(usage.headers())
    if usage.exceeded:
        raise too_many_requests(usage.exceeded, ctx.headers)
    forced = sandbox_fault_consume(ctx.company, "rate_limit_429")
    if forced:
        window = usage.counts["minute" if ctx.family == INVOICE else "day"][0]
        raise too_many_requests(window, ctx.headers)


def _apply_server_error(ctx: ApiContext) -> None:
    fault = sandbox_fault_consume(ctx.company, "server_error_5xx")
    if not fault:
        return
    status = int(fault.get("status", 500))
    message = SERVER_ERROR_MESSAGE if status == 500 else "このAPIは現在ご利用いただけません。"
    raise status_error(ctx.family, status, [message], kind="status" if status == 500 else "error")


def _check_invoice_member(ctx: ApiContext) -> None:
    if ctx.family == INVOICE and not ctx.company.invoice_member_ok:
        raise ApiError(403, {"status_code": 403, "errors": [{"type": "forbidden", "messages": [
            "freee請求書の利用権限がありません。freee請求書にメンバーとして登録されているか確認してください。"]}]},
            content_type=PROBLEM_JSON)


def _malformed(ctx: ApiContext, response: HttpResponse) -> HttpResponse:
    if not sandbox_fault_consume(ctx.company, "malformed_body"):
        return response
    text = response.content[: max(1, len(response.content) // 2)] or b'{"'
    broken = HttpResponse(text, status=200, content_type="application/json; charset=utf-8")
    return broken


# ---------------------------------------------------------------- the decorator

def _prepare(request: HttpRequest, family: str, path_company: object, company_required: bool) -> ApiContext:
    token = _bearer_token(request)
    ctx = ApiContext(request, family, token, token.company, {})
    _check_lockout(ctx)
    ctx.body = _parse_body(request, family)
    _check_company(family, token, _requested_company_id(request, ctx.body, path_company), company_required)
    _sleep_latency(ctx)
    _apply_rate_limits(ctx)
    _apply_server_error(ctx)
    _check_invoice_member(ctx)
    return ctx


def freee_endpoint(family: str, *, company_kwarg: str | None = None, company_required: bool = True) -> Callable:
    """Wrap a view `view(ctx, **kwargs) -> HttpResponse` with everything freee does around a call."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            ctx = None
            try:
                path_company = kwargs.get(company_kwarg) if company_kwarg else None
                ctx = _prepare(request, family, path_company, company_required)
                response = _malformed(ctx, view(ctx, **kwargs))
            except ApiError as error:
                response = error.response()
            for name, value in (ctx.headers.items() if ctx else ()):
                response.setdefault(name, value)
            response["X-Freee-Request-ID"] = str(uuid.uuid4())
            return response

        return wrapper

    return decorator


def method_router(**views: Callable) -> Callable:
    """One URL, several methods (GET/POST/PUT/DELETE), each an already wrapped endpoint."""

    @csrf_exempt
    def route(request: HttpRequest, **kwargs) -> HttpResponse:
        view = views.get(request.method.lower())
        if view is None:
            response = json_response({"status_code": 405, "errors": [
                {"type": "status", "messages": ["許可されていないメソッドです。"]}]}, status=405)
            response["Allow"] = ", ".join(m.upper() for m in views)
            return response
        return view(request, **kwargs)

    return route


# ---------------------------------------------------------------- small parsing helpers

def int_param(ctx: ApiContext, name: str, *, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer query parameter within bounds, else freee's 400."""
    raw = ctx.params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise bad_request(ctx.family, f"{name} の値が不正です。") from error
    if value < minimum or (maximum is not None and value > maximum):
        raise bad_request(ctx.family, f"{name} は{minimum}以上{maximum}以下で指定してください。")
    return value


# freee請求書's lists refuse limit + offset above this (written on /purchase_orders, announced for /invoices,
# /quotations, /delivery_slips and /receipts from 2026-09-21: developer.freee.co.jp/invoice/invoice-improvement/8076).
# No 会計 list documents such a cap in the 2026-08 schema, so the accounting fakes page without one.
IV_LIST_CAP = 10_000
IV_LIST_CAP_MESSAGE = "limit と offset の合計は 10,000 を超えることはできません。"


def page(items: list, ctx: ApiContext, *, default_limit: int, max_limit: int, min_limit: int = 1,
         total_cap: int | None = None) -> list:
    """One page by offset/limit; with total_cap, freee's 400 when limit + offset passes it."""
    offset = int_param(ctx, "offset", default=0, maximum=2147483647)
    limit = int_param(ctx, "limit", default=default_limit, minimum=min_limit, maximum=max_limit)
    if total_cap is not None and offset + limit > total_cap:
        raise bad_request(ctx.family, IV_LIST_CAP_MESSAGE)
    return items[offset: offset + limit]


def iv_page(items: list, ctx: ApiContext) -> list:
    """A page of a freee請求書 list: limit 1–100 (default 20), limit + offset at most 10,000."""
    return page(items, ctx, default_limit=20, max_limit=100, total_cap=IV_LIST_CAP)
