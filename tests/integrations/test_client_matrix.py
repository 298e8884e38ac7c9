"""Every client method × every way freee can answer: success, 400 with freee's body, 401 expired then
refresh then success, invalid_grant, the 403 lock-out, 429 with reset headers, 5xx, timeout, malformed JSON,
a body of the wrong shape. freee is answered by `responses`; the client, token service, limiter (test Redis)
and log are real."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import responses
from django.utils import timezone

from integrations.freee import schemas as s
from integrations.freee.client import FreeeClient
from integrations.freee.errors import MalformedResponse, Permanent, RateLimited, ReauthorizationRequired, Transient
from integrations.models import ApiCallLog, FreeeConnection
from tests.freee import bodies
from tests.freee.bodies import COMPANY_ID

API = "https://api.freee.co.jp"
TOKEN_URL = "https://accounts.example/public_api/token"
RESET = "2027-01-15T08:00:30+00:00"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    call: Callable[[FreeeClient], object]
    reply: dict | None
    status: int = 200


def _invoice() -> s.InvoiceCreate:
    return s.InvoiceCreate(partner_id=201, partner_title="御中", billing_date=dt.date(2026, 6, 30),
                           tax_entry_method="out", tax_fraction="omit", withholding_tax_entry_method="out",
                           lines=[s.InvoiceLineInput(description="作業", quantity=Decimal(1), unit_price="1000",
                                                     tax_rate=10)])


def _deal() -> s.DealCreate:
    return s.DealCreate(issue_date=dt.date(2026, 6, 30), type="income",
                        details=[s.DealDetailInput(tax_code=129, account_item_id=101, amount=1100)])


def _deal_update() -> s.DealUpdate:
    return s.DealUpdate(issue_date=dt.date(2026, 6, 30), type="income",
                        details=[s.DealUpdateDetail(id=9101, tax_code=129, account_item_id=101, amount=1100)])


def _payment_request() -> s.PaymentRequestCreate:
    return s.PaymentRequestCreate(title="外注費", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71,
                                  draft=True, payment_request_lines=[s.PaymentRequestLineInput(amount=1000)])


def _deal_payment() -> s.DealPaymentCreate:
    return s.DealPaymentCreate(date=dt.date(2026, 7, 31), from_walletable_type="bank_account", from_walletable_id=501,
                               amount=110000)


def _payment_request_update() -> s.PaymentRequestUpdate:
    return s.PaymentRequestUpdate(title="外注費", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71,
                                  draft=True, payment_request_lines=[s.PaymentRequestLineUpdate(amount=1000)])


ENDPOINTS = [
    Endpoint("companies_list", "GET", "/api/1/companies", lambda c: c.companies_list(), bodies.companies()),
    Endpoint("company_show", "GET", f"/api/1/companies/{COMPANY_ID}", lambda c: c.company_show(), bodies.company()),
    Endpoint("users_me", "GET", "/api/1/users/me", lambda c: c.users_me(), bodies.users_me()),
    Endpoint("company_users_list", "GET", "/api/1/users", lambda c: c.company_users_list(), bodies.company_users()),
    Endpoint("partners_search", "GET", "/api/1/partners", lambda c: c.partners_search(keyword="山田"),
             bodies.partners()),
    Endpoint("account_items_list", "GET", "/api/1/account_items", lambda c: c.account_items_list(),
             bodies.account_items()),
    Endpoint("taxes_list", "GET", f"/api/1/taxes/companies/{COMPANY_ID}", lambda c: c.taxes_list(), bodies.taxes()),
    Endpoint("walletables_list", "GET", "/api/1/walletables", lambda c: c.walletables_list(), bodies.walletables()),
    Endpoint("deals_list", "GET", "/api/1/deals", lambda c: c.deals_list(), bodies.deals()),
    Endpoint("deal_show", "GET", "/api/1/deals/9001", lambda c: c.deal_show(9001), {"deal": bodies.deal()}),
    Endpoint("deal_create", "POST", "/api/1/deals", lambda c: c.deal_create(_deal()), {"deal": bodies.deal()}, 201),
    Endpoint("deal_update", "PUT", "/api/1/deals/9001", lambda c: c.deal_update(9001, _deal_update()),
             {"deal": bodies.deal()}),
    Endpoint("deal_delete", "DELETE", "/api/1/deals/9001", lambda c: c.deal_delete(9001), None, 204),
    Endpoint("deal_payment_create", "POST", "/api/1/deals/9001/payments",
             lambda c: c.deal_payment_create(9001, _deal_payment()), {"deal": bodies.settled_deal()}, 201),
    Endpoint("deal_payment_delete", "DELETE", "/api/1/deals/9001/payments/9201",
             lambda c: c.deal_payment_delete(9001, 9201), None, 204),
    Endpoint("tags_list", "GET", "/api/1/tags", lambda c: c.tags_list(), {"tags": [bodies.tag()]}),
    Endpoint("tag_create", "POST", "/api/1/tags", lambda c: c.tag_create(s.TagCreate(name="案件: 基幹システム刷新")),
             {"tag": bodies.tag()}, 201),
    Endpoint("invoices_list", "GET", "/iv/invoices", lambda c: c.invoices_list(), bodies.invoices()),
    Endpoint("invoice_show", "GET", "/iv/invoices/7001", lambda c: c.invoice_show(7001),
             bodies.invoice(with_account_fields=False)),
    Endpoint("invoice_create", "POST", "/iv/invoices", lambda c: c.invoice_create(_invoice()),
             bodies.invoice(), 201),
    Endpoint("invoice_update", "PUT", "/iv/invoices/7001", lambda c: c.invoice_update(7001, _invoice()),
             bodies.invoice()),
    Endpoint("invoice_cancel", "PUT", "/iv/invoices/7001/cancel", lambda c: c.invoice_cancel(7001),
             bodies.invoice_cancel_status()),
    Endpoint("invoice_uncancel", "PUT", "/iv/invoices/7001/uncancel", lambda c: c.invoice_uncancel(7001),
             bodies.invoice_cancel_status("uncanceled")),
    Endpoint("invoice_templates_list", "GET", "/iv/invoices/templates", lambda c: c.invoice_templates_list(),
             bodies.invoice_templates()),
    Endpoint("payment_requests_list", "GET", "/api/1/payment_requests", lambda c: c.payment_requests_list(),
             bodies.payment_requests()),
    Endpoint("payment_request_show", "GET", "/api/1/payment_requests/6001", lambda c: c.payment_request_show(6001),
             bodies.payment_request()),
    Endpoint("payment_request_create", "POST", "/api/1/payment_requests",
             lambda c: c.payment_request_create(_payment_request()), bodies.payment_request(), 201),
    Endpoint("payment_request_update", "PUT", "/api/1/payment_requests/6001",
             lambda c: c.payment_request_update(6001, _payment_request_update()), bodies.payment_request()),
    Endpoint("payment_request_delete", "DELETE", "/api/1/payment_requests/6001",
             lambda c: c.payment_request_delete(6001), None, 204),
    Endpoint("payment_request_action", "POST", "/api/1/payment_requests/6001/actions",
             lambda c: c.payment_request_action(6001, s.PaymentRequestAction(approval_action="approve",
                                                                             target_step_id=81, target_round=0)),
             bodies.payment_request(), 201),
    Endpoint("approval_flow_routes_list", "GET", "/api/1/approval_flow_routes",
             lambda c: c.approval_flow_routes_list(), bodies.approval_flow_routes()),
    Endpoint("approval_flow_route_show", "GET", "/api/1/approval_flow_routes/71",
             lambda c: c.approval_flow_route_show(71), bodies.approval_flow_route()),
]
IDS = [e.name for e in ENDPOINTS]




@pytest.fixture
def connection(world_a, settings):
    settings.FREEE_API_URL = API
    settings.FREEE_ACCOUNTS_URL = "https://accounts.example"
    return FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id="cid", client_secret="secret", company_id=COMPANY_ID,
        access_token="access-1", refresh_token="refresh-1", access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED,
    )


def _client(connection, fake_time, max_wait=0.0) -> FreeeClient:
    return FreeeClient(connection, sleep=fake_time.sleep, clock=fake_time.clock, max_wait=max_wait)


def _ok(mock, endpoint: Endpoint, **kwargs):
    if endpoint.reply is None:
        mock.add(endpoint.method, API + endpoint.path, status=endpoint.status, **kwargs)
    else:
        mock.add(endpoint.method, API + endpoint.path, status=endpoint.status, json=endpoint.reply, **kwargs)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_success(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        _ok(mock, endpoint, headers={"X-Freee-Request-ID": "rid"})
        endpoint.call(_client(connection, fake_time))
    assert ApiCallLog.objects.get(tenant=connection.tenant).request_id == "rid"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_400_keeps_freees_messages(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=400,
                 json={"status_code": 400, "errors": [{"type": "validation", "messages": ["日付が不正です。"]}]})
        with pytest.raises(Permanent) as error:
            endpoint.call(_client(connection, fake_time))
    assert error.value.messages == ["日付が不正です。"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_401_expired_then_refresh_then_success(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=401,
                 json={"message": "アクセスする権限がありません", "code": "expired_access_token"})
        mock.post(TOKEN_URL, json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 21600,
                                   "token_type": "bearer", "scope": "read write", "company_id": COMPANY_ID})
        _ok(mock, endpoint)
        endpoint.call(_client(connection, fake_time))
        assert mock.calls[-1].request.headers["Authorization"] == "Bearer access-2"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_invalid_grant_stops_and_asks_for_reauthorisation(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=401, json={"code": "expired_access_token"})
        mock.post(TOKEN_URL, status=401, json={"error": "invalid_grant", "error_description": "無効です"})
        with pytest.raises(ReauthorizationRequired):
            endpoint.call(_client(connection, fake_time))
    connection.refresh_from_db()
    assert connection.status == FreeeConnection.Status.NEEDS_REAUTH


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_403_lockout_is_rate_limiting(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=403, json={"message": "しばらくお待ちください"})
        with pytest.raises(RateLimited) as error:
            endpoint.call(_client(connection, fake_time))
    assert error.value.retry_after == 600


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_429_waits_for_the_reset_then_succeeds(endpoint, connection, fake_time):
    from integrations.freee.ratelimit import parse_reset

    fake_time.now = parse_reset(RESET, 0) - 30
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=429, json={"status_code": 429, "errors": []},
                 headers={"X-Ratelimit-Reset-Minute": RESET, "X-RateLimit-Reset": RESET})
        _ok(mock, endpoint)
        endpoint.call(_client(connection, fake_time, max_wait=60))
    assert fake_time.slept[0] == pytest.approx(30.0)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_5xx_retries_reads_and_never_resends_writes(endpoint, connection, fake_time):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(endpoint.method, API + endpoint.path, status=503, json={"status_code": 503, "errors": []})
        with pytest.raises(Transient):
            endpoint.call(_client(connection, fake_time))
        assert len(mock.calls) == (3 if endpoint.method == "GET" else 1)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_timeout_retries_reads_and_never_resends_writes(endpoint, connection, fake_time):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(endpoint.method, API + endpoint.path, body=requests.ReadTimeout("timed out"))
        with pytest.raises(Transient) as error:
            endpoint.call(_client(connection, fake_time))
        assert error.value.code == "timeout"
        assert len(mock.calls) == (3 if endpoint.method == "GET" else 1)


WITH_BODY = [e for e in ENDPOINTS if e.reply is not None]


@pytest.mark.parametrize("endpoint", WITH_BODY, ids=lambda e: e.name)
def test_malformed_json_fails_the_call_in_the_log(endpoint, connection, fake_time):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(endpoint.method, API + endpoint.path, status=endpoint.status, body="{truncated",
                 content_type="application/json")
        with pytest.raises(MalformedResponse):
            endpoint.call(_client(connection, fake_time))
        assert len(mock.calls) == (3 if endpoint.method == "GET" else 1)
    logs = ApiCallLog.objects.filter(tenant=connection.tenant)
    assert {(log.status_code, log.error_message) for log in logs} == {
        (endpoint.status, "freeeの応答を読み取れませんでした（JSONではありません）。")}
    connection.refresh_from_db()
    assert connection.last_success_at is None


@pytest.mark.parametrize("endpoint", WITH_BODY, ids=lambda e: e.name)
def test_a_body_of_the_wrong_shape_fails_the_call_in_the_log(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=endpoint.status, json={"unexpected": []},
                 headers={"X-Freee-Request-ID": "rid"})
        with pytest.raises(MalformedResponse) as error:
            endpoint.call(_client(connection, fake_time))
        assert len(mock.calls) == 1  # not asked again, even for a GET: the same body would break again
    log = ApiCallLog.objects.get(tenant=connection.tenant)
    assert (log.method, log.path, log.status_code, log.request_id) == (
        endpoint.method, endpoint.path, endpoint.status, "rid")
    assert log.error_message == error.value.message
    assert log.error_message.startswith("freee response does not match ")
    connection.refresh_from_db()
    assert connection.last_success_at is None
