"""Fake freee OAuth server: the consent page (/public_api/authorize) and the token endpoint (/public_api/token)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core import input_guard
from integrations.sandbox.models import SandboxApp, SandboxCompany, SandboxToken
from integrations.sandbox.services import (
    OOB_REDIRECT_URI,
    InvalidGrant,
    sandbox_auth_code_issue,
    sandbox_code_exchange,
    sandbox_company_create,
    sandbox_refresh,
    sandbox_token_revoke,
)
from tenancy.access import member_required

OOB = OOB_REDIRECT_URI
INVALID_GRANT = ("指定された認可グラントは不正か、有効期限切れか、無効か、リダイレクトURIが異なるか、"
                 "もしくは別のクライアントに適用されています。")
# freee's OAuth server answers with Doorkeeper's Japanese messages (INVALID_GRANT above is one of them); this is
# Doorkeeper's invalid_redirect_uri, shown on the authorize page without redirecting anywhere.
INVALID_REDIRECT_URI = "含まれるリダイレクトURIが正しくありません。"
UNKNOWN_CLIENT = "Client IDが不正です。アプリケーションが見つかりません。"
INVALID_CLIENT = ("クライアント認証に失敗しました。クライアントが不明か、クライアント認証が含まれていないか、"
                  "認証方式がサポートされていません。")


# ---------------------------------------------------------------- authorize (consent page)

def _error_page(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "sandbox/oauth_error.html", {"message": message}, status=400)


def _authorize_problem(app: SandboxApp | None, params) -> str | None:
    """Why the consent page cannot go on, checked before anything is shown or any code is issued."""
    if app is None:
        return UNKNOWN_CLIENT
    if params.get("redirect_uri", "") not in app.registered_redirect_uris:
        return INVALID_REDIRECT_URI  # never redirect (a code or an error) to an address the app did not register
    if params.get("response_type") != "code":
        return "response_type は code を指定してください。"
    return None


def _app_of_this_tenant(request: HttpRequest, client_id: str) -> SandboxApp | None:
    """The app with this client_id among the logged-in tenant's sandbox apps: the sandbox's "freee account" is the
    tenant, so another tenant's app (and its companies) does not exist for this user."""
    return SandboxApp.objects.for_tenant(request.tenant).filter(client_id=client_id).first()


def _companies(request: HttpRequest, app: SandboxApp) -> list[SandboxCompany]:
    companies = list(app.companies.all())
    if not companies:  # like a fresh freee account: one 事業所 to choose
        companies = [sandbox_company_create(app=app, name=f"{request.tenant.name}（サンドボックス）")]
    return companies


@member_required
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """GET shows the consent page (pick one 事業所); POST 許可する issues a 10-minute code."""
    params = request.GET if request.method == "GET" else request.POST
    app = _app_of_this_tenant(request, params.get("client_id", ""))
    problem = _authorize_problem(app, params)
    if problem:
        return _error_page(request, problem)
    if request.method == "POST":
        return _grant(request, app, params)
    context = {"app": app, "companies": _companies(request, app), "params": params}
    return render(request, "sandbox/authorize.html", context)


def _grant(request: HttpRequest, app: SandboxApp, params) -> HttpResponse:
    company = app.companies.filter(company_id=params.get("company_id") or 0).first()
    if company is None:
        return _error_page(request, "事業所を選択してください。")
    redirect_uri = params["redirect_uri"]
    grant = sandbox_auth_code_issue(app=app, company=company, redirect_uri=redirect_uri)
    if redirect_uri == OOB:
        return render(request, "sandbox/authorize_code.html", {"app": app, "company": company, "code": grant.code})
    query = {"code": grant.code}
    if "state" in params:
        query["state"] = params["state"]
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode(query)}")


# ---------------------------------------------------------------- token endpoint

def _oauth_error(status: int, error: str, description: str) -> HttpResponse:
    body = json.dumps({"error": error, "error_description": description}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def _form(request: HttpRequest) -> dict:
    if "json" in (request.content_type or ""):
        try:
            return input_guard.loads(request.body or b"{}")  # bounded depth, no NUL / lone surrogate
        except ValueError:
            return {}
    return request.POST.dict()


def _client_credentials(request: HttpRequest, form: dict) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id, secret
        except (ValueError, UnicodeDecodeError):
            return "", ""
    return form.get("client_id", ""), form.get("client_secret", "")


def token_payload(access: SandboxToken, refresh: SandboxToken) -> dict:
    """freee's token response; company_id is the chosen 事業所 (prompt=select_company)."""
    company = access.company
    external = hashlib.sha256(f"{company.company_id}:{access.app.client_id}".encode()).hexdigest()[:16]
    return {
        "access_token": access.token, "token_type": "bearer", "expires_in": 21600,
        "refresh_token": refresh.token, "scope": "read write", "created_at": int(access.created_at.timestamp()),
        "company_id": company.company_id, "external_cid": external,
    }


def _exchange(app: SandboxApp, form: dict) -> tuple[SandboxToken, SandboxToken]:
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return sandbox_code_exchange(app=app, code=form.get("code", ""), redirect_uri=form.get("redirect_uri", ""))
    return sandbox_refresh(app=app, refresh_token=form.get("refresh_token", ""))


def _token_latency(app: SandboxApp, form: dict) -> None:
    """The company's latency fault slows its token endpoint too (tests use it to overlap refreshes)."""
    token = SandboxToken.objects.filter(token=form.get("refresh_token") or "-", app=app).select_related("company")
    company = token.first().company if token.exists() else None
    latency = (company.faults or {}).get("latency_ms") if company else None
    if latency:
        time.sleep(int(latency) / 1000)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """POST /public_api/token: authorization_code and refresh_token grants (refresh tokens are single use)."""
    form = _form(request)
    if form.get("grant_type") not in ("authorization_code", "refresh_token"):
        return _oauth_error(400, "unsupported_grant_type", "認可グラント種別が認可サーバーでサポートされていません。")
    client_id, secret = _client_credentials(request, form)
    app = SandboxApp.objects.filter(client_id=client_id).first()
    if app is None or not secret or app.client_secret != secret:
        return _oauth_error(401, "invalid_client", INVALID_CLIENT)
    _token_latency(app, form)
    try:
        access, refresh = _exchange(app, form)
    except InvalidGrant:
        return _oauth_error(401, "invalid_grant", INVALID_GRANT)
    response = HttpResponse(json.dumps(token_payload(access, refresh)), content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- revoke (RFC 7009)

@csrf_exempt
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    """POST /public_api/revoke: the client revokes one of its tokens. Like freee (Doorkeeper), revoking a refresh
    token also revokes the access tokens of its company, and an unknown or already revoked token is a 200."""
    form = _form(request)
    client_id, secret = _client_credentials(request, form)
    app = SandboxApp.objects.filter(client_id=client_id).first()
    if app is None or not secret or app.client_secret != secret:
        return _oauth_error(401, "invalid_client", INVALID_CLIENT)
    sandbox_token_revoke(app=app, token=form.get("token", ""))
    return HttpResponse("{}", content_type="application/json; charset=utf-8")
