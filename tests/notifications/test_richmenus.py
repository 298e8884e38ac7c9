"""The bot's rich menu follows the user (seed 003): [ID連携] before linking, [ID連携解除] after; the bot's other
answers offer the same single button; LINE WORKS's rich-menu API in the client and the sandbox."""

import json

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.lineworks import auth
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import Permanent, RateLimited, Transient
from integrations.sandbox.lineworks import callback_body, richmenu_shown_to
from integrations.sandbox.models import SandboxLineWorksRichmenu
from notifications import bot, richmenus, services
from notifications.models import CallbackEvent, LineWorksUserLink
from tests.notifications.factories import make_link, make_user_link

pytestmark = pytest.mark.django_db


def shown(lw_user) -> list[str]:
    """The labels of the rich menu under the user's talk with the bot (as LINE WORKS shows it)."""
    lw_user.refresh_from_db()
    menu = richmenu_shown_to(lw_user)
    return [area["action"]["label"] for area in menu.body["areas"]] if menu else []


def press(link, lw_user, data: str, **kwargs) -> dict:
    """A tap on the rich menu: a postback callback, handled; returns the bot's answer."""
    stored = bot.callback_store(link=link, body=callback_body(user=lw_user, postback=data, kind="postback"))
    assert bot.callback_handle(callback_id=stored.pk) is None
    return lw_user.messages.order_by("-id").first().content


def say(link, lw_user, text: str) -> dict:
    stored = bot.callback_store(link=link, body=callback_body(user=lw_user, text=text))
    assert bot.callback_handle(callback_id=stored.pk) is None
    return lw_user.messages.order_by("-id").first().content


def token_of(content: dict) -> str:
    return content["actions"][0]["uri"].split("token=")[1]


@pytest.fixture
def synced(monkeypatch):
    """Rich-menu tasks run at once (what the worker does after commit), and are recorded."""
    from notifications import tasks

    ran = []

    def run(task, args):
        ran.append((task.name, tuple(args)))
        task.run(*args)

    monkeypatch.setattr(
        tasks.richmenu_sync_task, "apply_async", lambda args, kwargs: run(tasks.richmenu_sync_task, args)
    )
    monkeypatch.setattr(
        tasks.richmenus_setup_task, "apply_async", lambda args, kwargs: run(tasks.richmenus_setup_task, args)
    )
    return ran


# ---------------------------------------------------------------- the menu follows the user


@pytest.mark.django_db(transaction=True)
def test_the_menu_shows_id_link_before_linking_and_id_unlink_after(lw_sandbox, world_a, synced):
    link, lw_user = lw_sandbox.link, lw_sandbox.user()
    services.lineworks_link_test(link=link)  # registers the bot's two menus, [ID連携] as the default
    assert shown(lw_user) == ["ID連携"]

    reply = press(link, lw_user, "link")
    member = world_a.client("member")
    page = member.get(reverse("notifications:link_confirm") + "?token=" + token_of(reply)).content.decode()
    assert f"{lw_user.name}（{lw_user.login_id}）" in page  # the LINE WORKS account being linked
    member.post(reverse("notifications:link_confirm"), {"token": token_of(reply)})
    assert ("notifications.richmenu_sync", (link.pk, lw_user.user_id)) in synced
    assert shown(lw_user) == ["ID連携解除"]
    assert LineWorksUserLink.objects.get().lineworks_account == f"{lw_user.name}（{lw_user.login_id}）"

    reply = press(link, lw_user, "unlink")
    done = member.post(reverse("notifications:unlink_confirm"), {"token": token_of(reply)})
    assert "連携を解除しました" in done.content.decode() and not LineWorksUserLink.objects.exists()
    assert shown(lw_user) == ["ID連携"]
    lw_user.refresh_from_db()
    assert lw_user.richmenu is None  # the user's own menu is cancelled: the default shows again


@pytest.mark.django_db(transaction=True)
def test_unlinking_on_the_profile_page_gives_the_id_link_menu_back(lw_sandbox, world_a, synced):
    lw_user = lw_sandbox.user()
    make_user_link(lw_sandbox.link, world_a.member, lw_user.user_id)
    richmenus.richmenus_setup(link_id=lw_sandbox.link.pk)  # users linked before the menus existed get theirs
    assert shown(lw_user) == ["ID連携解除"]
    world_a.client("member").post(reverse("notifications:profile_unlink"))
    assert shown(lw_user) == ["ID連携"]


@pytest.mark.django_db(transaction=True)
def test_any_other_message_offers_only_the_button_of_the_users_state(lw_sandbox, world_a):
    lw_user = lw_sandbox.user()
    answer = say(lw_sandbox.link, lw_user, "こんにちは")
    assert [action["label"] for action in answer["actions"]] == ["ID連携"]
    make_user_link(lw_sandbox.link, world_a.member, lw_user.user_id)
    answer = say(lw_sandbox.link, lw_user, "こんにちは")
    assert [action["label"] for action in answer["actions"]] == ["ID連携解除"]


@pytest.mark.django_db(transaction=True)
def test_a_bot_command_puts_a_stale_menu_right(lw_sandbox, world_a):
    """The task after ID連携 was lost: the user still sees [ID連携]; pressing it says so and fixes the menu."""
    lw_user = lw_sandbox.user()
    richmenus.richmenus_setup(link_id=lw_sandbox.link.pk)
    make_user_link(lw_sandbox.link, world_a.member, lw_user.user_id)
    assert shown(lw_user) == ["ID連携"]
    answer = press(lw_sandbox.link, lw_user, "link")
    assert answer["type"] == "text" and "既にID連携済みです" in answer["text"]
    assert shown(lw_user) == ["ID連携解除"]


@pytest.mark.django_db(transaction=True)
def test_menus_deleted_in_lineworks_are_registered_again(lw_sandbox, world_a):
    lw_user = lw_sandbox.user()
    richmenus.richmenus_setup(link_id=lw_sandbox.link.pk)
    SandboxLineWorksRichmenu.objects.all().delete()  # an admin deleted them in LINE WORKS
    make_user_link(lw_sandbox.link, world_a.member, lw_user.user_id)
    assert richmenus.richmenu_sync(link_id=lw_sandbox.link.pk, lineworks_user_id=lw_user.user_id) is None
    assert shown(lw_user) == ["ID連携解除"]
    lw_sandbox.domain.refresh_from_db()
    assert [area["action"]["label"] for area in lw_sandbox.domain.default_richmenu.body["areas"]] == ["ID連携"]
    assert SandboxLineWorksRichmenu.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_busy_lineworks_makes_the_sync_come_back_later(lw_sandbox, world_a):
    from integrations.sandbox.lineworks import sandbox_lineworks_faults_set

    sandbox_lineworks_faults_set(lw_sandbox.domain, rate_limit_429={"count": 1, "reset": 40})
    later = richmenus.richmenu_sync(link_id=lw_sandbox.link.pk, lineworks_user_id=lw_sandbox.user().user_id)
    assert later is not None and later.retry_after >= 40


def test_changing_the_bot_forgets_the_menus_of_the_old_one(world_a, settings):
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = "https://auth.test", "https://api.test/v1.0"
    link = make_link(
        world_a.tenant, domain_verified_at=timezone.now(), richmenu_unlinked_id="1", richmenu_linked_id="2"
    )
    with responses.RequestsMock() as mock:
        mock.post("https://auth.test/oauth2/v2.0/token", json={"access_token": "at", "expires_in": "86400"})
        mock.get("https://api.test/v1.0/bots/2000009/domains", json={"domains": [{"domainId": 40000001}]})
        services.lineworks_link_save(tenant=world_a.tenant, link=link, bot_id="2000009")
    link.refresh_from_db()
    assert (link.bot_id, link.richmenu_unlinked_id, link.richmenu_linked_id) == ("2000009", "", "")


# ---------------------------------------------------------------- the client


API = "https://api.test/v1.0"


@pytest.fixture
def fake_link(world_a, settings):
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = "https://auth.test", API
    link = make_link(world_a.tenant)
    link.access_token, link.access_expires_at = "at", timezone.now() + timezone.timedelta(hours=1)
    link.save()
    return link


@responses.activate(assert_all_requests_are_fired=True)
def test_the_client_speaks_lineworks_rich_menu_api(fake_link):
    bot_url = f"{API}/bots/{fake_link.bot_id}"
    created = {"richmenuId": "40001", **richmenus.menu_before_link().request_body()}
    responses.post(bot_url + "/richmenus", status=201, json=created)
    responses.post(
        bot_url + "/richmenus/40001/set-default",
        status=201,
        json={"botId": int(fake_link.bot_id), "defaultRichmenuId": "40001"},
    )
    responses.post(bot_url + "/richmenus/40001/users/u%40example", status=204)
    responses.delete(bot_url + "/richmenus/users/u%40example", status=204)
    responses.get(bot_url + "/richmenus/40001", status=404, json={"code": "NOT_FOUND", "description": "x"})
    client = LineWorksClient(fake_link)
    assert client.richmenu_create(richmenus.menu_before_link()).richmenuId == "40001"
    sent = json.loads(responses.calls[0].request.body)
    assert sent == {
        "richmenuName": "CRM-会計連携ハブ: ID連携前",
        "size": {"width": 2500, "height": 843},
        "areas": [
            {
                "action": {"type": "postback", "label": "ID連携", "data": "link", "displayText": "ID連携"},
                "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
            }
        ],
    }
    client.richmenu_default_set("40001")
    client.richmenu_user_set("40001", "u@example")
    client.richmenu_user_delete("u@example")
    assert client.richmenu_exists("40001") is False


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, {"code": "TOO_MANY_REQUESTS"}, RateLimited),
        (500, {}, Transient),
        (400, {"code": "INVALID_PARAMETER"}, Permanent),
        (201, {"richmenuName": "x"}, Transient),
        (201, ["x"], Transient),
    ],
)
@responses.activate
def test_rich_menu_creation_errors_map_to_error_classes(fake_link, status, body, error):
    responses.post(f"{API}/bots/{fake_link.bot_id}/richmenus", status=status, json=body)
    with pytest.raises(error):
        LineWorksClient(fake_link).richmenu_create(richmenus.menu_after_link())


# ---------------------------------------------------------------- the sandbox endpoints


@pytest.fixture
def lw_api(lw_sandbox, client):
    token = auth.access_token_for(lw_sandbox.link)
    base = f"/sandbox/lineworks/v1.0/bots/{lw_sandbox.domain.bot_id}"

    def call(method: str, path: str, body=None):
        return client.generic(
            method,
            base + path,
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


def test_the_sandbox_registers_rich_menus_as_lineworks_does(lw_api, lw_sandbox):
    menu = richmenus.menu_before_link().request_body()
    created = lw_api("POST", "/richmenus", menu)
    assert created.status_code == 201 and created.json() == {"richmenuId": created.json()["richmenuId"], **menu}
    menu_id = created.json()["richmenuId"]
    assert lw_api("GET", f"/richmenus/{menu_id}").json()["richmenuName"] == menu["richmenuName"]
    assert lw_api("GET", "/richmenus/default").status_code == 404
    default = lw_api("POST", f"/richmenus/{menu_id}/set-default")
    assert default.status_code == 201 and default.json() == {
        "botId": int(lw_sandbox.domain.bot_id),
        "defaultRichmenuId": menu_id,
    }
    user = lw_sandbox.user()
    assert lw_api("GET", f"/richmenus/users/{user.user_id}").status_code == 404  # never the default
    assert lw_api("POST", f"/richmenus/{menu_id}/users/{user.login_id}").status_code == 204
    assert lw_api("GET", f"/richmenus/users/{user.user_id}").json()["richmenuId"] == menu_id
    assert lw_api("DELETE", f"/richmenus/users/{user.user_id}").status_code == 204
    assert lw_api("POST", f"/richmenus/{menu_id}/users/nobody").status_code == 404
    assert lw_api("POST", "/richmenus/99999/users/" + user.user_id).status_code == 404
    assert lw_api("DELETE", f"/richmenus/{menu_id}").status_code == 204
    assert lw_api("GET", f"/richmenus/{menu_id}").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"size": {"width": 2400, "height": 843}},
        {"richmenuName": ""},
        {"areas": []},
        {
            "areas": [
                {
                    "action": {"type": "postback", "label": "x" * 21, "data": "d"},
                    "bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                }
            ]
        },
        {
            "areas": [
                {"action": {"type": "postback", "label": "x"}, "bounds": {"x": 0, "y": 0, "width": 10, "height": 10}}
            ]
        },
        {
            "areas": [
                {
                    "action": {"type": "datetimepicker", "label": "x"},
                    "bounds": {"x": 0, "y": 0, "width": 1, "height": 1},
                }
            ]
        },
        {
            "areas": [
                {
                    "action": {"type": "postback", "label": "x", "data": "d"},
                    "bounds": {"x": 2000, "y": 0, "width": 600, "height": 10},
                }
            ]
        },
    ],
)
def test_the_sandbox_refuses_rich_menus_lineworks_would_refuse(lw_api, change):
    response = lw_api("POST", "/richmenus", {**richmenus.menu_before_link().request_body(), **change})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_PARAMETER"
    assert not SandboxLineWorksRichmenu.objects.exists()


def test_the_sandbox_keeps_rich_menus_to_their_bot(lw_api, lw_sandbox, client):
    other_bot = "/sandbox/lineworks/v1.0/bots/1234567/richmenus"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {lw_sandbox.link.access_token}"}
    body = json.dumps(richmenus.menu_before_link().request_body())
    assert client.post(other_bot, body, content_type="application/json", **bearer).status_code == 404
    assert (
        client.post(
            other_bot.replace("1234567", lw_sandbox.domain.bot_id), body, content_type="application/json"
        ).status_code
        == 401
    )


@pytest.mark.django_db(transaction=True)
def test_the_console_inbox_shows_the_users_menu_and_presses_it(lw_sandbox, world_a):
    lw_user = lw_sandbox.user()
    richmenus.richmenus_setup(link_id=lw_sandbox.link.pk)
    admin = world_a.client("admin")
    inbox = admin.get(reverse("sandbox:console-lineworks-inbox", args=[lw_user.public_id])).content.decode()
    assert "トーク画面下部のリッチメニュー" in inbox and ">ID連携</button>" in inbox and "ID連携解除" not in inbox
    admin.post(
        reverse("sandbox:console-lineworks-domain", args=[lw_sandbox.domain.public_id]),
        {"action": "richmenu", "user": lw_user.pk, "data": "link"},
    )
    stored = json.loads(CallbackEvent.objects.get().body)  # the signed postback reached our callback endpoint
    assert stored["type"] == "postback" and stored["data"] == "link" and stored["source"]["userId"] == lw_user.user_id
    admin.post(
        reverse("sandbox:console-lineworks-domain", args=[lw_sandbox.domain.public_id]),
        {"action": "richmenu", "user": lw_user.pk, "data": "unlink"},
    )  # not on this user's menu
    assert CallbackEvent.objects.count() == 1
