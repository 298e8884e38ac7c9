"""One LINE WORKS is one company (seed 003): the domain id is LINE WORKS's int64, unique across tenants, and
confirmed with LINE WORKS itself (a token from the credentials, then the bot's domains) at 接続テスト and
before a link is saved."""

import json

import pytest
import responses
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from integrations.lineworks.auth import callback_signature
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import Permanent, Transient
from integrations.lineworks.schemas import domain_id_parse
from integrations.models import ApiCallLog, LineWorksLink
from integrations.sandbox.lineworks import sandbox_lineworks_faults_set
from notifications import bot, outbox, services
from notifications.errors import DOMAIN_INVALID, DOMAIN_TAKEN
from tests.notifications.factories import emit_event, make_link, make_user_link, private_key_pem, sandbox_form

pytestmark = pytest.mark.django_db

CREATE = reverse("notifications:link_create")


def page_of(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- one normalised domain id


@pytest.mark.parametrize("typed", ["040000001", " 40000001 ", "４００００００１", "0000040000001"])
def test_a_leading_zero_or_full_width_digits_are_the_same_lineworks(world_a, world_b, typed):
    make_link(world_a.tenant, domain_id="40000001")
    response = world_b.client("admin").post(CREATE, {**sandbox_form_stub(), "domain_id": typed})
    assert response.status_code == 400 and str(DOMAIN_TAKEN % {"domain": 40000001}) in page_of(response)
    assert not LineWorksLink.objects.filter(tenant=world_b.tenant).exists()
    with pytest.raises(ApplicationError) as refused:
        services.lineworks_link_save(tenant=world_b.tenant, **{**sandbox_form_stub(), "domain_id": typed})
    assert refused.value.code == "domain_taken" and refused.value.details == {"field": "domain_id"}


def test_the_database_holds_one_row_per_domain_whatever_was_typed(world_a, world_b):
    make_link(world_a.tenant, domain_id="40000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_link(world_b.tenant, domain_id="040000001", bot_id="2000002")
    assert LineWorksLink.objects.get().domain_id == 40000001


def test_the_database_refuses_a_domain_id_that_is_not_positive(world_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_link(world_a.tenant, domain_id=0)


@pytest.mark.parametrize("typed", ["4000abc", "-40000001", "4.0", "", "9" * 20, "40000001\u0663"])
def test_a_domain_id_that_is_not_one_is_a_japanese_form_error(world_a, typed):
    response = world_a.client("admin").post(CREATE, {**sandbox_form_stub(), "domain_id": typed})
    assert response.status_code == 400
    assert not LineWorksLink.objects.exists()
    if typed:
        assert str(DOMAIN_INVALID) in page_of(response)


def test_domain_ids_parse_to_lineworks_int64():
    assert domain_id_parse("040000001") == domain_id_parse("４００００００１") == domain_id_parse(40000001) == 40000001
    for bad in ("", "abc", "0", "-1", str(2**63), True, "٤٠٠"):
        with pytest.raises(ValueError):
            domain_id_parse(bad)


def sandbox_form_stub() -> dict:
    """Form values that never reach LINE WORKS: the domain check refuses them first."""
    return {
        "name": "本社",
        "domain_id": "40000001",
        "client_id": "cid",
        "client_secret": "client-secret-value",
        "service_account": "sa@example.works",
        "private_key": private_key_pem(),
        "bot_id": "2000001",
        "bot_secret": "bot-secret-value",
        "rate_limit_per_minute": "240",
    }


# ---------------------------------------------------------------- confirmed with LINE WORKS before saving


def test_saving_asks_lineworks_and_keeps_the_confirmed_domain_and_token(lw_live, world_a):
    domain = lw_live(world_a.tenant)
    response = world_a.client("admin").post(CREATE, sandbox_form(domain, domain_id="0" + str(domain.domain_id)))
    assert response.status_code == 302, page_of(response)[:2000]
    link = LineWorksLink.objects.get()
    assert link.domain_id == domain.domain_id and link.domain_verified_at is not None and link.access_token
    paths = list(ApiCallLog.objects.filter(vendor="lineworks").order_by("id").values_list("path", flat=True))
    assert paths == ["/oauth2/v2.0/token (jwt-bearer)", f"/bots/{domain.bot_id}/domains?count=100"]


def test_the_domain_of_another_lineworks_is_refused_before_saving(lw_live, world_a, world_b):
    """World B has its own LINE WORKS but types world A's domain id (not linked by anyone yet)."""
    theirs = lw_live(world_a.tenant, name="A社のLINE WORKS")
    mine = lw_live(world_b.tenant, name="B社のLINE WORKS")
    response = world_b.client("admin").post(CREATE, sandbox_form(mine, domain_id=str(theirs.domain_id)))
    page = page_of(response)
    assert response.status_code == 400
    assert f"ドメインID {theirs.domain_id} は、入力した認証情報のLINE WORKSのものではありません" in page
    assert f"このBotが登録されているドメインID: {mine.domain_id}" in page
    assert not LineWorksLink.objects.exists()


def test_a_bot_of_another_lineworks_is_an_error_on_the_bot_id(lw_live, world_a):
    mine, other = lw_live(world_a.tenant), lw_live(world_a.tenant, name="別のLINE WORKS")
    response = world_a.client("admin").post(CREATE, sandbox_form(mine, bot_id=other.bot_id))
    assert response.status_code == 400
    assert f"Bot ID {other.bot_id} のBotが、入力した認証情報のLINE WORKSに見つかりません" in page_of(response)
    assert not LineWorksLink.objects.exists()


def test_wrong_credentials_are_refused_before_saving(lw_live, world_a):
    domain = lw_live(world_a.tenant)
    response = world_a.client("admin").post(CREATE, sandbox_form(domain, client_secret="wrong"))
    assert response.status_code == 400 and "LINE WORKSの認証に失敗しました" in page_of(response)
    assert not LineWorksLink.objects.exists()


def test_lineworks_down_means_the_domain_cannot_be_confirmed_and_nothing_is_saved(lw_live, world_a):
    domain = lw_live(world_a.tenant)
    sandbox_lineworks_faults_set(domain, server_error_5xx={"count": 1, "status": 503})
    response = world_a.client("admin").post(CREATE, sandbox_form(domain))
    assert response.status_code == 400 and "ドメインIDを確認できませんでした" in page_of(response)
    assert not LineWorksLink.objects.exists()


def test_renaming_a_confirmed_link_does_not_call_lineworks(world_a, settings):
    link = make_link(world_a.tenant, domain_id="40000001", domain_verified_at=timezone.now())
    with responses.RequestsMock():  # nothing registered: any call would fail the save
        services.lineworks_link_save(
            tenant=world_a.tenant,
            link=link,
            name="改名",
            domain_id="040000001",
            bot_id=link.bot_id,
            client_id=link.client_id,
            service_account=link.service_account,
        )
    link.refresh_from_db()
    assert link.name == "改名" and link.domain_id == 40000001


def test_changing_the_domain_of_a_confirmed_link_asks_lineworks_again(lw_sandbox, world_a):
    link = lw_sandbox.link
    services.lineworks_link_test(link=link)
    with pytest.raises(ApplicationError) as refused:
        services.lineworks_link_save(tenant=world_a.tenant, link=link, domain_id=str(lw_sandbox.domain.domain_id + 1))
    assert refused.value.code == "domain_mismatch"
    link.refresh_from_db()
    assert link.domain_id == lw_sandbox.domain.domain_id


# ---------------------------------------------------------------- 接続テスト


def test_connection_test_refuses_a_domain_the_credentials_do_not_open(lw_live, world_a, world_b):
    theirs, mine = lw_live(world_a.tenant), lw_live(world_b.tenant)
    link = LineWorksLink.objects.create(  # stored before the check existed
        tenant=world_b.tenant,
        domain_id=theirs.domain_id,
        client_id=mine.client_id,
        client_secret=mine.client_secret,
        service_account=mine.service_account,
        private_key=mine.private_key,
        bot_id=mine.bot_id,
        bot_secret=mine.bot_secret,
    )
    page = page_of(world_b.client("admin").post(reverse("notifications:link_test", args=[link.public_id]), follow=True))
    assert "接続テストに失敗しました" in page and "入力した認証情報のLINE WORKSのものではありません" in page
    link.refresh_from_db()
    assert link.domain_verified_at is None and "のものではありません" in link.last_error


def test_connection_test_confirms_the_domain(lw_sandbox, world_a):
    page = page_of(
        world_a.client("admin").post(reverse("notifications:link_test", args=[lw_sandbox.link.public_id]), follow=True)
    )
    assert f"ドメインID {lw_sandbox.domain.domain_id} のBotであることを確認しました" in page
    lw_sandbox.link.refresh_from_db()
    assert lw_sandbox.link.domain_verified_at is not None and lw_sandbox.link.last_error == ""


# ---------------------------------------------------------------- the client and the sandbox endpoint


@pytest.fixture
def fake_link(world_a, settings):
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = "https://auth.test", "https://api.test/v1.0"
    link = make_link(world_a.tenant)
    link.access_token, link.access_expires_at = "at", timezone.now() + timezone.timedelta(hours=1)
    link.save()
    return link


@responses.activate(assert_all_requests_are_fired=True)
def test_bot_domains_follows_the_cursor(fake_link):
    url = f"https://api.test/v1.0/bots/{fake_link.bot_id}/domains"
    responses.get(
        url + "?count=100",
        json={"domains": [{"domainId": 1, "visible": True}], "responseMetaData": {"nextCursor": "c/2"}},
        match=[responses.matchers.query_string_matcher("count=100")],
    )
    responses.get(
        url,
        json={"domains": [{"domainId": 2}], "responseMetaData": {"nextCursor": None}},
        match=[responses.matchers.query_string_matcher("count=100&cursor=c%2F2")],
    )
    assert LineWorksClient(fake_link).bot_domains() == [1, 2]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [(404, {"code": "NOT_FOUND"}, Permanent), (200, {"domains": "x"}, Transient), (503, {}, Transient)],
)
@responses.activate
def test_bot_domains_errors(fake_link, status, body, error):
    responses.get(f"https://api.test/v1.0/bots/{fake_link.bot_id}/domains", status=status, json=body)
    with pytest.raises(error):
        LineWorksClient(fake_link).bot_domains()


def test_the_sandbox_bot_domains_answer_lineworks_shape(lw_sandbox, client):
    assert LineWorksClient(lw_sandbox.link).bot_domains() == [lw_sandbox.domain.domain_id]  # gets a token too
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {lw_sandbox.link.access_token}"}
    url = f"/sandbox/lineworks/v1.0/bots/{lw_sandbox.domain.bot_id}/domains"
    body = client.get(url + "?count=100", **bearer).json()
    assert body == {
        "domains": [{"domainId": lw_sandbox.domain.domain_id, "visible": True, "allowToSelectedMember": False}],
        "responseMetaData": {"nextCursor": None},
    }
    assert client.get(url + "?count=101", **bearer).status_code == 400
    assert client.get(url).status_code == 401
    other = client.get("/sandbox/lineworks/v1.0/bots/1234567/domains", **bearer)
    assert other.status_code == 404 and other.json()["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- a link the migration stopped


def test_a_stopped_link_gets_no_callbacks_and_sends_nothing(world_a):
    link = make_link(world_a.tenant, domain_id=None, bot_secret="bot-secret")
    make_user_link(link, world_a.member, "lw-member")
    body = b'{"type":"message"}'
    assert bot.callback_verify(bot_id=link.bot_id, signature=callback_signature(body, "bot-secret"), body=body) is None
    assert outbox.recipients_for(emit_event(world_a.tenant, [world_a.member])) == []
    page = page_of(world_a.client("admin").get(reverse("notifications:link_list")))
    assert "（停止中）" in page


def _event(domain_id) -> bytes:
    source = {"userId": "lw-user"} if domain_id is None else {"userId": "lw-user", "domainId": domain_id}
    return json.dumps({"type": "message", "source": source, "content": {"type": "text", "text": "ID連携"}}).encode()


def test_a_callback_reaches_the_tenant_of_its_own_domain_when_a_bot_serves_two(world_a, world_b):
    """A bot registered in two domains, each domain linked to its own tenant (same bot id and secret)."""
    first = make_link(world_a.tenant, domain_id="40000001", bot_id="2000001", bot_secret="shared")
    second = make_link(world_b.tenant, domain_id="40000002", bot_id="2000001", bot_secret="shared")
    for domain, expected in ((40000002, second), (40000001, first), (40000009, None), (None, None)):
        body = _event(domain)
        found = bot.callback_verify(bot_id="2000001", signature=callback_signature(body, "shared"), body=body)
        assert found == expected, domain
    alone = make_link(world_a.tenant, domain_id="40000003", bot_id="2000003", bot_secret="own")
    body = _event(None)  # no domain in the event: an unambiguous bot is enough
    assert bot.callback_verify(bot_id="2000003", signature=callback_signature(body, "own"), body=body) == alone
