"""Secrets and tokens never appear in logs, the API call log, the audit trail or any page — including error pages.

One test walks the flows that handle secrets (login with a wrong and a right password, freee credentials, the
pasted-code exchange, a token refresh, failing freee calls, invalid_grant, a LINE WORKS link with its private
key, its token, a failing message, an API token, a 500 page), with every logger at DEBUG, and scans:
- what the configured console handler writes (the production log output, with its redaction filter);
- every captured log record at INFO and above, unfiltered (our code must not log secrets in the first place);
- the API call log, audit entries and integration events stored in PostgreSQL;
- the pages an admin sees afterwards and the error pages and bodies returned on the way.
Vendor HTTP is answered by `responses`.
"""

from __future__ import annotations

import io
import logging
from contextlib import contextmanager

import pytest
import responses
from django.test import Client, override_settings
from django.urls import reverse

from core.logging import RedactSecretsFilter
from core.models import AuditEntry
from integrations.freee import tokens
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError, ReauthorizationRequired
from integrations.models import ApiCallLog, FreeeConnection, IntegrationEvent, LineWorksLink
from tests.factories import PASSWORD
from tests.freee import bodies
from tests.integrations.conftest import TOKEN_URL
from tests.notifications.factories import private_key_pem

pytestmark = pytest.mark.django_db

API = "https://api.freee.co.jp"
LW_AUTH, LW_API = "https://auth.lw.test", "https://api.lw.test/v1.0"
CLIENT_SECRET = "freeeClientSecret9f2b7c1e"
CODE = "authCode5d1e8a2b"
ACCESS_1, REFRESH_1 = "freeeAccess1a7c3e9d5b", "freeeRefresh1b4d6f8a2c"
ACCESS_2, REFRESH_2 = "freeeAccess2c9e1a3b7d", "freeeRefresh2d3f5b7c9e"
WRONG_PASSWORD = "wrongPassword7e3c1a9f"
LW_CLIENT_SECRET, LW_BOT_SECRET = "lwClientSecret4a8c2e6f", "lwBotSecret6b1d3f5a"
LW_ACCESS, LW_REFRESH = "lwAccess8e2a4c6b1d", "lwRefresh3f7b9d1c5e"


def _token(access: str, refresh: str) -> dict:
    return {"access_token": access, "token_type": "bearer", "expires_in": 21600, "refresh_token": refresh,
            "scope": "read write", "company_id": 10000001, "created_at": 0}


@contextmanager
def production_log_output():
    """The configured console handler (settings.LOGGING, with its redaction filter) writing into a buffer, and
    every logger at DEBUG: the strictest setting an operator could choose."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters))
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    levels = {name: logging.getLogger(name).level for name in ("", "django.request", "urllib3", "requests_oauthlib",
                                                                "oauthlib", "axes", "integrations", "notifications")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        handler.setStream(old_stream)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _private_key_lines() -> list[str]:
    return [line for line in private_key_pem().splitlines() if line and "PRIVATE KEY" not in line]


@responses.activate
def test_no_secret_reaches_logs_call_logs_audit_or_pages(world_a, settings, caplog):
    settings.FREEE_ACCOUNTS_URL, settings.FREEE_API_URL = "http://127.0.0.1:8000/sandbox/freee", API
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = LW_AUTH, LW_API
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []
    with production_log_output() as output:
        # signing in: a wrong password, then the right one
        admin = Client()
        pages.append(admin.post("/login/", {"username": world_a.admin.username, "password": WRONG_PASSWORD})
                     .content.decode())
        assert admin.post("/login/", {"username": world_a.admin.username, "password": PASSWORD}).status_code == 302

        # freee: credentials, the pasted code, a refresh, failing calls, invalid_grant
        admin.post(reverse("integrations:freee_settings"), {"client_id": "cid", "client_secret": CLIENT_SECRET,
                                                            "invoice_numbering": "auto", "daily_cap": "3000"})
        responses.post(TOKEN_URL, json=_token(ACCESS_1, REFRESH_1))
        responses.get(f"{API}/api/1/companies/10000001",
                      json=bodies.company(id=10000001, name="漏洩テスト株式会社", display_name="漏洩テスト株式会社"))
        pages.append(admin.post(reverse("integrations:freee_paste_code"), {"code": CODE}, follow=True)
                     .content.decode())
        connection = FreeeConnection.objects.get(tenant=world_a.tenant)
        assert connection.access_token == ACCESS_1
        responses.replace(responses.POST, TOKEN_URL, json=_token(ACCESS_2, REFRESH_2))
        assert tokens.access_token_for(connection, force_refresh=True) == ACCESS_2
        responses.get(f"{API}/api/1/partners", status=500, json={"status_code": 500, "errors": [
            {"type": "status", "messages": ["内部エラー"]}]})
        responses.get(f"{API}/api/1/users/me", status=400, json={"status_code": 400, "errors": [
            {"type": "validation", "messages": ["パラメータが不正です"]}]})
        connection.refresh_from_db()
        for call in (lambda c: c.partners_search(keyword="x"), lambda c: c.users_me()):
            with pytest.raises(FreeeError):
                call(FreeeClient(connection))
        responses.replace(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_grant",
                                                                      "error_description": "expired"})
        connection.refresh_from_db()
        with pytest.raises(ReauthorizationRequired):
            tokens.access_token_for(connection, force_refresh=True)

        # LINE WORKS: the link with its private key, a token, a message that fails; saving asks LINE WORKS
        # for a token and the bot's domains (the domain id is checked against the credentials)
        responses.post(f"{LW_AUTH}/oauth2/v2.0/token", json={"access_token": LW_ACCESS, "refresh_token": LW_REFRESH,
                                                             "scope": "bot", "token_type": "Bearer",
                                                             "expires_in": "86400"})
        responses.get(f"{LW_API}/bots/2000001/domains", json={"domains": [{"domainId": 40000001}],
                                                              "responseMetaData": {"nextCursor": None}})
        answer = admin.post(reverse("notifications:link_create"), {
            "name": "本社", "domain_id": "40000001", "client_id": "lw-cid", "client_secret": LW_CLIENT_SECRET,
            "service_account": "sa.serviceaccount@example.works", "private_key": private_key_pem(),
            "bot_id": "2000001", "bot_secret": LW_BOT_SECRET, "rate_limit_per_minute": "240"})
        assert answer.status_code == 302, answer.content.decode()[:2000]
        link = LineWorksLink.objects.get(tenant=world_a.tenant)
        pages.append(admin.post(reverse("notifications:link_test", args=[link.public_id]), follow=True)
                     .content.decode())

        # an API token, an API error, and a server error while a secret is in the request
        api_token = Client().post("/api/v1/auth/token/", {"username": world_a.admin.username,
                                                          "password": PASSWORD}).json()["token"]
        pages.append(Client().get("/api/v1/deals/00000000-0000-0000-0000-000000000000/",
                                  HTTP_AUTHORIZATION=f"Token {api_token}").content.decode())
        with override_settings(ROOT_URLCONF="tests.core.urls_boom"):
            admin.raise_request_exception = False
            failing = admin.post("/boom/", {"client_secret": CLIENT_SECRET, "token": ACCESS_2})
            assert failing.status_code == 500
            pages.append(failing.content.decode())

        # what an admin can look at afterwards
        for name in ("integrations:freee_settings", "integrations:api_call_log", "core:audit_list",
                     "notifications:link_list"):
            pages.append(admin.get(reverse(name)).content.decode())
        pages.append(admin.get(reverse("notifications:link_update", args=[link.public_id])).content.decode())

    secrets = [CLIENT_SECRET, CODE, ACCESS_1, REFRESH_1, ACCESS_2, REFRESH_2, WRONG_PASSWORD, PASSWORD,
               LW_CLIENT_SECRET, LW_BOT_SECRET, LW_ACCESS, LW_REFRESH, api_token, *_private_key_lines()]
    sinks = {
        "log output": output.getvalue(),
        "log records (INFO+)": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                                         if r.levelno >= logging.INFO),
        "API call log": str(list(ApiCallLog.objects.values())),
        "audit trail": str(list(AuditEntry.objects.values())),
        "integration events": str(list(IntegrationEvent.objects.values())),
        **{f"page {n}": page for n, page in enumerate(pages)},
    }
    assert len(output.getvalue()) > 1000 and ApiCallLog.objects.count() >= 6  # the flows did run and log
    leaks = {f"{where}: {secret[:12]}…" for where, text in sinks.items() for secret in secrets if secret in text}
    assert not leaks, f"secrets found in {sorted(leaks)}"
