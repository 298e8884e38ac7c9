"""FreeeClient transport with `responses`: error mapping, refresh once on 401, GET retries, no blind
re-sends of writes, rate-limit waits, and the API call log."""

from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers

from integrations.freee import schemas
from integrations.freee.base import Family
from integrations.freee.client import FreeeClient
from integrations.freee.errors import (
    MalformedResponse,
    Permanent,
    RateLimited,
    ReauthorizationRequired,
    Transient,
)
from integrations.freee.ratelimit import RateLimiter
from integrations.models import ApiCallLog, FreeeConnection
from tests.integrations.conftest import TOKEN_URL, token_body

PARTNERS = "https://api.freee.co.jp/api/1/partners"
INVOICES = "https://api.freee.co.jp/iv/invoices"
PARTNER = {"id": 1, "code": None, "company_id": 10000001, "name": "株式会社山田商事", "update_date": "2026-01-05",
           "available": True}
BAD_REQUEST = {"status_code": 400, "errors": [{"type": "validation", "messages": ["Keyword は不正な値です。"]}]}
EXPIRED = {"message": "アクセスする権限がありません", "code": "expired_access_token"}




@pytest.fixture
def client(connection, fake_time):
    return FreeeClient(connection, sleep=fake_time.sleep, clock=fake_time.clock, max_wait=120)


def _invoice_body():
    return schemas.InvoiceCreate(
        billing_date="2026-11-30", tax_entry_method="out", tax_fraction="omit", withholding_tax_entry_method="out",
        partner_title="御中", partner_id=1,
        lines=[schemas.InvoiceLineInput(type="item", description="作業", quantity=Decimal(1), unit_price="1000",
                                        tax_rate=10)],
    )


@responses.activate(assert_all_requests_are_fired=True)
def test_success_sends_bearer_token_and_company_and_logs_the_call(client, connection):
    responses.get(PARTNERS, json={"partners": [PARTNER]}, headers={"X-Freee-Request-ID": "req-1"},
                  match=[matchers.query_param_matcher({"company_id": "10000001", "keyword": "山田", "offset": "0",
                                                       "limit": "50"}),
                         matchers.header_matcher({"Authorization": "Bearer access-1"})])
    assert client.partners_search(keyword="山田")[0].name == "株式会社山田商事"
    log = ApiCallLog.objects.get(tenant=connection.tenant)
    assert (log.method, log.path, log.status_code, log.request_id) == ("GET", "/api/1/partners", 200, "req-1")
    assert "access-1" not in log.path + log.error_message
    connection.refresh_from_db()
    assert connection.last_success_at is not None


@responses.activate(assert_all_requests_are_fired=True)
def test_400_keeps_freees_messages(client, connection):
    responses.get(PARTNERS, status=400, json=BAD_REQUEST)
    with pytest.raises(Permanent) as error:
        client.partners_search(keyword="x")
    assert error.value.messages == ["Keyword は不正な値です。"]
    assert "Keyword は不正な値です。" in ApiCallLog.objects.get(tenant=connection.tenant).error_message


@responses.activate(assert_all_requests_are_fired=True)
def test_401_expired_refreshes_once_then_succeeds(client, connection):
    responses.get(PARTNERS, status=401, json=EXPIRED)
    responses.post(TOKEN_URL, json=token_body(2))
    responses.get(PARTNERS, json={"partners": [PARTNER]},
                  match=[matchers.header_matcher({"Authorization": "Bearer access-2"})])
    assert client.partners_search()[0].id == 1
    connection.refresh_from_db()
    assert connection.refresh_token == "refresh-2"


@responses.activate(assert_all_requests_are_fired=True)
def test_401_then_invalid_grant_needs_reauthorisation(client, connection):
    responses.get(PARTNERS, status=401, json=EXPIRED)
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_grant", "error_description": "無効です"})
    with pytest.raises(ReauthorizationRequired):
        client.partners_search()
    connection.refresh_from_db()
    assert connection.status == FreeeConnection.Status.NEEDS_REAUTH


@responses.activate(assert_all_requests_are_fired=True)
def test_403_lockout_is_rate_limiting_and_blocks_later_calls(connection, fake_time):
    client = FreeeClient(connection, sleep=fake_time.sleep, clock=fake_time.clock, max_wait=0)
    responses.get(PARTNERS, status=403, json={"message": "しばらく時間をおいてからアクセスしてください", "code": ""})
    with pytest.raises(RateLimited) as error:
        client.partners_search()
    assert error.value.retry_after == 600
    with pytest.raises(RateLimited):  # blocked locally: no second request reaches freee
        client.partners_search()


@responses.activate(assert_all_requests_are_fired=True)
def test_403_permission_error_is_permanent(client):
    responses.get(PARTNERS, status=403, json={"message": "権限がありません", "code": "user_do_not_have_permission"})
    with pytest.raises(Permanent):
        client.partners_search()


@responses.activate(assert_all_requests_are_fired=True)
def test_429_waits_for_the_reset_then_succeeds(client, fake_time):
    reset = "2027-01-15T08:00:40+00:00"
    fake_time.now = 1_800_000_000.0
    from integrations.freee.ratelimit import parse_reset

    fake_time.now = parse_reset(reset, 0) - 40
    responses.get(INVOICES, status=429, json={"status_code": 429, "errors": []},
                  headers={"X-Ratelimit-Reset-Minute": reset})
    responses.get(INVOICES, json={"invoices": []})
    assert client.invoices_list() == []
    assert fake_time.slept and fake_time.slept[0] == pytest.approx(40.0)


@responses.activate(assert_all_requests_are_fired=True)
def test_5xx_on_get_is_retried_with_backoff(client, fake_time):
    responses.get(PARTNERS, status=503, json={"status_code": 503, "errors": [{"type": "status", "messages": ["停止中"]}]})
    responses.get(PARTNERS, json={"partners": []})
    assert client.partners_search() == []
    assert len(fake_time.slept) == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_5xx_on_get_gives_up_after_three_attempts(client):
    for _ in range(3):
        responses.get(PARTNERS, status=500, json={"status_code": 500, "errors": []})
    with pytest.raises(Transient):
        client.partners_search()


@responses.activate(assert_all_requests_are_fired=True)
def test_a_timed_out_post_is_never_sent_again(client, connection):
    responses.post(INVOICES, body=requests.Timeout("read timed out"))
    with pytest.raises(Transient) as error:
        client.invoice_create(_invoice_body())
    assert error.value.code == "timeout"
    assert len(responses.calls) == 1
    assert ApiCallLog.objects.get(tenant=connection.tenant).status_code is None


@responses.activate(assert_all_requests_are_fired=True)
def test_a_5xx_post_is_never_sent_again(client):
    responses.post(INVOICES, status=500, json={"status_code": 500, "errors": []})
    with pytest.raises(Transient):
        client.invoice_create(_invoice_body())
    assert len(responses.calls) == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_malformed_json_is_logged_as_failed_and_is_no_success(client, connection):
    for _ in range(3):
        responses.get(PARTNERS, body="<html>maintenance</html>", status=200)
    with pytest.raises(MalformedResponse):
        client.partners_search()
    logs = ApiCallLog.objects.filter(tenant=connection.tenant)
    assert [(log.status_code, log.error_message) for log in logs] == [
        (200, "freeeの応答を読み取れませんでした（JSONではありません）。")] * 3
    connection.refresh_from_db()
    assert connection.last_success_at is None


@responses.activate(assert_all_requests_are_fired=True)
def test_a_body_of_the_wrong_shape_is_logged_as_that_calls_error_and_is_no_success(client, connection):
    responses.get(PARTNERS, json={"partners": [{"id": "not-a-number"}]}, headers={"X-Freee-Request-ID": "req-9"})
    with pytest.raises(MalformedResponse) as error:
        client.partners_search()
    assert (error.value.status, error.value.request_id) == (200, "req-9")
    log = ApiCallLog.objects.get(tenant=connection.tenant)  # asked once: the same body would break again
    assert (log.method, log.path, log.status_code, log.request_id) == ("GET", "/api/1/partners", 200, "req-9")
    assert log.error_message.startswith("freee response does not match PartnersResponse: partners.0.id")
    assert "not-a-number" not in log.error_message
    connection.refresh_from_db()
    assert connection.last_success_at is None


@responses.activate(assert_all_requests_are_fired=True)
def test_the_resend_after_a_refresh_spends_budget_like_any_call(client, connection, fake_time):
    fake_time.now = 1_800_000_000.0 + 15  # mid-minute
    limiter = RateLimiter(connection_id=connection.pk, family=Family.INVOICE, daily_cap=connection.daily_cap,
                          clock=fake_time.clock)
    for _ in range(29):
        assert limiter.reserve() == 0
    responses.get(INVOICES, status=401, json=EXPIRED)  # the 30th call of the minute
    responses.post(TOKEN_URL, json=token_body(2))
    responses.get(INVOICES, json={"invoices": []},  # the 31st: it waits for the next minute
                  match=[matchers.header_matcher({"Authorization": "Bearer access-2"})])
    assert client.invoices_list() == []
    assert fake_time.slept == [pytest.approx(45.0)]


@responses.activate(assert_all_requests_are_fired=True)
def test_connection_errors_are_transient(client):
    for _ in range(3):
        responses.get(PARTNERS, body=requests.ConnectionError("refused"))
    with pytest.raises(Transient) as error:
        client.partners_search()
    assert error.value.code == "connection"


@responses.activate(assert_all_requests_are_fired=True)
def test_the_31st_invoice_call_in_a_minute_waits_rather_than_fails(client, fake_time):
    responses.get(INVOICES, json={"invoices": []})
    fake_time.now = 1_800_000_000.0 + 15  # mid-minute
    for _ in range(31):
        assert client.invoices_list() == []
    assert len(responses.calls) == 31
    assert fake_time.slept == [pytest.approx(45.0)]


@responses.activate(assert_all_requests_are_fired=True)
def test_over_budget_without_time_to_wait_is_rate_limited_with_retry_after(connection, fake_time):
    client = FreeeClient(connection, sleep=fake_time.sleep, clock=fake_time.clock, max_wait=5)
    responses.get(INVOICES, json={"invoices": []})
    for _ in range(30):
        client.invoices_list()
    with pytest.raises(RateLimited) as error:
        client.invoices_list()
    assert error.value.retry_after > 5


@pytest.mark.parametrize(("limit", "offset"), [(100, 9901), (20, 9981), (1, 10_000)])
def test_an_invoice_page_past_10000_rows_is_refused_before_anything_is_sent(client, limit, offset):
    # any request would fail: none is registered
    with responses.RequestsMock(), pytest.raises(ValueError, match="limit \\+ offset"):
        client.invoices_list(limit=limit, offset=offset)


@responses.activate(assert_all_requests_are_fired=True)
def test_the_last_invoice_page_under_the_cap_is_sent(client):
    responses.get(INVOICES, json={"invoices": []},
                  match=[matchers.query_param_matcher({"company_id": "10000001", "limit": "100", "offset": "9900"})])
    assert client.invoices_list(limit=100, offset=9900) == []
