"""The ID連携 pages answer each failure with its own row of seed 003's error table (message and 対処方法);
「時間をおいて再度…」 only where trying again later can help. The confirmation names the LINE WORKS account and
offers [事業所を変更する]."""

from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.lineworks import sandbox_lineworks_faults_set
from notifications import services
from notifications.errors import (
    ALREADY_LINKED,
    ALREADY_LINKED_HINT,
    CAUSE_OTHER_USER,
    CAUSE_UNLINK_OTHER_USER,
    CLIENT_INVALID,
    CLIENT_INVALID_HINT,
    OTHER,
    OTHER_HINT,
    OTHER_TENANT,
    OTHER_TENANT_HINT,
    SUPPORT,
    TOKEN_INVALID,
    TOKEN_INVALID_HINT,
)
from notifications.models import LineWorksUserLink, LinkRequest
from tenancy.middleware import SESSION_TENANT_KEY
from tests.factories import MembershipFactory
from tests.notifications.factories import make_link, make_user_link

pytestmark = pytest.mark.django_db

CONFIRM, UNLINK = reverse("notifications:link_confirm"), reverse("notifications:unlink_confirm")


@pytest.fixture
def link(world_a):
    return make_link(world_a.tenant)


def page(response) -> str:
    return response.content.decode()


def in_tenant(client, tenant):
    session = client.session
    session[SESSION_TENANT_KEY] = str(tenant.public_id)
    session.save()
    return client


# ---------------------------------------------------------------- rows 1-3


def test_row_1_logged_in_to_another_tenant_offers_to_switch_to_the_linked_one(link, world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    client = in_tenant(world_a.client("member"), world_b.tenant)
    token = services.link_request_create(link=link, lineworks_user_id="lw-member")
    response = client.get(CONFIRM + "?token=" + token)
    text = page(response)
    assert response.status_code == 400 and str(OTHER_TENANT) in text and str(OTHER_TENANT_HINT) in text
    assert f"「{world_a.tenant.name}」に切り替えて続ける" in text
    switched = client.post(
        reverse("tenancy:switch"), {"tenant": str(world_a.tenant.public_id), "next": CONFIRM + "?token=" + token}
    )
    assert switched["Location"] == CONFIRM + "?token=" + token
    assert "連携を開始しますか" in page(client.get(switched["Location"]))


def test_row_2_a_member_linked_to_another_account(link, world_a):
    make_user_link(link, world_a.member, "lw-old")
    token = services.link_request_create(link=link, lineworks_user_id="lw-new")
    text = page(world_a.client("member").post(CONFIRM, {"token": token}))
    assert str(ALREADY_LINKED) in text and str(ALREADY_LINKED_HINT) in text and str(OTHER) not in text


@pytest.mark.parametrize("url", [CONFIRM, UNLINK])
def test_row_3_a_used_or_expired_link(link, world_a, url):
    token = services.link_request_create(link=link, lineworks_user_id="lw-member")
    LinkRequest.objects.update(expires_at=timezone.now())
    response = world_a.client("member").get(url + "?token=" + token)
    assert response.status_code == 400
    assert str(TOKEN_INVALID) in page(response) and str(TOKEN_INVALID_HINT) in page(response)


# ---------------------------------------------------------------- row 4: which of its three wordings


def test_a_link_started_by_another_member_is_refused_on_the_page_not_only_on_the_button(link, world_a):
    token = services.link_request_create(link=link, lineworks_user_id="lw-member", user=world_a.member)
    response = world_a.client("admin").get(CONFIRM + "?token=" + token)
    text = page(response)
    assert response.status_code == 400 and "許可する" not in text
    assert str(SUPPORT) in text and str(CAUSE_OTHER_USER) in text and str(OTHER_HINT) in text
    assert str(OTHER) not in text  # waiting would change nothing


def test_unlinking_an_account_linked_to_another_member_says_whose_it_is_not(link, world_a):
    make_user_link(link, world_a.admin, "lw-admin")
    token = services.link_request_create(link=link, lineworks_user_id="lw-admin", action=LinkRequest.Action.UNLINK)
    response = world_a.client("member").post(UNLINK, {"token": token})
    assert response.status_code == 400 and str(SUPPORT) in page(response)
    assert str(CAUSE_UNLINK_OTHER_USER) in page(response) and LineWorksUserLink.objects.exists()


def test_unlinking_an_account_already_unlinked_is_done(link, world_a):
    token = services.link_request_create(link=link, lineworks_user_id="lw-member", action=LinkRequest.Action.UNLINK)
    response = world_a.client("member").post(UNLINK, {"token": token})
    assert response.status_code == 200 and "連携を解除しました" in page(response)


def _profile_start(world, link, login_id: str):
    return world.client("member").post(
        reverse("notifications:profile_link"), {"link": link.pk, "lineworks_user_id": login_id}, follow=True
    )


@pytest.mark.parametrize(
    "fault", [{"server_error_5xx": {"count": 5, "status": 503}}, {"rate_limit_429": {"count": 5, "reset": 30}}]
)
def test_a_busy_or_failing_lineworks_is_the_try_again_later_wording(lw_sandbox, world_a, fault):
    sandbox_lineworks_faults_set(lw_sandbox.domain, **fault)
    text = page(_profile_start(world_a, lw_sandbox.link, lw_sandbox.user().login_id))
    assert str(OTHER) in text and str(OTHER_HINT) in text


def test_credentials_lineworks_refuses_are_its_invalid_client_wording(lw_sandbox, world_a):
    lw_sandbox.domain.client_secret = "rotated-in-the-developer-console"
    lw_sandbox.domain.save()
    text = page(_profile_start(world_a, lw_sandbox.link, lw_sandbox.user().login_id))
    assert str(CLIENT_INVALID) in text and str(CLIENT_INVALID_HINT) in text and str(OTHER) not in text


def test_a_call_lineworks_forbids_is_the_support_wording(world_a, settings):
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = "https://auth.test", "https://api.test/v1.0"
    link = make_link(world_a.tenant, access_token="at", access_expires_at=timezone.now() + timezone.timedelta(hours=1))
    with responses.RequestsMock() as mock:
        mock.get(
            "https://api.test/v1.0/users/someone%40example",
            status=403,
            json={"code": "FORBIDDEN", "description": "scope user.profile.read required"},
        )
        text = page(_profile_start(world_a, link, "someone@example"))
    assert str(SUPPORT) in text and "scope user.profile.read required" in text and str(OTHER) not in text


# ---------------------------------------------------------------- the confirmation page


def test_the_confirmation_names_the_account_and_offers_to_change_the_tenant(lw_sandbox, world_a):
    lw_user = lw_sandbox.user(1)
    _profile_start(world_a, lw_sandbox.link, lw_user.login_id)
    uri = lw_user.messages.get().content["actions"][0]["uri"]
    path = urlparse(uri).path + "?" + urlparse(uri).query
    text = page(world_a.client("member").get(path))
    assert "連携を開始しますか" in text and f"{lw_user.name}（{lw_user.login_id}）" in text
    assert world_a.tenant.name in text and "事業所を変更する" in text
    # one 事業所: [事業所を変更する] logs out and comes back here after logging in with another account
    assert 'action="/logout/"' in text
    form = text.split('class="change-tenant"')[1]
    next_value = form.split('name="next" value="')[1].split('"')[0].replace("&amp;", "&")
    assert parse_qs(urlparse(next_value).query)["next"] == [path]


def test_with_two_tenants_change_the_tenant_is_the_switch(link, world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    client = in_tenant(world_a.client("member"), world_a.tenant)
    token = services.link_request_create(link=link, lineworks_user_id="lw-member")
    text = page(client.get(CONFIRM + "?token=" + token))
    assert f'action="{reverse("tenancy:switch")}"' in text and world_b.tenant.name in text
    assert "事業所を変更する" in text
