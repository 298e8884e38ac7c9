"""The LINE WORKS part of the sandbox console: domains (credentials to paste into 事業所の連携設定), users
and their inboxes, fault switches, and a button that posts a signed callback (ID連携 / ID連携解除 / text).

Admins only, like the 設定 menu that links it: it shows the domain's client secret, bot secret and private key,
and can inject faults."""

from __future__ import annotations

import requests
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from integrations.sandbox import lineworks
from integrations.sandbox.forms import MAX_COUNT, MAX_LATENCY_MS
from integrations.sandbox.models import SandboxLineWorksDomain, SandboxLineWorksUser
from tenancy.access import admin_required, get_tenant_object_or_404

COMMANDS = [("link", "ID連携"), ("unlink", "ID連携解除"), ("text", "テキストを送信")]


class DomainCreateForm(forms.Form):
    name = forms.CharField(label="ドメイン名", max_length=200)
    rate_limit_per_minute = forms.TypedChoiceField(label="API利用上限", coerce=int, initial=240,
                                                   choices=[(60, "60回/分（フリー）"), (240, "240回/分（有料プラン）")])


class UserCreateForm(forms.Form):
    name = forms.CharField(label="氏名", max_length=100)
    login_id = forms.CharField(label="ログインID", max_length=200)


class LineWorksFaultsForm(forms.Form):
    rate_limit_429 = forms.IntegerField(label="次のN回を429にする", min_value=0, max_value=MAX_COUNT, required=False)
    rate_limit_reset = forms.IntegerField(label="429のrateLimit-reset（秒）", min_value=1, max_value=3600, required=False,
                                          initial=30)
    server_error_5xx = forms.IntegerField(label="次のN回を500にする", min_value=0, max_value=MAX_COUNT, required=False)
    timeout = forms.FloatField(label="次の1回をN秒待たせる（タイムアウト）", min_value=0, max_value=600, required=False)
    latency_ms = forms.IntegerField(label="毎回の遅延（ミリ秒）", min_value=0, max_value=MAX_LATENCY_MS, required=False)

    def switches(self) -> dict:
        data = self.cleaned_data
        return {
            "rate_limit_429": {"count": data["rate_limit_429"], "reset": data["rate_limit_reset"] or 30}
            if data["rate_limit_429"] else None,
            "server_error_5xx": data["server_error_5xx"] or None,
            "timeout": data["timeout"] or None,
            "latency_ms": data["latency_ms"] or None,
        }


class CallbackForm(forms.Form):
    user = forms.ModelChoiceField(label="送信するユーザー", queryset=SandboxLineWorksUser.objects.none(), empty_label=None)
    command = forms.ChoiceField(label="操作", choices=COMMANDS)
    text = forms.CharField(label="テキスト", required=False, max_length=500)

    def __init__(self, *args, domain=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = SandboxLineWorksUser.objects.filter(domain=domain)


@admin_required
@require_http_methods(["GET", "POST"])
def console_lineworks(request: HttpRequest) -> HttpResponse:
    """The tenant's fake LINE WORKS domains; POST creates one (key pair, bot and two users)."""
    form = DomainCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        domain = lineworks.sandbox_lineworks_domain_create(tenant=request.tenant, **form.cleaned_data)
        messages.success(request, f"LINE WORKSドメイン「{domain.name}」（ドメインID {domain.domain_id}）を作成しました。")
        return redirect("sandbox:console-lineworks-domain", public_id=domain.public_id)
    domains = SandboxLineWorksDomain.objects.for_tenant(request.tenant)
    return render(request, "sandbox/lineworks_index.html", {"domains": domains, "form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def console_lineworks_domain(request: HttpRequest, public_id) -> HttpResponse:
    """One domain: its credentials, users, fault switches and the callback sender."""
    domain = get_tenant_object_or_404(SandboxLineWorksDomain, request, public_id=public_id)
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is not None:
            action(request, domain)
        return redirect("sandbox:console-lineworks-domain", public_id=domain.public_id)
    context = {"domain": domain, "users": domain.users.all(), "user_form": UserCreateForm(),
               "faults_form": LineWorksFaultsForm(), "callback_form": CallbackForm(domain=domain),
               "message_count": lineworks.sent_messages(domain).count()}
    return render(request, "sandbox/lineworks_domain.html", context)


@admin_required
def console_lineworks_inbox(request: HttpRequest, public_id) -> HttpResponse:
    """What the bot sent one user, newest first."""
    user = get_tenant_object_or_404(SandboxLineWorksUser.objects.select_related("domain"), request,
                                    public_id=public_id)
    page = Paginator(lineworks.sent_messages(user.domain, user=user), 30).get_page(request.GET.get("page"))
    menu = lineworks.richmenu_shown_to(user)
    return render(request, "sandbox/lineworks_inbox.html",
                  {"lw_user": user, "domain": user.domain, "page_obj": page, "sent": page.object_list,
                   "richmenu": menu, "richmenu_actions": [area["action"] for area in menu.body["areas"]] if menu else []})


def _add_user(request: HttpRequest, domain: SandboxLineWorksDomain) -> None:
    form = UserCreateForm(request.POST)
    if form.is_valid():
        lineworks.sandbox_lineworks_user_create(domain=domain, **form.cleaned_data)
        messages.success(request, "ユーザーを追加しました。")
    else:
        messages.error(request, "氏名とログインIDを入力してください。")


def _save_faults(request: HttpRequest, domain: SandboxLineWorksDomain) -> None:
    form = LineWorksFaultsForm(request.POST)
    if form.is_valid():
        lineworks.sandbox_lineworks_faults_set(domain, **form.switches())
        messages.success(request, "障害スイッチを保存しました。")
    else:
        messages.error(request, "障害スイッチの値を確認してください。")


def _expire_tokens(request: HttpRequest, domain: SandboxLineWorksDomain) -> None:
    count = lineworks.sandbox_lineworks_tokens_expire(domain=domain)
    messages.success(request, f"アクセストークン {count} 件を期限切れにしました。")


def _post_callback(request: HttpRequest, domain: SandboxLineWorksDomain) -> None:
    form = CallbackForm(request.POST, domain=domain)
    if not form.is_valid():
        messages.error(request, "ユーザーと操作を選んでください。")
        return
    data = form.cleaned_data
    postback = "" if data["command"] == "text" else data["command"]
    text = data["text"] or dict(COMMANDS)[data["command"]]
    try:
        status = lineworks.sandbox_lineworks_callback_post(user=data["user"], text=text, postback=postback)
    except requests.RequestException as error:
        messages.error(request, f"Callback URLに送信できませんでした（{type(error).__name__}）。")
        return
    messages.success(request, f"署名付きのコールバックを送信しました（HTTP {status}）。Botの返信は受信箱に届きます。")


def _press_richmenu(request: HttpRequest, domain: SandboxLineWorksDomain) -> None:
    """A tap on the rich menu the user sees: its postback action becomes a signed postback callback."""
    user = SandboxLineWorksUser.objects.filter(domain=domain, pk=request.POST.get("user") or 0).first()
    menu = lineworks.richmenu_shown_to(user) if user else None
    areas = menu.body["areas"] if menu else []
    actions = {area["action"].get("data"): area["action"] for area in areas if area["action"].get("type") == "postback"}
    action = actions.get(request.POST.get("data", ""))
    if action is None:
        messages.error(request, "そのボタンはこのユーザーのリッチメニューにありません。")
        return
    try:
        status = lineworks.sandbox_lineworks_callback_post(user=user, postback=action["data"], kind="postback")
    except requests.RequestException as error:
        messages.error(request, f"Callback URLに送信できませんでした（{type(error).__name__}）。")
        return
    messages.success(request, f"リッチメニューの[{action.get('label', '')}]を押しました（HTTP {status}）。Botの返信は受信箱に届きます。")


ACTIONS = {"add_user": _add_user, "faults": _save_faults, "expire_tokens": _expire_tokens,
           "callback": _post_callback, "richmenu": _press_richmenu}
