"""OAuth: consent page, both redirect flows, token exchange, single-use codes and refresh tokens."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.models import SandboxAuthCode, SandboxToken
from integrations.sandbox.oauth_views import INVALID_GRANT, INVALID_REDIRECT_URI, OOB
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create
from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, FreeeApi

AUTHORIZE = "/sandbox/freee/public_api/authorize"
TOKEN = "/sandbox/freee/public_api/token"
CALLBACK = settings.SITE_URL + reverse("integrations:freee_callback")  # registered for every new app by default

pytestmark = pytest.mark.django_db


def _authorize(client, company, redirect_uri=CALLBACK, state="xyz-state=&1"):
    return client.post(AUTHORIZE, {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri,
                                   "state": state, "prompt": "select_company", "company_id": company.company_id})


def _code(client, company, redirect_uri=CALLBACK) -> str:
    response = _authorize(client, company, redirect_uri)
    return parse_qs(urlsplit(response["Location"]).query)["code"][0]


def _exchange(code: str, redirect_uri=CALLBACK, secret=CLIENT_SECRET):
    return Client().post(TOKEN, {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": secret,
                                 "code": code, "redirect_uri": redirect_uri})


def _refresh(refresh_token: str):
    return Client().post(TOKEN, {"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                 "client_secret": CLIENT_SECRET, "refresh_token": refresh_token})


def test_consent_page_lists_the_apps_companies(world_a, company):
    response = world_a.client().get(AUTHORIZE, {"response_type": "code", "client_id": CLIENT_ID,
                                                "redirect_uri": CALLBACK, "state": "s", "prompt": "select_company"})
    assert response.status_code == 200
    assert "許可する" in response.content.decode()
    assert company.display_name in response.content.decode()


def test_consent_page_creates_a_company_when_the_app_has_none(world_a, sandbox_app):
    response = world_a.client().get(AUTHORIZE, {"response_type": "code", "client_id": CLIENT_ID,
                                                "redirect_uri": CALLBACK})
    assert response.status_code == 200
    assert sandbox_app.companies.count() == 1


def test_anonymous_user_must_log_in_first(company):
    response = Client().get(AUTHORIZE, {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_unknown_client_id_shows_an_error_page(world_a, company):
    response = world_a.client().get(AUTHORIZE, {"response_type": "code", "client_id": "nope", "redirect_uri": CALLBACK})
    assert response.status_code == 400
    assert "アプリケーションが見つかりません" in response.content.decode()


def test_redirect_flow_echoes_state_verbatim_and_the_code_buys_tokens(world_a, company):
    response = _authorize(world_a.client(), company)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["xyz-state=&1"]
    tokens = _exchange(query["code"][0])
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 21600 and body["scope"] == "read write"
    assert body["company_id"] == company.company_id
    assert {"access_token", "refresh_token", "created_at", "external_cid"} <= set(body)
    me = FreeeApi(Client(), body["access_token"], company.company_id).get("/api/1/users/me")
    assert me.status_code == 200


def test_oob_flow_shows_the_code_on_the_page(world_a, company):
    response = _authorize(world_a.client(), company, redirect_uri=OOB)
    assert response.status_code == 200
    code = SandboxAuthCode.objects.get(company=company).code
    assert "認可コード" in response.content.decode() and code in response.content.decode()
    assert _exchange(code, redirect_uri=OOB).status_code == 200


def test_a_code_works_only_once(world_a, company):
    code = _code(world_a.client(), company)
    assert _exchange(code).status_code == 200
    second = _exchange(code)
    assert second.status_code == 401
    assert second.json() == {"error": "invalid_grant", "error_description": INVALID_GRANT}


def test_a_code_expires_after_ten_minutes(world_a, company):
    code = _code(world_a.client(), company)
    SandboxAuthCode.objects.filter(code=code).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _exchange(code).json()["error"] == "invalid_grant"


def test_the_redirect_uri_must_equal_the_authorize_one(world_a, company):
    code = _code(world_a.client(), company)
    assert _exchange(code, redirect_uri="http://evil.example/cb").json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(world_a, company):
    code = _code(world_a.client(), company)
    response = _exchange(code, secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_refresh_token_rotates_and_works_only_once(world_a, company):
    first = _exchange(_code(world_a.client(), company)).json()
    refreshed = _refresh(first["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != first["refresh_token"]
    again = _refresh(first["refresh_token"])
    assert again.status_code == 401
    assert again.json() == {"error": "invalid_grant", "error_description": INVALID_GRANT}


def test_refresh_token_expires_after_ninety_days(world_a, company):
    first = _exchange(_code(world_a.client(), company)).json()
    SandboxToken.objects.filter(token=first["refresh_token"]).update(expires_at=timezone.now() - timedelta(days=1))
    assert _refresh(first["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_access_token_is_refused_with_freees_code(api):
    SandboxToken.objects.filter(token=api.token).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("/api/1/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "expired_access_token"
    assert response["X-Freee-Request-ID"]


def test_missing_token_is_401(company):
    response = Client().get("/sandbox/freee/iv/invoices", {"company_id": company.company_id})
    assert response.status_code == 401


def test_token_of_another_company_is_refused(api, sandbox_app):
    from integrations.sandbox.services import sandbox_company_create

    other = sandbox_company_create(app=sandbox_app, name="別事業所")
    response = api.get("/iv/invoices", company_id=other.company_id)
    assert response.status_code == 401
    assert response.json()["code"] == "company_not_found"


def test_company_id_is_required(api):
    response = api.client.get("/sandbox/freee/api/1/partners", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 400 and body["errors"][0]["type"] == "validation"


# --------------------------------------------------------------------------- whose apps, which redirect URIs


def test_another_tenants_client_id_is_unknown_and_its_companies_are_never_shown(world_a, world_b):
    foreign = sandbox_app_create(tenant=world_b.tenant, name="他テナントのアプリ")
    company = sandbox_company_create(app=foreign, name="他テナントの秘密事業所")
    params = {"response_type": "code", "client_id": foreign.client_id, "redirect_uri": CALLBACK}
    page = world_a.client("admin").get(AUTHORIZE, params)
    assert page.status_code == 400
    assert "アプリケーションが見つかりません" in page.content.decode()
    assert "他テナントの秘密事業所" not in page.content.decode()
    granted = world_a.client("admin").post(AUTHORIZE, {**params, "company_id": company.company_id})
    assert granted.status_code == 400 and "Location" not in granted
    assert not SandboxAuthCode.objects.filter(app=foreign).exists()
    assert foreign.companies.count() == 1  # no company was made for the foreign app either


@pytest.mark.parametrize("redirect_uri", ["http://evil.example/cb", CALLBACK + "?x=1", CALLBACK.rstrip("/"), ""])
def test_a_redirect_uri_the_app_did_not_register_is_refused_without_redirecting(world_a, company, redirect_uri):
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri}
    page = world_a.client().get(AUTHORIZE, params)
    assert page.status_code == 400 and INVALID_REDIRECT_URI in page.content.decode()
    granted = _authorize(world_a.client(), company, redirect_uri=redirect_uri)
    assert granted.status_code == 400 and "Location" not in granted
    assert not SandboxAuthCode.objects.exists()


def test_new_apps_register_the_hubs_callback_and_oob(sandbox_app):
    assert sandbox_app.registered_redirect_uris == [CALLBACK, OOB]


def test_a_redirect_uri_registered_in_the_console_is_accepted(world_a, company, sandbox_app):
    url = reverse("sandbox:console-app", kwargs={"public_id": sandbox_app.public_id})
    response = world_a.client("admin").post(url, {"action": "redirect_uris",
                                                  "redirect_uris": f"https://app.example.jp/cb\n{OOB}\n"})
    assert response.status_code == 302
    sandbox_app.refresh_from_db()
    assert sandbox_app.registered_redirect_uris == ["https://app.example.jp/cb", OOB]
    assert _authorize(world_a.client(), company, redirect_uri="https://app.example.jp/cb")["Location"].startswith(
        "https://app.example.jp/cb?code=")
    assert _authorize(world_a.client(), company).status_code == 400  # the old callback is no longer registered


@pytest.mark.parametrize("value", ["javascript:alert(1)", "/relative/cb", "https://app.example.jp/cb#frag", " "])
def test_the_console_refuses_a_redirect_uri_that_is_not_one(world_a, sandbox_app, value):
    url = reverse("sandbox:console-app", kwargs={"public_id": sandbox_app.public_id})
    response = world_a.client("admin").post(url, {"action": "redirect_uris", "redirect_uris": value})
    assert response.status_code == 400
    sandbox_app.refresh_from_db()
    assert sandbox_app.registered_redirect_uris == [CALLBACK, OOB]
