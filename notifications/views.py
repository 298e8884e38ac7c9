"""LINE WORKS pages: 事業所の連携設定 and the delivery log (admins), the profile page, the ID連携 pages the
bot links to, the signed approval redirect, and the bot callback endpoint."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from integrations.models import LineWorksLink
from notifications import bot, outbox, selectors, services
from notifications.errors import LinkError
from notifications.forms import DeliveryFilterForm, LineWorksLinkForm, PreferencesForm, ProfileLinkForm
from notifications.messages import approval_token_load
from notifications.models import Delivery, LineWorksUserLink
from tenancy.access import TenantAdminRequiredMixin, TenantMemberRequiredMixin, get_tenant_object_or_404
from tenancy.models import Membership

logger = logging.getLogger(__name__)
PAGE_SIZE = 50


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# ---------------------------------------------------------------- admins: 事業所の連携設定

class LinkListView(TenantAdminRequiredMixin, View):
    def get(self, request):
        sort = request.GET.get("sort", "created")
        page, query = _page(request, selectors.link_list(tenant=request.tenant, sort=sort))
        return render(request, "notifications/link_list.html",
                      {"page_obj": page, "links": page.object_list, "sort": sort, "query": query})


class LinkEditMixin(TenantAdminRequiredMixin):
    template = "notifications/link_form.html"

    def _initial(self, link):
        if link is None:
            return {"rate_limit_per_minute": LineWorksLink.RateLimit.FREE}
        return {name: getattr(link, name) for name in services.SETTING_FIELDS}

    def _render(self, link, form, status=200):
        user_links = (LineWorksUserLink.objects.filter(link=link).select_related("user").order_by("created_at")
                      if link else [])
        return render(self.request, self.template, {"link": link, "form": form, "user_links": user_links},
                      status=status)

    def _save(self, request, link):
        form = LineWorksLinkForm(request.POST, initial=self._initial(link))
        if not form.is_valid():
            return self._render(link, form, status=400)
        try:
            link = services.lineworks_link_save(tenant=request.tenant, link=link, actor=request.user,
                                                **form.cleaned_data)
        except ApplicationError as error:
            field = error.details.get("field")
            form.add_error(field if field in form.fields else None, error.message)
            stored = LineWorksLink.objects.filter(pk=link.pk).first() if link and link.pk else None  # unedited
            return self._render(stored, form, status=400)
        messages.success(request, _("LINE WORKS連携の設定を保存しました（ドメインID %(domain)s をLINE WORKSで確認しました）。")
                         % {"domain": link.domain_id})
        return redirect("notifications:link_update", public_id=link.public_id)


class LinkCreateView(LinkEditMixin, View):
    def get(self, request):
        return self._render(None, LineWorksLinkForm(initial=self._initial(None)))

    def post(self, request):
        return self._save(request, None)


class LinkUpdateView(LinkEditMixin, View):
    def get(self, request, public_id):
        link = get_tenant_object_or_404(LineWorksLink, request, public_id=public_id)
        return self._render(link, LineWorksLinkForm(initial=self._initial(link)))

    def post(self, request, public_id):
        return self._save(request, get_tenant_object_or_404(LineWorksLink, request, public_id=public_id))


class LinkTestView(TenantAdminRequiredMixin, View):
    """接続テスト: request a token from the LINE WORKS token endpoint with the stored credentials."""

    def post(self, request, public_id):
        link = get_tenant_object_or_404(LineWorksLink, request, public_id=public_id)
        try:
            services.lineworks_link_test(link=link)
        except ApplicationError as error:
            messages.error(request, _("接続テストに失敗しました: %(error)s") % {"error": error.message})
        else:
            messages.success(request, _("LINE WORKSの認証に成功しました（アクセストークンを取得し、ドメインID %(domain)s のBotであることを確認しました）。")
                             % {"domain": link.domain_id})
        return redirect("notifications:link_update", public_id=link.public_id)


class LinkDeleteView(TenantAdminRequiredMixin, View):
    def get(self, request, public_id):
        link = get_tenant_object_or_404(LineWorksLink, request, public_id=public_id)
        count = LineWorksUserLink.objects.filter(link=link).count()
        return render(request, "notifications/link_confirm_delete.html", {"link": link, "user_link_count": count})

    def post(self, request, public_id):
        link = get_tenant_object_or_404(LineWorksLink, request, public_id=public_id)
        removed = services.lineworks_link_delete(link=link, actor=request.user)
        messages.success(request, _("LINE WORKS（%(domain)s）との連携を解除しました。従業員のID連携 %(count)s 件も解除されました。")
                         % {"domain": link.label, "count": removed})
        return redirect("notifications:link_list")


# ---------------------------------------------------------------- admins: delivery log

class DeliveryListView(TenantAdminRequiredMixin, View):
    def get(self, request):
        form = DeliveryFilterForm(request.GET)
        status = form.cleaned_data["status"] if form.is_valid() else ""
        sort = request.GET.get("sort", "-created")
        page, query = _page(request, selectors.delivery_list(tenant=request.tenant, status=status, sort=sort))
        return render(request, "notifications/delivery_list.html",
                      {"form": form, "page_obj": page, "deliveries": page.object_list, "sort": sort, "query": query})


class DeliveryRetryView(TenantAdminRequiredMixin, View):
    def post(self, request, public_id):
        delivery = get_tenant_object_or_404(Delivery, request, public_id=public_id)
        if outbox.delivery_retry(delivery=delivery):
            messages.success(request, _("再送を受け付けました。"))
        else:
            messages.error(request, _("この通知は再送できません（送信済みまたは送信中です）。"))
        if request.htmx:
            delivery = selectors.delivery_list(tenant=request.tenant).get(pk=delivery.pk)
            return render(request, "notifications/_delivery_row.html", {"delivery": delivery})
        return redirect("notifications:delivery_list")


# ---------------------------------------------------------------- members: profile

class ProfileView(TenantMemberRequiredMixin, View):
    def get(self, request):
        return render(request, "notifications/profile.html", self.context(request))

    @staticmethod
    def context(request, **extra):
        enabled = selectors.enabled_kinds(tenant=request.tenant, user=request.user)
        return {
            "user_link": selectors.user_link_for(tenant=request.tenant, user=request.user),
            "has_links": LineWorksLink.objects.for_tenant(request.tenant).exists(),
            "link_form": extra.get("link_form") or ProfileLinkForm(tenant=request.tenant),
            "preferences_form": PreferencesForm(initial={"kinds": sorted(enabled)}),
        }


class ProfileLinkStartView(TenantMemberRequiredMixin, View):
    def post(self, request):
        form = ProfileLinkForm(request.POST, tenant=request.tenant)
        if not form.is_valid():
            return render(request, "notifications/profile.html", ProfileView.context(request, link_form=form),
                          status=400)
        try:
            bot.profile_link_start(tenant=request.tenant, user=request.user, link=form.cleaned_data["link"],
                                   lineworks_user_id=form.cleaned_data["lineworks_user_id"])
        except ApplicationError as error:
            if error.details.get("field") in form.fields:
                form.add_error(error.details["field"], error.message)
                return render(request, "notifications/profile.html", ProfileView.context(request, link_form=form),
                              status=400)
            messages.error(request, error.full_text if isinstance(error, LinkError) else error.message)
        else:
            messages.success(request, _("LINE WORKSのトークにID連携のリンクを送信しました。LINE WORKSでリンクを開き、[許可する]を押してください。"))
        return redirect("notifications:profile")


class ProfileUnlinkView(TenantMemberRequiredMixin, View):
    def get(self, request):
        user_link = selectors.user_link_for(tenant=request.tenant, user=request.user)
        if user_link is None:
            messages.error(request, _("ID連携されていません。"))
            return redirect("notifications:profile")
        return render(request, "notifications/profile_confirm_unlink.html", {"user_link": user_link})

    def post(self, request):
        if services.user_link_delete(tenant=request.tenant, user=request.user):
            messages.success(request, _("LINE WORKSとのID連携を解除しました。"))
        return redirect("notifications:profile")


class PreferencesView(TenantMemberRequiredMixin, View):
    def post(self, request):
        form = PreferencesForm(request.POST)
        kinds = form.cleaned_data["kinds"] if form.is_valid() else []
        services.preferences_save(tenant=request.tenant, user=request.user, enabled_kinds=kinds)
        if request.htmx:
            return render(request, "notifications/_preferences.html",
                          {"preferences_form": PreferencesForm(initial={"kinds": kinds}), "saved": True})
        messages.success(request, _("通知設定を保存しました。"))
        return redirect("notifications:profile")


# ---------------------------------------------------------------- the pages the bot links to

class LinkConfirmView(TenantMemberRequiredMixin, View):
    """「連携を開始しますか?」 → [許可する] → 「連携に成功しました」 (or the row of seed 003's error table).

    The page names the 事業所, the freee user and the LINE WORKS account, and offers [事業所を変更する]: the
    header's tenant switch (back to this page), or, for a user of one 事業所, logging in with another account."""

    template = "notifications/link_confirm.html"
    action = "link"

    def get(self, request):
        token = request.GET.get("token", "")
        link_request = None
        try:
            link_request = services.link_request_load(token=token, action=self.action)
            services.check_link_request(link_request, tenant=request.tenant, user=request.user)
        except LinkError as error:
            return self._error(error, link_request)
        return render(request, self.template, {"token": token, "link_request": link_request, "action": self.action,
                                               **self._change_tenant(link_request)})

    def post(self, request):
        token = request.POST.get("token", "")
        try:
            self.confirm(request, token)
        except LinkError as error:
            return self._error(error, self._request_of(token))
        return render(request, self.template, {"done": True, "action": self.action})

    def confirm(self, request, token):
        services.user_link_confirm(token=token, tenant=request.tenant, user=request.user)

    def _request_of(self, token):
        try:
            return services.link_request_load(token=token, action=self.action)
        except LinkError:
            return None

    def _change_tenant(self, link_request):
        """Where [事業所を変更する] leads: this page again, after a switch or a new login."""
        here = self.request.get_full_path()
        target = None
        if link_request is not None and link_request.tenant_id != self.request.tenant.pk:
            target = (Membership.objects.filter(user=self.request.user, tenant_id=link_request.tenant_id)
                      .select_related("tenant").first())
        return {"here": here, "login_again": reverse("login") + "?" + urlencode({"next": here}),
                "target_membership": target}

    def _error(self, error: LinkError, link_request=None):
        context = {"error": error, "action": self.action, **self._change_tenant(link_request)}
        return render(self.request, self.template, context, status=400)


class UnlinkConfirmView(LinkConfirmView):
    """「連携を解除しますか?」 → [許可する] → 「連携を解除しました」."""

    action = "unlink"

    def confirm(self, request, token):
        services.user_unlink_confirm(token=token, tenant=request.tenant, user=request.user)


class ApprovalView(TenantMemberRequiredMixin, View):
    """The approval button of a LINE WORKS message: check the signed token, then open the request's page."""

    def get(self, request):
        try:
            data = approval_token_load(request.GET.get("token", ""))
        except signing.BadSignature:
            return self._error(_("このリンクは無効か、有効期限が切れています。アプリから支払依頼を開いてください。"), 400)
        if data["u"] != request.user.pk:
            return self._error(_("このリンクは別のユーザー宛てです。宛先のユーザーでログインしてください。"), 403)
        if data["t"] != request.tenant.pk:
            return self._error(_("このリンクは別の事業所の支払依頼です。事業所を切り替えてから、もう一度開いてください。"), 400)
        try:
            url = reverse("payment_requests:detail", kwargs={"public_id": data["r"]})
        except NoReverseMatch:
            return self._error(_("支払依頼の画面を開けませんでした。"), 404)
        return redirect(url + "?" + urlencode({"step_id": data["s"] or "", "round": data["n"] or ""}))

    def _error(self, message, status):
        return render(self.request, "notifications/approval_error.html", {"message": message}, status=status)


# ---------------------------------------------------------------- the bot callback

@csrf_exempt
@require_POST
def lineworks_callback(request):
    """Verify X-WORKS-Signature over the raw body and X-WORKS-BotId, store the event, answer 200 at once."""
    body = request.body
    bot_id = request.headers.get("X-WORKS-BotId", "")
    link = bot.callback_verify(bot_id=bot_id, signature=request.headers.get("X-WORKS-Signature", ""), body=body)
    if link is None:
        # Never log the body: it is unauthenticated input and may carry personal data.
        logger.warning("LINE WORKS callback rejected: bad or missing signature (bot_id=%r, %d bytes)",
                       bot_id[:64], len(body))
        return HttpResponseForbidden("invalid signature")
    bot.callback_store(link=link, body=body)
    return HttpResponse(status=200)
