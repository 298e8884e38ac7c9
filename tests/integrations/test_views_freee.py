"""管理者設定 > 外部サービス連携 > 会計freee, with freee's token endpoint answered by `responses`."""

from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.timezone import localtime

from integrations.freee import tokens
from integrations.models import ApiCallLog, FreeeConnection, IntegrationEvent
from tests.freee import bodies
from tests.integrations.conftest import TOKEN_URL, token_body

SETTINGS_URL = reverse("integrations:freee_settings")
COMPANY = bodies.company(id=10000001, name="サンドボックス株式会社", display_name="サンドボックス株式会社")


@pytest.fixture
def admin(world_a, freee_settings):
    return world_a.client("admin")


def _save_credentials(admin):
    return admin.post(SETTINGS_URL, {"client_id": "cid", "client_secret": "csecret", "invoice_numbering": "auto",
                                     "daily_cap": "3000"})


def test_members_get_403(world_a):
    assert world_a.client("member").get(SETTINGS_URL).status_code == 403


def test_the_screen_lists_the_required_permissions_and_member_check(admin):
    page = admin.get(SETTINGS_URL).content.decode()
    assert "[freee請求書] 見積書・請求書・納品書の参照、更新" in page and "freee請求書のメンバー" in page
    assert "未接続" in page


def test_saving_credentials_never_shows_the_secret_back(admin, world_a):
    assert _save_credentials(admin).status_code == 302
    connection = FreeeConnection.objects.get(tenant=world_a.tenant)
    assert connection.client_secret == "csecret"
    page = admin.get(SETTINGS_URL).content.decode()
    assert "csecret" not in page and "設定済み" in page


def test_a_blank_secret_keeps_the_stored_one(admin, world_a):
    _save_credentials(admin)
    admin.post(SETTINGS_URL, {"client_id": "cid", "client_secret": "", "invoice_numbering": "manual",
                              "daily_cap": "5000"})
    connection = FreeeConnection.objects.get(tenant=world_a.tenant)
    assert (connection.client_secret, connection.invoice_numbering, connection.daily_cap) == ("csecret", "manual", 5000)


def test_redirect_flow_sends_state_and_select_company(admin, world_a):
    _save_credentials(admin)
    response = admin.post(reverse("integrations:freee_connect"))
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["prompt"] == ["select_company"] and query["client_id"] == ["cid"]
    assert query["state"] == [FreeeConnection.objects.get(tenant=world_a.tenant).oauth_state]
    assert query["redirect_uri"][0].endswith("/integrations/freee/callback/")


@responses.activate(assert_all_requests_are_fired=True)
def test_callback_with_the_right_state_connects_and_shows_the_company(admin, world_a):
    _save_credentials(admin)
    admin.post(reverse("integrations:freee_connect"))
    state = FreeeConnection.objects.get(tenant=world_a.tenant).oauth_state
    responses.post(TOKEN_URL, json=token_body(1))
    responses.get("https://api.freee.co.jp/api/1/companies/10000001", json=COMPANY)
    response = admin.get(reverse("integrations:freee_callback"), {"code": "abc", "state": state}, follow=True)
    page = response.content.decode()
    assert "freeeと接続しました" in page and "サンドボックス株式会社" in page and "10000001" in page
    connection = FreeeConnection.objects.get(tenant=world_a.tenant)
    assert connection.is_connected and connection.oauth_state == ""


def test_callback_with_a_wrong_state_is_refused_and_nothing_is_sent(admin, world_a):
    _save_credentials(admin)
    admin.post(reverse("integrations:freee_connect"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        page = admin.get(reverse("integrations:freee_callback"), {"code": "abc", "state": "forged"},
                         follow=True).content.decode()
        assert len(mock.calls) == 0
    assert "stateが一致しない" in page
    assert not FreeeConnection.objects.get(tenant=world_a.tenant).is_connected


@responses.activate(assert_all_requests_are_fired=True)
def test_pasted_code_uses_the_oob_redirect_uri(admin, world_a):
    _save_credentials(admin)
    call = responses.post(TOKEN_URL, json=token_body(1))
    responses.get("https://api.freee.co.jp/api/1/companies/10000001", json=COMPANY)
    admin.post(reverse("integrations:freee_paste_code"), {"code": " pasted-code "})
    assert "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in call.calls[0].request.body
    assert "code=pasted-code" in call.calls[0].request.body
    assert FreeeConnection.objects.get(tenant=world_a.tenant).is_connected


PERMISSIONS_HINT = ("freeeのアプリ設定で次の権限が有効か確認してください: [会計] 勘定科目の参照、[会計] 事業所の参照、"
                    "[会計] 見積書・納品書・請求書・領収書・発注書の参照、更新、[会計] 取引先の参照、更新、"
                    "[freee請求書] 見積書・請求書・納品書の参照、更新")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_wrong_or_expired_code_says_to_fetch_a_new_one_and_which_permissions_to_check(admin, world_a):
    _save_credentials(admin)
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_grant", "error_description": "期限切れ"})
    page = admin.post(reverse("integrations:freee_paste_code"), {"code": "old"}, follow=True).content.decode()
    expected = ("認可コードが無効か、有効期限（10分）が切れています。新しい認可コードを取得して、もう一度接続してください。"
                + PERMISSIONS_HINT)
    assert expected in page
    assert FreeeConnection.objects.get(tenant=world_a.tenant).last_error == expected


@pytest.mark.parametrize("error", ["invalid_client", "unauthorized_client"])
@responses.activate(assert_all_requests_are_fired=True)
def test_a_wrong_id_or_secret_explains_which_permissions_to_check(admin, world_a, error):
    _save_credentials(admin)
    responses.post(TOKEN_URL, status=401, json={"error": error, "error_description": "bad client"})
    page = admin.post(reverse("integrations:freee_paste_code"), {"code": "x"}, follow=True).content.decode()
    assert ("Client ID または Client Secret が正しくありません。freeeのアプリ設定の値を確認してください。"
            + PERMISSIONS_HINT) in page


def test_connecting_without_credentials_says_what_to_do_first(admin):
    page = admin.post(reverse("integrations:freee_connect"), follow=True).content.decode()
    assert "先に Client ID と Client Secret を登録してください" in page


def test_needs_reauth_state_shows_a_reconnect_button_and_the_notice(admin, connection, world_b):
    tokens.connection_mark_needs_reauth(connection=connection, reason="invalid_grant")
    IntegrationEvent.objects.create(tenant=world_b.tenant, kind=IntegrationEvent.Kind.FREEE_REAUTH_REQUIRED,
                                    message="他社のお知らせ")
    event = IntegrationEvent.objects.get(tenant=connection.tenant)
    page = admin.get(SETTINGS_URL).content.decode()
    assert "再接続が必要です" in page and "freeeに再接続" in page
    notices = page.split("<h3>お知らせ</h3>", 1)[1].split("</ul>", 1)[0]
    shown = f"{localtime(event.created_at):%Y/%m/%d %H:%M} freeeの再接続が必要です: {escape(tokens.REAUTH_MESSAGE)}"
    assert f"<li>{shown}</li>" in notices
    assert "他社のお知らせ" not in page


def test_disconnect_asks_first_then_deletes_the_tokens(admin, connection):
    url = reverse("integrations:freee_disconnect")
    assert "トークンを削除しますか" in admin.get(url).content.decode()
    assert FreeeConnection.objects.get(pk=connection.pk).access_token == "access-1"
    admin.post(url)
    connection.refresh_from_db()
    assert (connection.access_token, connection.refresh_token, connection.status) == ("", "", "not_connected")
    assert connection.client_id == "cid"


def test_the_api_call_log_shows_only_this_tenants_calls(admin, world_a, world_b):
    ApiCallLog.objects.create(tenant=world_a.tenant, family="accounting", method="GET", path="/api/1/partners",
                              status_code=200, request_id="mine")
    ApiCallLog.objects.create(tenant=world_b.tenant, family="accounting", method="GET", path="/api/1/deals",
                              status_code=500, request_id="theirs")
    page = admin.get(reverse("integrations:api_call_log")).content.decode()
    assert "mine" in page and "theirs" not in page
    assert "mine" not in admin.get(reverse("integrations:api_call_log"), {"result": "error"}).content.decode()


def test_deal_type_links_are_chosen_by_admins(admin, world_a):
    from deals.models import DealType

    page = admin.get(reverse("deals:type_list"), {"partial": "1"}).content.decode()
    standard = DealType.objects.get(tenant=world_a.tenant, name="標準")
    assert str(standard.public_id) in page
    admin.post(reverse("deals:type_list"), {"linked": [str(standard.public_id)]})
    standard.refresh_from_db()
    assert standard.linked_to_freee
    assert world_a.client("member").get(reverse("deals:type_list")).status_code == 403


@responses.activate(assert_all_requests_are_fired=True)
def test_the_connection_check_reports_a_missing_freee_invoice_membership(admin, connection):
    responses.get("https://api.freee.co.jp/api/1/companies/10000001", json=COMPANY)
    responses.get("https://api.freee.co.jp/iv/invoices/templates", status=403, json={
        "status_code": 403, "errors": [{"type": "forbidden", "messages": ["freee請求書の利用権限がありません。"]}]})
    page = admin.post(reverse("integrations:freee_check"), follow=True).content.decode()
    assert "freee請求書のメンバーに含まれていない" in page


@responses.activate(assert_all_requests_are_fired=True)
def test_the_connection_check_confirms_both_apis(admin, connection):
    responses.get("https://api.freee.co.jp/api/1/companies/10000001", json=COMPANY)
    responses.get("https://api.freee.co.jp/iv/invoices/templates", json={"templates": [{"id": 1, "name": "標準"}]})
    page = admin.post(reverse("integrations:freee_check"), follow=True).content.decode()
    assert "両方に接続できることを確認しました" in page


def test_checking_without_a_connection_says_to_connect_first(admin):
    page = admin.post(reverse("integrations:freee_check"), follow=True).content.decode()
    assert "先に接続してください" in page


def _callback(admin, **params):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        page = admin.get(reverse("integrations:freee_callback"), {"code": "abc", **params}, follow=True)
        return page.content.decode(), len(mock.calls)


@pytest.mark.parametrize("case", ["missing", "empty", "expired", "other_tenants", "before_connect_started"])
def test_the_callback_refuses_every_state_but_the_one_just_issued(case, admin, world_a, world_b):
    _save_credentials(admin)
    if case != "before_connect_started":
        admin.post(reverse("integrations:freee_connect"))
    connection = FreeeConnection.objects.get(tenant=world_a.tenant)
    params = {"state": connection.oauth_state}
    if case == "missing":
        params = {}
    elif case == "empty":
        params = {"state": ""}
    elif case == "expired":
        FreeeConnection.objects.filter(pk=connection.pk).update(oauth_state_expires_at=timezone.now())
    elif case == "other_tenants":
        world_b.client("admin").post(SETTINGS_URL, {"client_id": "cid", "client_secret": "csecret",
                                                    "invoice_numbering": "auto", "daily_cap": "3000"})
        world_b.client("admin").post(reverse("integrations:freee_connect"))
        params = {"state": FreeeConnection.objects.get(tenant=world_b.tenant).oauth_state}
    page, calls = _callback(admin, **params)
    assert calls == 0 and "stateが一致しない" in page
    assert not FreeeConnection.objects.get(tenant=world_a.tenant).is_connected


@responses.activate(assert_all_requests_are_fired=True)
def test_a_used_state_cannot_be_replayed(admin, world_a):
    _save_credentials(admin)
    admin.post(reverse("integrations:freee_connect"))
    state = FreeeConnection.objects.get(tenant=world_a.tenant).oauth_state
    responses.post(TOKEN_URL, json=token_body(1))
    responses.get("https://api.freee.co.jp/api/1/companies/10000001", json=COMPANY)
    admin.get(reverse("integrations:freee_callback"), {"code": "abc", "state": state})
    responses.reset()
    page, calls = _callback(admin, state=state)
    assert calls == 0 and "stateが一致しない" in page


# ----------------------------------------------------------------- issue 14 item 5: a different Client ID disconnects


def _connected(world_a) -> FreeeConnection:
    connection, _created = FreeeConnection.objects.update_or_create(tenant=world_a.tenant, defaults=dict(
        client_id="cid", client_secret="csecret", company_id=10000001, company_name="接続中株式会社",
        access_token="at", refresh_token="rt", status=FreeeConnection.Status.CONNECTED))
    return connection


def _settings_post(admin, client_id, **extra):
    return admin.post(SETTINGS_URL, {"client_id": client_id, "client_secret": "", "invoice_numbering": "auto",
                                     "daily_cap": "3000", **extra}, follow=True)


def test_a_different_client_id_asks_first_and_saves_nothing(admin, world_a):
    connection = _connected(world_a)
    page = _settings_post(admin, "other-app").content.decode()
    assert "Client IDが変更されています。保存するとfreeeとの接続が解除されます。" in page
    assert 'name="confirm_client_change" value="1"' in page and "変更して接続を解除" in page
    connection.refresh_from_db()
    assert connection.client_id == "cid" and connection.is_connected


def test_confirming_the_change_says_a_reconnect_is_needed_and_audits_the_disconnect(admin, world_a):
    from core.models import AuditEntry

    connection = _connected(world_a)
    page = _settings_post(admin, "other-app", confirm_client_change="1").content.decode()
    assert "freeeとの接続を解除しました" in page and "再接続してください" in page
    connection.refresh_from_db()
    assert connection.client_id == "other-app" and not connection.is_connected and connection.access_token == ""
    entry = AuditEntry.objects.get(tenant=world_a.tenant, action="freee.client_update")
    assert entry.changes["status"] == ["接続済み", "未接続"]


def test_the_same_client_id_saves_without_asking_and_keeps_the_connection(admin, world_a):
    connection = _connected(world_a)
    page = _settings_post(admin, "cid").content.decode()
    assert "freee連携の設定を保存しました。" in page and "接続を解除しました" not in page
    assert "Client IDが変更されています" not in page
    connection.refresh_from_db()
    assert connection.is_connected


def test_the_screen_warns_beforehand_while_connected(admin, world_a):
    assert "保存時にfreeeとの接続が解除され" not in admin.get(SETTINGS_URL).content.decode()
    _connected(world_a)
    assert "保存時にfreeeとの接続が解除され" in admin.get(SETTINGS_URL).content.decode()
