"""The typed client methods for メモタグ (GET/POST /api/1/tags) and deal payments (POST/DELETE
/api/1/deals/{id}/payments[/{payment_id}]): what they send, what they return, 404 and Retry-After. Every other
way freee can answer (400, 401 then refresh, invalid_grant, lock-out, 429 with reset headers, 5xx, timeout,
malformed and wrong-shape bodies) is covered for them with every other method in test_client_matrix.py.
freee is answered by `responses`; the client, token service, limiter and call log are real."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pydantic
import pytest
import responses

from integrations.freee import schemas as s
from integrations.freee.client import FreeeClient
from integrations.freee.errors import Permanent, RateLimited
from integrations.models import ApiCallLog
from tests.freee import bodies

API = "https://api.freee.co.jp"
TAG = bodies.tag()


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    call: Callable[[FreeeClient], object]
    reply: dict | None
    status: int = 200


def _payment() -> s.DealPaymentCreate:
    return s.DealPaymentCreate(date=dt.date(2026, 7, 31), from_walletable_type="bank_account", from_walletable_id=501,
                               amount=110000)


ENDPOINTS = [
    Endpoint("tags_list", "GET", "/api/1/tags", lambda c: c.tags_list(limit=3000), {"tags": [TAG]}),
    Endpoint("tag_create", "POST", "/api/1/tags", lambda c: c.tag_create(s.TagCreate(name=TAG["name"])),
             {"tag": TAG}, 201),
    Endpoint("deal_payment_create", "POST", "/api/1/deals/9001/payments",
             lambda c: c.deal_payment_create(9001, _payment()), {"deal": bodies.settled_deal()}, 201),
    Endpoint("deal_payment_delete", "DELETE", "/api/1/deals/9001/payments/9201",
             lambda c: c.deal_payment_delete(9001, 9201), None, 204),
]
IDS = [e.name for e in ENDPOINTS]


def _client(connection, fake_time, max_wait=0.0) -> FreeeClient:
    return FreeeClient(connection, sleep=fake_time.sleep, clock=fake_time.clock, max_wait=max_wait)


def _ok(mock, endpoint: Endpoint) -> None:
    extra = {} if endpoint.reply is None else {"json": endpoint.reply}
    mock.add(endpoint.method, API + endpoint.path, status=endpoint.status, headers={"X-Freee-Request-ID": "rid"},
             **extra)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_success_is_parsed_and_logged(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        _ok(mock, endpoint)
        result = endpoint.call(_client(connection, fake_time))
        sent = mock.calls[0].request
    assert ApiCallLog.objects.get(tenant=connection.tenant).request_id == "rid"
    if endpoint.method in ("GET", "DELETE"):
        assert f"company_id={connection.company_id}" in sent.url
    else:
        assert f'"company_id": {connection.company_id}' in sent.body.decode()
    if endpoint.reply is None:
        assert result is None


def test_tags_list_sends_paging_and_returns_typed_tags(connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.get(API + "/api/1/tags", json={"tags": [TAG]},
                 match=[responses.matchers.query_param_matcher(
                     {"company_id": str(connection.company_id), "offset": "3000", "limit": "3000"})])
        (tag,) = _client(connection, fake_time).tags_list(offset=3000, limit=3000)
    assert tag == s.Tag(**TAG)


def test_tag_create_sends_the_name_and_payment_create_the_payment(connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.post(API + "/api/1/tags", status=201, json={"tag": TAG}, match=[responses.matchers.json_params_matcher(
            {"company_id": connection.company_id, "name": TAG["name"]})])
        mock.post(API + "/api/1/deals/9001/payments", status=201, json={"deal": bodies.settled_deal()},
                  match=[responses.matchers.json_params_matcher(
                      {"company_id": connection.company_id, "date": "2026-07-31", "amount": 110000,
                       "from_walletable_type": "bank_account", "from_walletable_id": 501})])
        client = _client(connection, fake_time)
        assert client.tag_create(s.TagCreate(name=TAG["name"])).id == 31
        assert client.deal_payment_create(9001, _payment()).payments[0].id == 9201


def test_arguments_are_checked_before_anything_is_sent(connection, fake_time):
    client = _client(connection, fake_time)
    with responses.RequestsMock():  # any request would fail: none is registered
        with pytest.raises(ValueError, match="limit"):
            client.tags_list(limit=3001)
        with pytest.raises(ValueError, match="payment_id"):
            client.deal_payment_delete(9001, 0)
        with pytest.raises(pydantic.ValidationError):
            s.TagCreate(name="あ" * 31)
        with pytest.raises(pydantic.ValidationError):
            s.DealPaymentCreate(date=dt.date(2026, 7, 31), from_walletable_type="bank_account",
                                from_walletable_id=501, amount=0)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_404_is_permanent(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=404,
                 json={"status_code": 404, "errors": [{"type": "status", "messages": ["見つかりません。"]}]})
        with pytest.raises(Permanent) as error:
            endpoint.call(_client(connection, fake_time))
    assert error.value.status == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_429_without_budget_to_wait_is_rate_limited(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=429, json={"status_code": 429, "errors": []},
                 headers={"Retry-After": "42"})
        with pytest.raises(RateLimited) as error:
            endpoint.call(_client(connection, fake_time))
        assert len(mock.calls) == 1
    assert error.value.retry_after == pytest.approx(42, abs=1)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_429_then_success_when_the_wait_is_allowed(endpoint, connection, fake_time):
    with responses.RequestsMock() as mock:
        mock.add(endpoint.method, API + endpoint.path, status=429, json={"status_code": 429, "errors": []},
                 headers={"Retry-After": "5"})
        _ok(mock, endpoint)
        endpoint.call(_client(connection, fake_time, max_wait=60))
    assert fake_time.slept and fake_time.slept[0] == pytest.approx(5, abs=1)
