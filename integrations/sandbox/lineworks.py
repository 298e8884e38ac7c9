"""The LINE WORKS sandbox: the token endpoint (JWT bearer, checked against the domain's public key), the bot
message endpoints (recording every message), LINE WORKS's rate limits and headers, fault switches, and a
signed callback sender, the user lookup, the bot's domains and its rich menus (default and per user). Paths mirror
the real hosts: /sandbox/lineworks/auth/oauth2/v2.0/token, /sandbox/lineworks/v1.0/bots/{botId}/users/{userId}/messages,
/sandbox/lineworks/v1.0/bots/{botId}/richmenus/... and /sandbox/lineworks/v1.0/users/{userId}.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core import input_guard
from integrations.lineworks.auth import callback_signature
from integrations.sandbox.models import (
    SandboxLineWorksDomain,
    SandboxLineWorksMessage,
    SandboxLineWorksRichmenu,
    SandboxLineWorksToken,
    SandboxLineWorksUser,
)

FIRST_DOMAIN_ID = 40000001
ACCESS_LIFETIME = timedelta(hours=24)
REFRESH_LIFETIME = timedelta(days=90)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FAULT_NAMES = {"rate_limit_429", "server_error_5xx", "timeout", "latency_ms"}


# ---------------------------------------------------------------- domains, users, faults

def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def sandbox_lineworks_domain_create(*, tenant, name: str, rate_limit_per_minute: int = 240,
                                    users: int = 2) -> SandboxLineWorksDomain:
    """A domain with a fresh key pair, bot and `users` members (山田 太郎, 佐藤 花子, ...)."""
    private, public = _key_pair()
    top = SandboxLineWorksDomain.objects.aggregate(top=Max("domain_id"))["top"]
    domain = SandboxLineWorksDomain.objects.create(
        owner_tenant=tenant, name=name, domain_id=(top or FIRST_DOMAIN_ID - 1) + 1,
        client_id=secrets.token_hex(10), client_secret=secrets.token_urlsafe(16),
        service_account=f"{secrets.token_hex(4)}.serviceaccount@example.works", public_key=public,
        private_key=private, bot_id=str(secrets.randbelow(9_000_000) + 1_000_000), bot_secret=secrets.token_urlsafe(24),
        rate_limit_per_minute=rate_limit_per_minute)
    for index, person in enumerate(DEMO_PEOPLE[:users], start=1):
        sandbox_lineworks_user_create(domain=domain, name=person, login_id=f"user{index}@{domain.domain_id}.example")
    return domain


DEMO_PEOPLE = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健"]


def sandbox_lineworks_user_create(*, domain: SandboxLineWorksDomain, name: str, login_id: str) -> SandboxLineWorksUser:
    return SandboxLineWorksUser.objects.create(domain=domain, name=name, login_id=login_id, user_id=str(uuid.uuid4()))


def sandbox_lineworks_faults_set(domain: SandboxLineWorksDomain, **switches: Any) -> SandboxLineWorksDomain:
    """rate_limit_429=N | {"count", "reset"}; server_error_5xx=N | {"count", "status"}; timeout=seconds |
    {"count", "seconds"}; latency_ms=int. None/0 turns a switch off."""
    unknown = set(switches) - FAULT_NAMES
    if unknown:
        raise ValueError(f"unknown fault switch(es): {sorted(unknown)}")
    with transaction.atomic():
        locked = SandboxLineWorksDomain.objects.select_for_update().get(pk=domain.pk)
        for name, value in switches.items():
            if value in (None, 0, False, ""):
                locked.faults.pop(name, None)
            elif name == "latency_ms":
                locked.faults[name] = int(value)
            elif isinstance(value, dict):
                locked.faults[name] = value
            elif name == "timeout":
                locked.faults[name] = {"count": 1, "seconds": float(value)}
            else:
                locked.faults[name] = {"count": int(value)}
        locked.save(update_fields=["faults"])
    domain.faults = locked.faults
    return domain


def _fault_consume(domain: SandboxLineWorksDomain, name: str) -> dict | None:
    if name not in (domain.faults or {}):
        return None
    with transaction.atomic():
        locked = SandboxLineWorksDomain.objects.select_for_update().get(pk=domain.pk)
        switch = locked.faults.get(name)
        if not switch or switch.get("count", 0) <= 0:
            return None
        switch["count"] -= 1
        if switch["count"] <= 0:
            locked.faults.pop(name)
        locked.save(update_fields=["faults"])
    return switch


def sent_messages(domain: SandboxLineWorksDomain, *, user: SandboxLineWorksUser | None = None):
    queryset = SandboxLineWorksMessage.objects.filter(domain=domain)
    return queryset.filter(user=user) if user is not None else queryset


# ---------------------------------------------------------------- HTTP helpers

def _json(body: dict, status: int, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status,
                            content_type="application/json; charset=UTF-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(status: int, code: str, description: str, headers: dict | None = None) -> HttpResponse:
    return _json({"code": code, "description": description}, status, headers)


def _oauth_error(status: int, error: str, description: str) -> HttpResponse:
    return _json({"error": error, "error_description": description}, status)


# ---------------------------------------------------------------- token endpoint

@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """POST /oauth2/v2.0/token: grant_type jwt-bearer (assertion checked with the public key) or refresh_token."""
    form = QueryDict(request.body)
    if any(input_guard.has_bad_character(v) for v in (form.get("client_id", ""), form.get("client_secret", ""))):
        return _oauth_error(401, "invalid_client", "有効ではないクライアント情報です")
    domain = SandboxLineWorksDomain.objects.filter(client_id=form.get("client_id", "")).first()
    if domain is None or not secrets.compare_digest(domain.client_secret, form.get("client_secret", "")):
        return _oauth_error(401, "invalid_client", "有効ではないクライアント情報です")
    grant = form.get("grant_type", "")
    if grant == JWT_BEARER:
        problem = _assertion_problem(domain, form.get("assertion", ""))
        if problem:
            return _oauth_error(400, "invalid_grant", problem)
    elif grant == "refresh_token":
        if not _spend_refresh_token(domain, form.get("refresh_token", "")):
            return _oauth_error(400, "invalid_grant", "invalid refresh token")
    else:
        return _oauth_error(400, "unsupported_grant_type", f"unsupported grant_type: {grant}")
    return _json(_issue_tokens(domain, scope=form.get("scope", "bot") or "bot"), 200)


def _assertion_problem(domain: SandboxLineWorksDomain, assertion: str) -> str:
    """What is wrong with the JWT, or "" (RS256 signature, iss, sub, iat/exp numbers, at most 60 minutes)."""
    try:
        claims = jwt.decode(assertion, domain.public_key, algorithms=["RS256"],
                            options={"require": ["iss", "sub", "iat", "exp"], "verify_aud": False}, leeway=5)
    except jwt.PyJWTError as error:
        return f"invalid assertion: {error}"
    if claims["iss"] != domain.client_id:
        return "invalid assertion: iss must be the Client ID"
    if claims["sub"] != domain.service_account:
        return "invalid assertion: sub must be the Service Account"
    if not isinstance(claims["exp"], int | float) or claims["exp"] - claims["iat"] > 3600:
        return "invalid assertion: exp must be within 60 minutes of iat"
    return ""


def _spend_refresh_token(domain: SandboxLineWorksDomain, value: str) -> bool:
    now = timezone.now()
    return SandboxLineWorksToken.objects.filter(domain=domain, token=value, kind="refresh", used_at__isnull=True,
                                                expires_at__gt=now).update(used_at=now) == 1


def _issue_tokens(domain: SandboxLineWorksDomain, *, scope: str) -> dict:
    now = timezone.now()
    access = SandboxLineWorksToken.objects.create(token=secrets.token_urlsafe(40), kind="access", domain=domain,
                                                  expires_at=now + ACCESS_LIFETIME)
    refresh = SandboxLineWorksToken.objects.create(token=secrets.token_urlsafe(40), kind="refresh", domain=domain,
                                                   expires_at=now + REFRESH_LIFETIME)
    return {"access_token": access.token, "refresh_token": refresh.token, "scope": scope, "token_type": "Bearer",
            "expires_in": str(int(ACCESS_LIFETIME.total_seconds()))}


def sandbox_lineworks_tokens_expire(*, domain: SandboxLineWorksDomain) -> int:
    now = timezone.now()
    return SandboxLineWorksToken.objects.filter(domain=domain, kind="access", expires_at__gt=now).update(
        expires_at=now - timedelta(seconds=1))


# ---------------------------------------------------------------- bot message endpoints

def _authenticate(request: HttpRequest, bot_id: str | None) -> SandboxLineWorksDomain | HttpResponse:
    """The domain of the bearer token (401 if none); with `bot_id`, that bot must be the domain's (404)."""
    header = request.headers.get("Authorization", "")
    value = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    found = (SandboxLineWorksToken.objects.select_related("domain")
             .filter(token=value, kind="access", expires_at__gt=timezone.now()).first()) if value else None
    if found is None:
        return _error(401, "UNAUTHORIZED", "Authentication failed")
    if bot_id is not None and found.domain.bot_id != bot_id:
        return _error(404, "NOT_FOUND", "Bot not found")
    return found.domain


def _rate_limit(domain: SandboxLineWorksDomain) -> tuple[dict, bool]:
    """Count the call in the domain's minute window; LINE WORKS's headers and whether it is over."""
    now = time.time()
    window = int(now // 60)
    key = f"sandbox:lw:rl:{domain.domain_id}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        used = 1
    limit = domain.rate_limit_per_minute
    reset = max(1, int((window + 1) * 60 - now))
    headers = {"rateLimit-limit": str(limit), "rateLimit-remaining": str(max(0, limit - used)),
               "rateLimit-reset": str(reset), "rateLimit-used": str(min(used, limit))}
    return headers, used > limit


def _faults(domain: SandboxLineWorksDomain) -> HttpResponse | None:
    latency = (domain.faults or {}).get("latency_ms")
    if latency:
        time.sleep(int(latency) / 1000)
    timeout = _fault_consume(domain, "timeout")
    if timeout:
        time.sleep(float(timeout.get("seconds", 15)))
        return _error(504, "GATEWAY_TIMEOUT", "timeout")
    limited = _fault_consume(domain, "rate_limit_429")
    if limited:
        reset = str(int(limited.get("reset", 30)))
        return _error(429, "TOO_MANY_REQUESTS", "API rate limit exceeded",
                      {"rateLimit-limit": str(domain.rate_limit_per_minute), "rateLimit-remaining": "0",
                       "rateLimit-reset": reset})
    failed = _fault_consume(domain, "server_error_5xx")
    if failed:
        return _error(int(failed.get("status", 500)), "INTERNAL_SERVER_ERROR", "Internal server error")
    return None


def _content_problem(body: Any) -> str:
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return "content is required"
    kind = content.get("type")
    required = {"text": ["text"], "link": ["contentText", "linkText", "link"],
                "button_template": ["contentText", "actions"]}
    if kind not in required:
        return f"unsupported content.type: {kind}"
    missing = [name for name in required[kind] if not content.get(name)]
    if missing:
        return f"content.{missing[0]} is required"
    if kind == "text" and len(content["text"]) > 2000:
        return "content.text must be at most 2000 characters"
    if kind == "button_template":
        actions = content["actions"]
        if not isinstance(actions, list) or len(actions) > 10:
            return "content.actions must be a list of at most 10 actions"
        if any(not isinstance(a, dict) or a.get("type") not in ("uri", "message", "copy") for a in actions):
            return "button_template actions must be uri, message or copy"
    return ""


def _send(request: HttpRequest, bot_id: str, *, user_id: str = "", channel_id: str = "") -> HttpResponse:
    domain = _authenticate(request, bot_id)
    if isinstance(domain, HttpResponse):
        return domain
    fault = _faults(domain)
    if fault is not None:
        return fault
    headers, over = _rate_limit(domain)
    if over:
        return _error(429, "TOO_MANY_REQUESTS", "API rate limit exceeded", headers)
    try:
        body = input_guard.loads(request.body or b"{}")  # bounded depth, no NUL / lone surrogate
    except ValueError:
        return _error(400, "INVALID_PARAMETER", "request body is not JSON", headers)
    problem = _content_problem(body)
    if problem:
        return _error(400, "INVALID_PARAMETER", problem, headers)
    user = None
    if user_id:
        user = (SandboxLineWorksUser.objects.filter(domain=domain, user_id=user_id).first()
                or SandboxLineWorksUser.objects.filter(domain=domain, login_id=user_id).first())
        if user is None:
            return _error(404, "NOT_FOUND", "User not found", headers)
    SandboxLineWorksMessage.objects.create(domain=domain, bot_id=bot_id, user=user, channel_id=channel_id,
                                           content=body["content"])
    response = HttpResponse(status=201)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
@require_POST
def user_messages(request: HttpRequest, bot_id: str, user_id: str) -> HttpResponse:
    """POST /bots/{botId}/users/{userId}/messages → 201."""
    return _send(request, bot_id, user_id=user_id)


@csrf_exempt
@require_POST
def channel_messages(request: HttpRequest, bot_id: str, channel_id: str) -> HttpResponse:
    """POST /bots/{botId}/channels/{channelId}/messages → 201."""
    return _send(request, bot_id, channel_id=channel_id)


# ---------------------------------------------------------------- bot domains

@require_GET
def bot_domains(request: HttpRequest, bot_id: str) -> HttpResponse:
    """GET /bots/{botId}/domains → 200 `{"domains": [...], "responseMetaData": {"nextCursor": null}}`.

    A sandbox domain has one bot registered in it; a bot of another LINE WORKS is a 404, as for any bot call."""
    domain = _authenticate(request, bot_id)
    if isinstance(domain, HttpResponse):
        return domain
    fault = _faults(domain)
    if fault is not None:
        return fault
    headers, over = _rate_limit(domain)
    if over:
        return _error(429, "TOO_MANY_REQUESTS", "API rate limit exceeded", headers)
    count = request.GET.get("count", "50")
    if not count.isdigit() or not 1 <= int(count) <= 100:
        return _error(400, "INVALID_PARAMETER", "count must be between 1 and 100", headers)
    body = {"domains": [{"domainId": domain.domain_id, "visible": True, "allowToSelectedMember": False}],
            "responseMetaData": {"nextCursor": None}}
    return _json(body, 200, headers)


# ---------------------------------------------------------------- rich menus

RICHMENU_WIDTH, RICHMENU_HEIGHTS = 2500, (843, 1686)
RICHMENU_ACTIONS = {"postback", "message", "uri", "copy"}
MAX_RICHMENUS = 1000  # per bot


def _bot_call(request: HttpRequest, bot_id: str) -> tuple[SandboxLineWorksDomain, dict] | HttpResponse:
    """What every bot endpoint does first: the bearer token's domain owns the bot, faults, the rate limit."""
    domain = _authenticate(request, bot_id)
    if isinstance(domain, HttpResponse):
        return domain
    fault = _faults(domain)
    if fault is not None:
        return fault
    headers, over = _rate_limit(domain)
    if over:
        return _error(429, "TOO_MANY_REQUESTS", "API rate limit exceeded", headers)
    return domain, headers


def _no_content(headers: dict) -> HttpResponse:
    response = HttpResponse(status=204)
    for name, value in headers.items():
        response[name] = value
    return response


def _richmenu_problem(body: Any) -> str:
    """The first rule of "リッチメニューの登録" the body breaks, or ""."""
    if not isinstance(body, dict):
        return "request body must be an object"
    name, areas, size = body.get("richmenuName"), body.get("areas"), body.get("size")
    if not isinstance(name, str) or not 1 <= len(name) <= 300:
        return "richmenuName is required (at most 300 characters)"
    if not isinstance(size, dict) or size.get("width") != RICHMENU_WIDTH or size.get("height") not in RICHMENU_HEIGHTS:
        return "size must be 2500x1686 or 2500x843"
    if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
        return "areas must have 1 to 20 items"
    for index, area in enumerate(areas):
        problem = _area_problem(area, size["height"])
        if problem:
            return f"areas[{index}].{problem}"
    return ""


def _area_problem(area: Any, height: int) -> str:
    if not isinstance(area, dict):
        return "area must be an object"
    bounds, action = area.get("bounds"), area.get("action")
    if not isinstance(bounds, dict) or any(not isinstance(bounds.get(k), int) or isinstance(bounds.get(k), bool)
                                           for k in ("x", "y", "width", "height")):
        return "bounds needs integer x, y, width and height"
    if (bounds["x"] < 0 or bounds["y"] < 0 or bounds["width"] <= 0 or bounds["height"] <= 0
            or bounds["x"] + bounds["width"] > RICHMENU_WIDTH or bounds["y"] + bounds["height"] > height):
        return "bounds must lie inside the rich menu"
    if not isinstance(action, dict) or action.get("type") not in RICHMENU_ACTIONS:
        return "action.type must be postback, message, uri or copy"
    if len(str(action.get("label", ""))) > 20:
        return "action.label must be at most 20 characters"
    if action["type"] == "postback" and not 1 <= len(str(action.get("data") or "")) <= 300:
        return "action.data is required for postback (at most 300 characters)"
    if action["type"] == "uri" and not str(action.get("uri") or "").startswith(("http://", "https://")):
        return "action.uri must be an http(s) URL"
    return ""


def richmenu_body(menu: SandboxLineWorksRichmenu) -> dict:
    return {"richmenuId": menu.richmenu_id, **menu.body}


def _richmenu_of(domain: SandboxLineWorksDomain, richmenu_id: str) -> SandboxLineWorksRichmenu | None:
    return SandboxLineWorksRichmenu.objects.filter(domain=domain, richmenu_id=richmenu_id).first()


def _user_of(domain: SandboxLineWorksDomain, user_id: str) -> SandboxLineWorksUser | None:
    users = SandboxLineWorksUser.objects.filter(domain=domain)
    return users.filter(user_id=user_id).first() or users.filter(login_id__iexact=user_id).first()


def _richmenus(request: HttpRequest, bot_id: str) -> HttpResponse:
    """POST /bots/{botId}/richmenus → 201 the rich menu with its richmenuId (リッチメニューの登録)."""
    if request.method != "POST":
        return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
    called = _bot_call(request, bot_id)
    if isinstance(called, HttpResponse):
        return called
    domain, headers = called
    try:
        body = input_guard.loads(request.body or b"{}")
    except ValueError:
        return _error(400, "INVALID_PARAMETER", "request body is not JSON", headers)
    problem = _richmenu_problem(body)
    if problem:
        return _error(400, "INVALID_PARAMETER", problem, headers)
    if domain.richmenus.count() >= MAX_RICHMENUS:
        return _error(400, "INVALID_PARAMETER", "a bot can have at most 1000 rich menus", headers)
    top = SandboxLineWorksRichmenu.objects.aggregate(top=Max("id"))["top"] or 0
    menu = SandboxLineWorksRichmenu.objects.create(
        domain=domain, richmenu_id=str(40001 + top), name=body["richmenuName"],
        body={"richmenuName": body["richmenuName"], "areas": body["areas"], "size": body["size"]})
    return _json(richmenu_body(menu), 201, headers)


def _richmenu(request: HttpRequest, bot_id: str, richmenu_id: str) -> HttpResponse:
    """GET (200) or DELETE (204) /bots/{botId}/richmenus/{richmenuId}; 404 for a menu of another bot."""
    if request.method not in ("GET", "DELETE"):
        return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
    called = _bot_call(request, bot_id)
    if isinstance(called, HttpResponse):
        return called
    domain, headers = called
    menu = _richmenu_of(domain, richmenu_id)
    if menu is None:
        return _error(404, "NOT_FOUND", "Richmenu not found", headers)
    if request.method == "GET":
        return _json(richmenu_body(menu), 200, headers)
    menu.delete()
    return _no_content(headers)


def _default_richmenu(request: HttpRequest, bot_id: str, richmenu_id: str | None = None) -> HttpResponse:
    """POST /richmenus/{id}/set-default (201), GET /richmenus/default (200), DELETE /richmenus/default (204)."""
    allowed = ("POST",) if richmenu_id is not None else ("GET", "DELETE")
    if request.method not in allowed:
        return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
    called = _bot_call(request, bot_id)
    if isinstance(called, HttpResponse):
        return called
    domain, headers = called
    if request.method == "POST":
        menu = _richmenu_of(domain, richmenu_id)
        if menu is None:
            return _error(404, "NOT_FOUND", "Richmenu not found", headers)
        domain.default_richmenu = menu
        domain.save(update_fields=["default_richmenu"])
        return _json({"botId": int(domain.bot_id), "defaultRichmenuId": menu.richmenu_id}, 201, headers)
    if request.method == "DELETE":
        domain.default_richmenu = None
        domain.save(update_fields=["default_richmenu"])
        return _no_content(headers)
    if domain.default_richmenu is None:
        return _error(404, "NOT_FOUND", "Default richmenu not found", headers)
    return _json({"botId": int(domain.bot_id), "defaultRichmenuId": domain.default_richmenu.richmenu_id}, 200,
                 headers)


def _user_richmenu(request: HttpRequest, bot_id: str, user_id: str, richmenu_id: str | None = None) -> HttpResponse:
    """ユーザー別のリッチメニュー: POST /richmenus/{id}/users/{userId} (204, set), GET /richmenus/users/{userId}
    (200, the menu set for the user, never the default), DELETE /richmenus/users/{userId} (204, cancel)."""
    allowed = ("POST",) if richmenu_id is not None else ("GET", "DELETE")
    if request.method not in allowed:
        return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
    called = _bot_call(request, bot_id)
    if isinstance(called, HttpResponse):
        return called
    domain, headers = called
    user = _user_of(domain, user_id)
    if user is None:
        return _error(404, "NOT_FOUND", "User not found", headers)
    if request.method == "POST":
        menu = _richmenu_of(domain, richmenu_id)
        if menu is None:
            return _error(404, "NOT_FOUND", "Richmenu not found", headers)
        user.richmenu = menu
        user.save(update_fields=["richmenu"])
        return _no_content(headers)
    if request.method == "DELETE":
        user.richmenu = None
        user.save(update_fields=["richmenu"])
        return _no_content(headers)
    if user.richmenu is None:
        return _error(404, "NOT_FOUND", "Richmenu not found", headers)
    return _json(richmenu_body(user.richmenu), 200, headers)


richmenus = csrf_exempt(_richmenus)
richmenu = csrf_exempt(_richmenu)
default_richmenu = csrf_exempt(_default_richmenu)
user_richmenu = csrf_exempt(_user_richmenu)


def richmenu_shown_to(user: SandboxLineWorksUser) -> SandboxLineWorksRichmenu | None:
    """What the user sees under the talk: their own rich menu, else the bot's default one."""
    return user.richmenu or user.domain.default_richmenu


# ---------------------------------------------------------------- directory

def user_body(user: SandboxLineWorksUser) -> dict:
    """GET /users/{userId} answer, in LINE WORKS's shape (the fields a user.profile.read token sees)."""
    last, _, first = user.name.partition(" ")
    return {
        "domainId": user.domain.domain_id, "userId": user.user_id, "userExternalKey": None, "email": user.login_id,
        "userName": {"lastName": last, "firstName": first, "phoneticLastName": "", "phoneticFirstName": ""},
        "i18nNames": [], "nickName": None, "privateEmail": None, "aliasEmails": [], "telephone": None,
        "cellPhone": None, "location": None, "task": None, "locale": "ja_JP", "timeZone": "Asia/Tokyo",
        "organizations": [{"domainId": user.domain.domain_id, "primary": True, "email": user.login_id,
                           "levelId": None, "executiveId": None, "organizationName": user.domain.name,
                           "orgUnits": []}],
    }


@require_GET
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    """GET /users/{userId} → 200; `userId` may be the user id or the login ID; 404 for anyone else."""
    domain = _authenticate(request, None)
    if isinstance(domain, HttpResponse):
        return domain
    fault = _faults(domain)
    if fault is not None:
        return fault
    headers, over = _rate_limit(domain)
    if over:
        return _error(429, "TOO_MANY_REQUESTS", "API rate limit exceeded", headers)
    users = SandboxLineWorksUser.objects.filter(domain=domain).select_related("domain")
    user = users.filter(user_id=user_id).first() or users.filter(login_id__iexact=user_id).first()
    if user is None:
        return _error(404, "NOT_FOUND", "User not found", headers)
    return _json(user_body(user), 200, headers)


# ---------------------------------------------------------------- callbacks to the product

def callback_body(*, user: SandboxLineWorksUser, text: str = "", postback: str = "", kind: str = "message") -> bytes:
    """A callback in LINE WORKS's shape (message with text/postback, or a postback event)."""
    source = {"userId": user.user_id, "domainId": user.domain.domain_id}
    issued = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if kind == "postback":
        event = {"type": "postback", "source": source, "issuedTime": issued, "data": postback}
    else:
        content = {"type": "text", "text": text or postback}
        if postback:
            content["postback"] = postback
        event = {"type": "message", "source": source, "issuedTime": issued, "content": content}
    return json.dumps(event, ensure_ascii=False).encode()


def sandbox_lineworks_callback_post(*, user: SandboxLineWorksUser, text: str = "", postback: str = "",
                                    kind: str = "message") -> int:
    """POST a signed callback to the domain's Callback URL (our endpoint by default); returns the status."""
    domain = user.domain
    url = domain.callback_url or settings.SITE_URL + reverse("notifications:lineworks_callback")
    body = callback_body(user=user, text=text, postback=postback, kind=kind)
    response = requests.post(url, data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-WORKS-BotId": domain.bot_id,
        "X-WORKS-Signature": callback_signature(body, domain.bot_secret)})
    return response.status_code
