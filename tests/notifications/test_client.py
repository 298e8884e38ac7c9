"""LineWorksClient and the service-account auth with `responses`: JWT grant, rotation, 401, 429, 5xx,
timeout, malformed token answers; and the sandbox token endpoint's JWT check."""

from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from integrations.lineworks import auth
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import AuthFailed, Permanent, RateLimited, Transient
from integrations.lineworks.schemas import TextContent
from integrations.models import ApiCallLog
from integrations.sandbox.lineworks import sandbox_lineworks_domain_create
from tests.notifications.factories import make_link, private_key_pem

pytestmark = pytest.mark.django_db

AUTH = "https://auth.test"
API = "https://api.test/v1.0"
TOKEN = {"access_token": "at-1", "refresh_token": "rt-1", "scope": "bot", "token_type": "Bearer",
         "expires_in": "86400"}


@pytest.fixture
def link(world_a, settings):
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = AUTH, API
    return make_link(world_a.tenant)


def send_url(link, user="u1"):
    return f"{API}/bots/{link.bot_id}/users/{user}/messages"


@responses.activate(assert_all_requests_are_fired=True)
def test_jwt_grant_is_rs256_with_the_service_account_claims(link):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.post(send_url(link), status=201)
    LineWorksClient(link).send_to_user("u1", TextContent(text="こんにちは"))
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"] and form["scope"] == ["bot user.profile.read"]
    public = load_pem_private_key(private_key_pem().encode(), None).public_key()
    claims = jwt.decode(form["assertion"][0], public, algorithms=["RS256"])
    assert claims["iss"] == link.client_id and claims["sub"] == link.service_account
    assert claims["exp"] - claims["iat"] == 3600
    assert responses.calls[1].request.headers["Authorization"] == "Bearer at-1"
    assert responses.calls[1].request.body == b'{"content": {"type": "text", "text": "\\u3053\\u3093\\u306b\\u3061\\u306f"}}'
    link.refresh_from_db()
    assert link.access_token == "at-1" and link.refresh_token == "rt-1"


@responses.activate(assert_all_requests_are_fired=True)
def test_401_refreshes_once_and_saves_the_rotated_refresh_token(link):
    link.access_token, link.refresh_token = "old", "rt-0"
    link.access_expires_at = link.created_at.replace(year=2099)
    link.save()
    responses.post(send_url(link), status=401, json={"code": "UNAUTHORIZED", "description": "Authentication failed"})
    responses.post(AUTH + "/oauth2/v2.0/token", json={**TOKEN, "access_token": "at-2", "refresh_token": "rt-2"})
    responses.post(send_url(link), status=201)
    LineWorksClient(link).send_to_user("u1", TextContent(text="x"))
    assert parse_qs(responses.calls[1].request.body)["grant_type"] == ["refresh_token"]
    link.refresh_from_db()
    assert link.access_token == "at-2" and link.refresh_token == "rt-2"


@responses.activate
def test_a_refused_refresh_falls_back_to_a_new_jwt_grant(link):
    link.refresh_token = "expired"
    link.save()
    responses.post(AUTH + "/oauth2/v2.0/token", status=400, json={"error": "invalid_grant"})
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    assert auth.access_token_for(link) == "at-1"
    assert parse_qs(responses.calls[1].request.body)["grant_type"][0].endswith("jwt-bearer")


@responses.activate
def test_bad_credentials_are_auth_failed(link):
    responses.post(AUTH + "/oauth2/v2.0/token", status=401,
                   json={"error": "invalid_client", "error_description": "有効ではないクライアント情報です"})
    with pytest.raises(AuthFailed) as error:
        auth.request_token(link)
    assert "有効ではないクライアント情報です" in error.value.detail


@responses.activate
def test_a_malformed_token_answer_is_transient(link):
    responses.post(AUTH + "/oauth2/v2.0/token", body="<html>")
    with pytest.raises(Transient):
        auth.request_token(link)


@pytest.mark.parametrize(("status", "headers", "error_class"), [
    (429, {"rateLimit-reset": "37", "rateLimit-remaining": "0"}, RateLimited),
    (500, {}, Transient), (503, {}, Transient), (404, {}, Permanent), (400, {}, Permanent),
])
@responses.activate
def test_answers_map_to_error_classes(link, status, headers, error_class):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.post(send_url(link), status=status, headers=headers, json={"code": "X", "description": "d"})
    with pytest.raises(error_class) as error:
        LineWorksClient(link).send_to_user("u1", TextContent(text="x"))
    if status == 429:
        assert error.value.retry_after == 37
        # The shared budget is now blocked for everyone until the reset.
        assert LineWorksClient(link).limiter.reserve() > 30


@responses.activate
def test_a_timeout_is_transient_and_not_resent(link):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.post(send_url(link), body=requests.Timeout())
    with pytest.raises(Transient):
        LineWorksClient(link).send_to_user("u1", TextContent(text="x"))
    assert len([c for c in responses.calls if "/messages" in c.request.url]) == 1


# ---------------------------------------------------------------- GET /users/{userId}

USER = {"domainId": 40000001, "userId": "userf7da-f82c-4284-13e7-030f3b4c756x", "userExternalKey": None,
        "email": "taro@example.com", "userName": {"lastName": "山田", "firstName": "太郎"}, "organizations": []}


def user_url(value="taro@example.com"):
    from urllib.parse import quote
    return f"{API}/users/{quote(value, safe='')}"


@responses.activate(assert_all_requests_are_fired=True)
def test_user_get_resolves_a_login_id_to_the_user_id(link):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.get(user_url(), json=USER, headers={"rateLimit-remaining": "200"})
    found = LineWorksClient(link).user_get(" taro@example.com ")
    assert found.user_id == USER["userId"] and found.display_name == "山田 太郎" and found.email == USER["email"]
    call = responses.calls[1].request
    assert call.method == "GET" and call.url.endswith("/users/taro%40example.com")
    assert call.headers["Authorization"] == "Bearer at-1"
    log = ApiCallLog.objects.get(vendor="lineworks", family="users")
    assert log.method == "GET" and log.status_code == 200 and log.path == "/users/taro%40example.com"


@responses.activate(assert_all_requests_are_fired=True)
def test_user_get_of_an_unknown_user_is_permanent_404_and_logged(link):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.get(user_url("nobody@example.com"), status=404,
                  json={"code": "NOT_FOUND", "description": "User not found"})
    with pytest.raises(Permanent) as error:
        LineWorksClient(link).user_get("nobody@example.com")
    assert error.value.status == 404 and error.value.code == "NOT_FOUND"
    log = ApiCallLog.objects.get(family="users")
    assert log.status_code == 404 and "NOT_FOUND" in log.error_message


@responses.activate(assert_all_requests_are_fired=True)
def test_user_get_401_refreshes_the_token_once(link):
    link.access_token, link.refresh_token = "old", "rt-0"
    link.access_expires_at = link.created_at.replace(year=2099)
    link.save()
    responses.get(user_url(), status=401, json={"code": "UNAUTHORIZED", "description": "Authentication failed"})
    responses.post(AUTH + "/oauth2/v2.0/token", json={**TOKEN, "access_token": "at-2", "refresh_token": "rt-2"})
    responses.get(user_url(), json=USER)
    assert LineWorksClient(link).user_get("taro@example.com").user_id == USER["userId"]
    assert responses.calls[2].request.headers["Authorization"] == "Bearer at-2"


@pytest.mark.parametrize(("status", "headers", "error_class"), [
    (429, {"rateLimit-reset": "41", "rateLimit-remaining": "0"}, RateLimited),
    (500, {}, Transient), (503, {}, Transient), (403, {}, Permanent),
])
@responses.activate
def test_user_get_answers_map_to_error_classes(link, status, headers, error_class):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.get(user_url(), status=status, headers=headers, json={"code": "X", "description": "d"})
    with pytest.raises(error_class) as error:
        LineWorksClient(link).user_get("taro@example.com")
    assert error.value.status == status
    if status == 429:
        assert error.value.retry_after == 41


@responses.activate
def test_user_get_timeout_and_malformed_answers_are_transient(link):
    responses.post(AUTH + "/oauth2/v2.0/token", json=TOKEN)
    responses.get(user_url(), body=requests.Timeout())
    with pytest.raises(Transient) as error:
        LineWorksClient(link).user_get("taro@example.com")
    assert error.value.code == "timeout"
    assert ApiCallLog.objects.get(family="users").status_code is None
    responses.replace(responses.GET, user_url(), body="<html>")
    with pytest.raises(Transient) as error:
        LineWorksClient(link).user_get("taro@example.com")
    assert error.value.code == "malformed"
    responses.replace(responses.GET, user_url(), json={"email": "taro@example.com"})  # no userId
    with pytest.raises(Transient):
        LineWorksClient(link).user_get("taro@example.com")


def test_the_sandbox_user_endpoint_answers_lineworks_shape_and_404(client, world_a):
    from urllib.parse import quote, urlencode
    domain = sandbox_lineworks_domain_create(tenant=world_a.tenant, name="Dir", users=2)
    token = client.post("/sandbox/lineworks/auth/oauth2/v2.0/token", urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": domain.client_id,
        "client_secret": domain.client_secret, "scope": "bot user.profile.read",
        "assertion": auth.assertion(client_id=domain.client_id, service_account=domain.service_account,
                                    private_key=domain.private_key)}),
        content_type="application/x-www-form-urlencoded").json()["access_token"]
    user = domain.users.order_by("id")[1]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    by_login = client.get(f"/sandbox/lineworks/v1.0/users/{quote(user.login_id, safe='')}", **bearer)
    assert by_login.status_code == 200 and by_login["rateLimit-limit"] == "240"
    body = by_login.json()
    assert body["userId"] == user.user_id and body["email"] == user.login_id
    assert body["userName"] == {"lastName": "佐藤", "firstName": "花子", "phoneticLastName": "", "phoneticFirstName": ""}
    assert body["domainId"] == domain.domain_id
    assert client.get(f"/sandbox/lineworks/v1.0/users/{user.user_id}", **bearer).json()["userId"] == user.user_id
    missing = client.get("/sandbox/lineworks/v1.0/users/nobody%40example.com", **bearer)
    assert missing.status_code == 404 and missing.json() == {"code": "NOT_FOUND", "description": "User not found"}
    assert client.get(f"/sandbox/lineworks/v1.0/users/{user.user_id}").status_code == 401
    other = sandbox_lineworks_domain_create(tenant=world_a.tenant, name="Other", users=1)
    assert client.get(f"/sandbox/lineworks/v1.0/users/{other.users.get().user_id}", **bearer).status_code == 404


def test_the_sandbox_token_endpoint_checks_the_jwt_signature(client, world_a):
    domain = sandbox_lineworks_domain_create(tenant=world_a.tenant, name="JWT", users=0)
    url = "/sandbox/lineworks/auth/oauth2/v2.0/token"
    base = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": domain.client_id,
            "client_secret": domain.client_secret, "scope": "bot"}
    good = auth.assertion(client_id=domain.client_id, service_account=domain.service_account,
                          private_key=domain.private_key)
    forged = auth.assertion(client_id=domain.client_id, service_account=domain.service_account,
                            private_key=private_key_pem())
    wrong_sub = auth.assertion(client_id=domain.client_id, service_account="x", private_key=domain.private_key)
    form = "application/x-www-form-urlencoded"
    from urllib.parse import urlencode
    ok = client.post(url, urlencode({**base, "assertion": good}), content_type=form)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == "86400"
    assert client.post(url, urlencode({**base, "assertion": forged}), content_type=form).status_code == 400
    assert client.post(url, urlencode({**base, "assertion": wrong_sub}), content_type=form).status_code == 400
    bad_secret = client.post(url, urlencode({**base, "client_secret": "x", "assertion": good}), content_type=form)
    assert bad_secret.status_code == 401
    refresh = {"grant_type": "refresh_token", "client_id": domain.client_id, "client_secret": domain.client_secret,
               "refresh_token": ok.json()["refresh_token"]}
    rotated = client.post(url, urlencode(refresh), content_type=form)
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != refresh["refresh_token"]
    assert client.post(url, urlencode(refresh), content_type=form).status_code == 400  # spent


def test_the_sandbox_counts_calls_with_lineworks_headers(client, world_a):
    domain = sandbox_lineworks_domain_create(tenant=world_a.tenant, name="RL", users=1, rate_limit_per_minute=60)
    from urllib.parse import urlencode
    token = client.post("/sandbox/lineworks/auth/oauth2/v2.0/token", urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": domain.client_id,
        "client_secret": domain.client_secret,
        "assertion": auth.assertion(client_id=domain.client_id, service_account=domain.service_account,
                                    private_key=domain.private_key)}),
        content_type="application/x-www-form-urlencoded").json()["access_token"]
    user = domain.users.get()
    url = f"/sandbox/lineworks/v1.0/bots/{domain.bot_id}/users/{user.user_id}/messages"
    body = {"content": {"type": "text", "text": "hi"}}
    first = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert first.status_code == 201 and first["rateLimit-limit"] == "60" and first["rateLimit-remaining"] == "59"
    bad = client.post(url, {"content": {"type": "button_template", "contentText": "x", "actions": [
        {"type": "postback", "label": "a", "data": "b"}]}}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PARAMETER"
    assert client.post(url, body, content_type="application/json").status_code == 401
    assert user.messages.count() == 1
