"""事業所の連携設定 (admins) and ID連携 (employees): seed 003's rules and its four error messages."""

import pytest
from django.db import connection
from django.urls import reverse

from core.errors import ApplicationError
from integrations.models import LineWorksLink
from integrations.sandbox.lineworks import callback_body, sandbox_lineworks_faults_set
from notifications import bot, services
from notifications.errors import (
    ALREADY_LINKED,
    CAUSE_ACCOUNT_TAKEN,
    CAUSE_OTHER_USER,
    OTHER,
    OTHER_TENANT,
    SUPPORT,
    TOKEN_INVALID,
    USER_NOT_FOUND,
)
from notifications.models import LineWorksUserLink, LinkRequest
from tests.factories import MembershipFactory
from tests.notifications.factories import make_link, make_user_link, private_key_pem, sandbox_form

pytestmark = pytest.mark.django_db

FORM = {"name": "本社", "domain_id": "40000001", "client_id": "cid", "client_secret": "client-secret-value-456",
        "service_account": "sa@example.works", "bot_id": "2000001", "bot_secret": "bot-secret-value-123",
        "rate_limit_per_minute": "240"}


def link_url(token: str) -> str:
    return reverse("notifications:link_confirm") + "?token=" + token


# ---------------------------------------------------------------- tenant link screen

def test_admin_saves_a_link_with_encrypted_secrets(lw_live, world_a):
    domain = lw_live(world_a.tenant)
    response = world_a.client("admin").post(reverse("notifications:link_create"),
                                            sandbox_form(domain, client_secret=domain.client_secret))
    link = LineWorksLink.objects.get()
    assert response.status_code == 302 and link.tenant == world_a.tenant and link.bot_secret == domain.bot_secret
    with connection.cursor() as cursor:
        cursor.execute("select client_secret, private_key, bot_secret from notifications_lineworkslink")
        stored = cursor.fetchone()
    assert domain.client_secret not in stored[0] and "PRIVATE KEY" not in stored[1] and domain.bot_secret not in stored[2]
    page = world_a.client("admin").get(reverse("notifications:link_update", args=[link.public_id])).content.decode()
    assert domain.client_secret not in page and domain.bot_secret not in page
    assert domain.private_key.splitlines()[1] not in page
    assert "設定済み" in page


def test_a_blank_secret_keeps_the_stored_one(lw_sandbox, world_a):
    link = lw_sandbox.link
    response = world_a.client("admin").post(reverse("notifications:link_update", args=[link.public_id]),
                                            sandbox_form(lw_sandbox.domain, client_secret="", bot_secret="",
                                                         private_key="", name="改名"))
    link.refresh_from_db()
    assert response.status_code == 302 and link.name == "改名" and link.client_secret == lw_sandbox.domain.client_secret


def test_a_bad_private_key_is_refused_in_japanese(world_a):
    response = world_a.client("admin").post(reverse("notifications:link_create"), {**FORM, "private_key": "abc"})
    assert response.status_code == 400 and "Private Key を読み込めませんでした" in response.content.decode()


def test_one_domain_links_to_one_tenant_only(world_a, world_b):
    make_link(world_a.tenant, domain_id="40000001")
    response = world_b.client("admin").post(reverse("notifications:link_create"),
                                            {**FORM, "private_key": private_key_pem()})
    assert response.status_code == 400
    assert "既に他の事業所と連携されています" in response.content.decode()
    assert not LineWorksLink.objects.filter(tenant=world_b.tenant).exists()
    with pytest.raises(ApplicationError):
        services.lineworks_link_save(tenant=world_b.tenant, **{**FORM, "private_key": private_key_pem()})


def test_a_tenant_may_link_several_domains(lw_sandbox, lw_live, world_a):
    second = lw_live(world_a.tenant, name="支社LINE WORKS")
    services.lineworks_link_save(tenant=world_a.tenant, **sandbox_form(second))
    assert LineWorksLink.objects.for_tenant(world_a.tenant).count() == 2


def test_unlinking_a_domain_removes_its_employee_links_after_confirmation(world_a):
    link = make_link(world_a.tenant, domain_id="40000001")
    other = make_link(world_a.tenant, domain_id="40000002", bot_id="2000002")
    make_user_link(link, world_a.admin, "lw-admin")
    make_user_link(other, world_a.member, "lw-member")
    client = world_a.client("admin")
    url = reverse("notifications:link_delete", args=[link.public_id])
    confirm = client.get(url).content.decode()
    assert "連携を解除しますか" in confirm and "1 人" in confirm
    assert LineWorksLink.objects.filter(pk=link.pk).exists()
    client.post(url)
    assert not LineWorksLink.objects.filter(pk=link.pk).exists()
    assert list(LineWorksUserLink.objects.values_list("lineworks_user_id", flat=True)) == ["lw-member"]


@pytest.mark.parametrize("name", ["notifications:link_list", "notifications:link_create",
                                  "notifications:delivery_list"])
def test_admin_screens_are_403_for_members(world_a, name):
    response = world_a.client("member").get(reverse(name))
    assert response.status_code == 403


def test_connection_test_against_the_sandbox(lw_sandbox, world_a):
    client = world_a.client("admin")
    url = reverse("notifications:link_test", args=[lw_sandbox.link.public_id])
    page = client.post(url, follow=True).content.decode()
    assert "LINE WORKSの認証に成功しました" in page
    lw_sandbox.domain.client_secret = "rotated"
    lw_sandbox.domain.save()
    page = client.post(url, follow=True).content.decode()
    assert "接続テストに失敗しました" in page


# ---------------------------------------------------------------- ID連携 from the bot, and its four errors

@pytest.fixture
def link(world_a):
    return make_link(world_a.tenant)


def test_the_bot_link_logs_in_and_links_once(link, world_a, client):
    token = services.link_request_create(link=link, lineworks_user_id="lw-member")
    anonymous = client.get(link_url(token))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    member = world_a.client("member")
    page = member.get(link_url(token)).content.decode()
    assert "連携を開始しますか" in page and world_a.tenant.name in page
    done = member.post(reverse("notifications:link_confirm"), {"token": token}).content.decode()
    assert "連携に成功しました" in done
    assert LineWorksUserLink.objects.get().user == world_a.member
    # Single use: the same link cannot be used again.
    again = member.post(reverse("notifications:link_confirm"), {"token": token})
    assert again.status_code == 400 and str(TOKEN_INVALID) in again.content.decode()


def test_error_logged_in_to_a_different_tenant(link, world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    client = world_a.client("member")
    session = client.session
    session["tenant_public_id"] = str(world_b.tenant.public_id)
    session.save()
    token = services.link_request_create(link=link, lineworks_user_id="lw-member")
    response = client.post(reverse("notifications:link_confirm"), {"token": token})
    assert response.status_code == 400 and str(OTHER_TENANT) in response.content.decode()
    assert not LineWorksUserLink.objects.exists()


def test_error_already_linked_to_another_lineworks_account(link, world_a):
    make_user_link(link, world_a.member, "lw-old-account")
    token = services.link_request_create(link=link, lineworks_user_id="lw-new-account")
    response = world_a.client("member").post(reverse("notifications:link_confirm"), {"token": token})
    assert response.status_code == 400 and str(ALREADY_LINKED) in response.content.decode()
    assert LinkRequest.objects.get().used_at is None  # nothing was spent by the failed attempt


@pytest.mark.parametrize("token", ["", "garbage", "expired"])
def test_error_invalid_token(link, world_a, token, settings):
    if token == "expired":
        token = services.link_request_create(link=link, lineworks_user_id="lw-member")
        LinkRequest.objects.update(expires_at="2000-01-01T00:00:00Z")
    response = world_a.client("member").get(link_url(token))
    assert response.status_code == 400 and str(TOKEN_INVALID) in response.content.decode()


def test_error_the_lineworks_account_belongs_to_another_member(link, world_a):
    make_user_link(link, world_a.admin, "lw-shared")  # that LINE WORKS account already belongs to the admin
    token = services.link_request_create(link=link, lineworks_user_id="lw-shared")
    response = world_a.client("member").post(reverse("notifications:link_confirm"), {"token": token})
    page = response.content.decode()
    # trying again later cannot help: seed 003's 「その他」 row with the support wording, and what happened
    assert response.status_code == 400 and str(SUPPORT) in page and str(CAUSE_ACCOUNT_TAKEN) in page
    assert str(OTHER) not in page


def test_unlink_from_the_bot_link(link, world_a):
    make_user_link(link, world_a.member, "lw-member")
    token = services.link_request_create(link=link, lineworks_user_id="lw-member", action=LinkRequest.Action.UNLINK)
    client = world_a.client("member")
    assert "連携を解除しますか" in client.get(reverse("notifications:unlink_confirm") + "?token=" + token).content.decode()
    done = client.post(reverse("notifications:unlink_confirm"), {"token": token}).content.decode()
    assert "連携を解除しました" in done and not LineWorksUserLink.objects.exists()


def test_a_link_token_cannot_be_used_on_the_unlink_page(link, world_a):
    make_user_link(link, world_a.member, "lw-member")
    token = services.link_request_create(link=link, lineworks_user_id="lw-member")
    response = world_a.client("member").post(reverse("notifications:unlink_confirm"), {"token": token})
    assert response.status_code == 400 and LineWorksUserLink.objects.exists()


# ---------------------------------------------------------------- profile page

def test_profile_unlink_after_confirmation(link, world_a):
    make_user_link(link, world_a.member, "lw-member")
    client = world_a.client("member")
    assert "ID連携済み" in client.get(reverse("notifications:profile")).content.decode()
    assert "連携を解除しますか" in client.get(reverse("notifications:profile_unlink")).content.decode()
    client.post(reverse("notifications:profile_unlink"))
    assert not LineWorksUserLink.objects.exists()


def test_profile_without_any_tenant_link_says_so(world_a):
    page = world_a.client("member").get(reverse("notifications:profile")).content.decode()
    assert "LINE WORKS連携が設定されていません" in page


def test_profile_start_sends_a_link_only_that_member_can_confirm(lw_sandbox, world_a):
    lw_user = lw_sandbox.user()
    client = world_a.client("member")
    page = client.post(reverse("notifications:profile_link"),
                       {"link": lw_sandbox.link.pk, "lineworks_user_id": lw_user.login_id}, follow=True)
    assert "ID連携のリンクを送信しました" in page.content.decode()
    uri = lw_user.messages.get().content["actions"][0]["uri"]
    token = uri.split("token=")[1]
    other = world_a.client("admin").post(reverse("notifications:link_confirm"), {"token": token})
    assert other.status_code == 400 and str(SUPPORT) in other.content.decode()
    assert str(CAUSE_OTHER_USER) in other.content.decode()
    client.post(reverse("notifications:link_confirm"), {"token": token})
    assert LineWorksUserLink.objects.get().user == world_a.member


def test_profile_start_with_an_unknown_login_id_is_a_form_error(lw_sandbox, world_a):
    response = world_a.client("member").post(reverse("notifications:profile_link"),
                                             {"link": lw_sandbox.link.pk, "lineworks_user_id": "nobody@example"})
    assert response.status_code == 400
    page = response.content.decode()
    assert str(USER_NOT_FOUND) in page and 'value="nobody@example"' in page
    assert not LinkRequest.objects.exists() and not lw_sandbox.domain.users.filter(messages__isnull=False).exists()


def test_profile_start_when_lineworks_fails_is_seed_003s_other_error(lw_sandbox, world_a):
    sandbox_lineworks_faults_set(lw_sandbox.domain, server_error_5xx={"count": 5, "status": 503})
    page = world_a.client("member").post(reverse("notifications:profile_link"),
                                         {"link": lw_sandbox.link.pk, "lineworks_user_id": lw_sandbox.user().login_id},
                                         follow=True).content.decode()
    assert str(OTHER) in page
    assert not LinkRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_login_id_typed_on_the_profile_links_the_user_id_the_bot_sees(lw_sandbox, world_a):
    """The login ID is resolved to the user id: the link holds what callbacks carry, so the bot's
    ID連携解除 finds it, and the same account cannot be linked a second time under its user id."""
    lw_user = lw_sandbox.user(1)
    member = world_a.client("member")
    member.post(reverse("notifications:profile_link"),
                {"link": lw_sandbox.link.pk, "lineworks_user_id": lw_user.login_id.upper()})
    assert LinkRequest.objects.get().lineworks_user_id == lw_user.user_id
    token = lw_user.messages.get().content["actions"][0]["uri"].split("token=")[1]
    member.post(reverse("notifications:link_confirm"), {"token": token})
    user_link = LineWorksUserLink.objects.get()
    assert user_link.user == world_a.member and user_link.lineworks_user_id == lw_user.user_id

    # Someone else typing the user id of the same account cannot link it again.
    admin = world_a.client("admin")
    admin.post(reverse("notifications:profile_link"),
               {"link": lw_sandbox.link.pk, "lineworks_user_id": lw_user.user_id})
    admin_token = lw_user.messages.order_by("-id").first().content["actions"][0]["uri"].split("token=")[1]
    refused = admin.post(reverse("notifications:link_confirm"), {"token": admin_token})
    assert refused.status_code == 400 and LineWorksUserLink.objects.count() == 1

    # The bot's ID連携解除 (a callback with source.userId) now finds the link and sends the unlink page.
    body = callback_body(user=lw_user, postback="unlink")
    stored = bot.callback_store(link=lw_sandbox.link, body=body)
    assert bot.callback_handle(callback_id=stored.pk) is None
    reply = lw_user.messages.order_by("-id").first().content
    assert reply["type"] == "button_template" and "/lineworks/unlink/?token=" in reply["actions"][0]["uri"]
    unlink_token = reply["actions"][0]["uri"].split("token=")[1]
    done = member.post(reverse("notifications:unlink_confirm"), {"token": unlink_token})
    assert done.status_code == 200 and not LineWorksUserLink.objects.exists()
