"""Fixtures of the freee sandbox tests: an app of tenant A, its company, tokens and an API caller."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from integrations.sandbox.models import SandboxApp, SandboxCompany
from integrations.sandbox.services import (
    sandbox_app_create,
    sandbox_company_create,
    sandbox_company_update,
    sandbox_tokens_issue,
)

CLIENT_ID = "sandbox-test-client"
CLIENT_SECRET = "sandbox-test-secret"
BASE = "/sandbox/freee"


@dataclass
class FreeeApi:
    """Calls the fake freee as the real client would: Bearer token, company_id in query or JSON body."""

    client: Client
    token: str
    company_id: int

    def _auth(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **params):
        params.setdefault("company_id", self.company_id)
        return self.client.get(BASE + path, {k: v for k, v in params.items() if v is not None}, **self._auth())

    def delete(self, path: str, **params):
        params.setdefault("company_id", self.company_id)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(f"{BASE}{path}?{query}", **self._auth())

    def _send(self, method: str, path: str, body: dict | None):
        body = {"company_id": self.company_id, **(body or {})}
        return getattr(self.client, method)(BASE + path, json.dumps(body), content_type="application/json",
                                            **self._auth())

    def post(self, path: str, body: dict | None = None):
        return self._send("post", path, body)

    def put(self, path: str, body: dict | None = None):
        return self._send("put", path, body)


@pytest.fixture
def sandbox_app(world_a) -> SandboxApp:
    return sandbox_app_create(tenant=world_a.tenant, name="テスト連携アプリ", client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET)


@pytest.fixture
def company(sandbox_app) -> SandboxCompany:
    return sandbox_company_create(app=sandbox_app, name="サンドボックス商事株式会社")


@pytest.fixture
def payment_requests_plan(company) -> SandboxCompany:
    """The company on a plan with 支払依頼 (法人エンタープライズ): other plans answer 403 freee_plan_limit."""
    return sandbox_company_update(company=company, plan="enterprise")


@pytest.fixture
def api(company) -> FreeeApi:
    access, _ = sandbox_tokens_issue(app=company.app, company=company)
    return FreeeApi(Client(), access.token, company.company_id)


def invoice_body(**overrides) -> dict:
    """A valid POST /iv/invoices body for the seeded first partner (code P0001)."""
    body = {
        "billing_date": "2026-05-31", "payment_date": "2026-06-30", "tax_entry_method": "out",
        "tax_fraction": "omit", "withholding_tax_entry_method": "out", "partner_title": "御中",
        "partner_code": "P0001", "subject": "5月分 保守費用",
        "lines": [{"type": "item", "description": "システム保守", "quantity": 1, "unit_price": "100000",
                   "tax_rate": 10}],
    }
    body.update(overrides)
    return body
