"""Rate limits like freee's (in Redis) and every fault switch of a sandbox company."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from integrations.sandbox.models import SandboxCompany, SandboxResource
from integrations.sandbox.services import sandbox_company_update, sandbox_fault_consume, sandbox_faults_set
from tests.sandbox.conftest import invoice_body

pytestmark = pytest.mark.django_db
FIXED_NOW = datetime(2026, 5, 20, 3, 15, 10, tzinfo=UTC)
RATE_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Ratelimit-Limit-Minute",
                "X-Ratelimit-Remaining-Minute", "X-Ratelimit-Reset-Minute", "X-RateLimit-Limit-Day",
                "X-RateLimit-Remaining-Day", "X-RateLimit-Reset-Day"]


@pytest.fixture
def frozen_clock():
    with mock.patch("integrations.sandbox.ratelimit.now", return_value=FIXED_NOW):
        yield


def test_invoice_api_sends_rate_limit_headers(api, frozen_clock):
    response = api.get("/iv/invoices")
    assert all(name in response for name in RATE_HEADERS)
    assert response["X-Ratelimit-Limit-Minute"] == "30" and response["X-Ratelimit-Remaining-Minute"] == "29"
    assert response["X-RateLimit-Limit"] == "1500" and response["X-RateLimit-Limit-Day"] == "3000"
    assert response["X-Ratelimit-Reset-Minute"] == "2026-05-20T03:16:00.000000Z"
    assert response["X-RateLimit-Reset"] == "2026-05-20T04:00:00.000000Z"


def test_the_31st_call_in_a_minute_is_429(api, frozen_clock):
    for _ in range(30):
        assert api.get("/iv/invoices/templates").status_code == 200
    response = api.get("/iv/invoices/templates")
    assert response.status_code == 429
    assert response["X-Ratelimit-Remaining-Minute"] == "0"
    assert response["X-Ratelimit-Reset-Minute"] == "2026-05-20T03:16:00.000000Z"
    assert response.json()["status_code"] == 429
    assert response["X-Freee-Request-ID"]


def test_the_daily_cap_follows_the_plan(api, company, frozen_clock):
    sandbox_company_update(company=company, plan="enterprise")
    assert api.get("/iv/invoices")["X-RateLimit-Limit-Day"] == "10000"
    assert "X-RateLimit-Limit-Day" not in api.get("/api/1/partners")  # 会計: daily cap only, no headers


def test_accounting_daily_cap_answers_429(api, company, frozen_clock):
    SandboxCompany.DAILY_CAPS, saved = {**SandboxCompany.DAILY_CAPS, "standard": 2}, SandboxCompany.DAILY_CAPS
    try:
        assert api.get("/api/1/account_items").status_code == 200
        assert api.get("/api/1/account_items").status_code == 200
        assert api.get("/api/1/account_items").status_code == 429
    finally:
        SandboxCompany.DAILY_CAPS = saved


def test_latency_switch_delays_the_answer(api, company):
    sandbox_faults_set(company, latency_ms=300)
    started = time.monotonic()
    assert api.get("/api/1/users/me").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_rate_limit_switch_answers_429_for_the_next_n_calls(api, company):
    sandbox_faults_set(company, rate_limit_429=2)
    assert [api.get("/iv/invoices").status_code for _ in range(3)] == [429, 429, 200]


def test_rate_limit_switch_until_a_time(api, company):
    sandbox_faults_set(company, rate_limit_429=(timezone.now() + timedelta(minutes=5)).isoformat())
    assert api.get("/api/1/partners").status_code == 429
    assert api.get("/api/1/partners").status_code == 429


def test_lockout_answers_403_until_the_time(api, company):
    sandbox_faults_set(company, lockout_until=timezone.now() + timedelta(minutes=10))
    response = api.get("/api/1/partners")
    assert response.status_code == 403
    assert set(response.json()) >= {"message", "code"}
    assert api.get("/iv/invoices").status_code == 403
    sandbox_faults_set(company, lockout_until=timezone.now() - timedelta(seconds=1))
    assert api.get("/api/1/partners").status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_switch(api, company, status):
    sandbox_faults_set(company, server_error_5xx={"count": 1, "status": status})
    response = api.get("/iv/invoices")
    assert response.status_code == status
    assert response.json()["status_code"] == status
    assert api.get("/iv/invoices").status_code == 200


def test_timeout_after_create_creates_the_invoice_then_waits(api, company):
    sandbox_faults_set(company, timeout_after_create=0.4)
    started = time.monotonic()
    response = api.post("/iv/invoices", invoice_body())
    assert response.status_code == 201
    assert time.monotonic() - started >= 0.4
    assert SandboxResource.objects.filter(company=company, kind="invoice").count() == 1
    started = time.monotonic()
    api.post("/iv/invoices", invoice_body())
    assert time.monotonic() - started < 0.4  # one shot only


def test_malformed_body_switch(api, company):
    sandbox_faults_set(company, malformed_body=1)
    response = api.get("/api/1/partners")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert api.get("/api/1/partners").json()["partners"]


def test_expire_tokens_switch(api, company):
    sandbox_faults_set(company, expire_tokens=True)
    response = api.get("/api/1/users/me")
    assert response.status_code == 401 and response.json()["code"] == "expired_access_token"


def test_counting_switches_decrement_to_off(company):
    sandbox_faults_set(company, malformed_body=2)
    assert sandbox_fault_consume(company, "malformed_body")
    company.refresh_from_db()
    assert company.faults["malformed_body"] == {"count": 1}
    assert sandbox_fault_consume(company, "malformed_body")
    company.refresh_from_db()
    assert "malformed_body" not in company.faults
    assert sandbox_fault_consume(company, "malformed_body") is None


def test_unknown_switch_is_an_error(company):
    with pytest.raises(ValueError):
        sandbox_faults_set(company, explode=True)
