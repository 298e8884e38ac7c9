"""Deal pages: list (filter, sort, paginate), detail, create, edit, delete."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.errors import ApplicationError
from core.redirects import redirect_to_next
from deals import amounts, csv_export, forms, selectors, services
from deals.filters import DEFAULT_SORT, SORTS, DealFilter
from deals.forms import DealForm, DealLineFormSet, DealTypeForm
from deals.models import Deal
from integrations.freee import partners
from tenancy.access import (
    TenantAdminRequiredMixin,
    TenantMemberRequiredMixin,
    check_member_perm,
    get_tenant_object_or_404,
)
from tenancy.permissions import CSV_EXPORT, DEAL_IMPORT

PAGE_SIZE = 50
PAGE_SIZES = {"20", "50", "100"}


def _filtered_deals(request) -> tuple[DealFilter, str]:
    """The list's filterset over the tenant's deals in the requested sort (shared by the page and the CSV)."""
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    filterset = DealFilter(request.GET, queryset=selectors.deal_list(tenant=request.tenant, sort=sort),
                           tenant=request.tenant)
    return filterset, sort


class DealListView(TenantMemberRequiredMixin, View):
    def get(self, request):
        filterset, sort = _filtered_deals(request)
        per_page = int(request.GET["per_page"]) if request.GET.get("per_page") in PAGE_SIZES else PAGE_SIZE
        page = Paginator(filterset.qs, per_page).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"filter": filterset, "page_obj": page, "deals": page.object_list, "sort": sort,
                   "query": query.urlencode(), "can_export": request.membership.has_perm(CSV_EXPORT),
                   "can_import": request.membership.has_perm(DEAL_IMPORT)}
        return render(request, "deals/deal_list.html", context)


class DealCsvView(TenantMemberRequiredMixin, View):
    """CSVダウンロード of the list with its current filters and sort (「CSVエクスポート」): UTF-8, ?bom=1 (or
    ?encoding=utf-8-sig) for Excel, ?encoding=cp932 for Shift_JIS."""

    def get(self, request):
        check_member_perm(request, CSV_EXPORT)
        try:
            encoding = csv_export.csv_encoding_from(request.GET)
        except ApplicationError as error:
            hint = _("案件一覧の「CSVダウンロード」のリンクから、もう一度ダウンロードしてください。")
            return render(request, "errors/400.html", {"message": error.message, "hint": hint}, status=400)
        filterset, _sort = _filtered_deals(request)
        return csv_export.deal_csv_export(filterset.qs, tenant=request.tenant, actor=request.user, encoding=encoding,
                                          filters=request.GET.urlencode())


class DealDetailView(TenantMemberRequiredMixin, View):
    def get(self, request, public_id):
        deal = get_tenant_object_or_404(Deal.objects.select_related("deal_type", "owner"), request,
                                        public_id=public_id)
        # Tabs: 基本情報 (details and 商品内訳) and, for deal types linked to freee, 請求書 (seed 000).
        tab = "invoices" if request.GET.get("tab") == "invoices" and deal.deal_type.linked_to_freee else "details"
        lines = list(selectors.deal_lines(deal=deal)) if tab == "details" else []
        totals = amounts.deal_totals(deal.amount, lines, tax_fraction=amounts.tax_fraction_for(request.tenant))
        return render(request, "deals/deal_detail.html", {"deal": deal, "lines": lines, "tab": tab,
                                                           "totals": totals})


class DealEditView(TenantMemberRequiredMixin, View):
    """Create (no public_id) or edit a deal with its product lines.

    The page posts back here with `line_action` (行を追加 "add", 削除 "remove-<row>", the live "totals") to get the
    lines or the totals again without saving: with htmx as a partial, without JavaScript as the whole form."""

    def get(self, request, public_id=None):
        deal = self._deal(public_id)
        form, formset = DealForm(instance=deal, tenant=request.tenant), DealLineFormSet(instance=deal,
                                                                                         tenant=request.tenant)
        return self._render(deal, form, formset)

    def post(self, request, public_id=None):
        deal = self._deal(public_id)
        if "line_action" in request.POST:
            return self._line_action(deal, request.POST["line_action"])
        form = DealForm(request.POST, instance=deal, tenant=request.tenant)
        formset = DealLineFormSet(request.POST, instance=deal, tenant=request.tenant)
        if not (form.is_valid() and formset.is_valid()):
            messages.error(request, _("入力内容に誤りがあります。赤字の項目を確認してください。"))
            return self._render(deal, form, formset, status=400)
        try:
            with transaction.atomic():
                lines = [f.save(commit=False) for f in formset.forms
                         if f.cleaned_data and f not in formset.deleted_forms]
                deal = services.deal_save(tenant=request.tenant, actor=request.user, deal=form.save(commit=False),
                                          lines=lines, deleted_lines=[f.instance for f in formset.deleted_forms])
        except ValidationError as error:
            for messages_ in error.message_dict.values():
                for message in messages_:
                    form.add_error(None, message)
            messages.error(request, _("入力内容に誤りがあります。赤字の項目を確認してください。"))
            return self._render(deal, form, formset, status=400)
        messages.success(request, _("案件「%(name)s」を保存しました。") % {"name": deal.name})
        return redirect("deals:detail", public_id=deal.public_id)

    def _line_action(self, deal, action: str):
        """Add or remove a row, or only recompute the totals; the form is shown again, never saved or judged."""
        data, notice, focus = self.request.POST, "", None
        if action == "add":
            data, notice = forms.lines_data_add(data, tenant=self.request.tenant)
            focus = None if notice else forms.line_count(data) - 1
        elif action.startswith("remove-") and action.removeprefix("remove-").isdigit():
            data = forms.lines_data_remove(data, int(action.removeprefix("remove-")))
        form = DealForm(data, instance=deal, tenant=self.request.tenant)
        formset = DealLineFormSet(data, instance=deal, tenant=self.request.tenant)
        if focus is not None and focus < len(formset.forms):  # the new row's 品名 gets the cursor (htmx: autofocus)
            formset.forms[focus].fields["description"].widget.attrs["autofocus"] = True
        if not self.request.htmx:
            return self._render(deal, form, formset, show_errors=False, lines_notice=notice)
        template = "deals/_deal_totals.html" if action == "totals" else "deals/_deal_lines.html"
        context = {**self._context(deal, form, formset, show_errors=False), "lines_notice": notice,
                   "oob_totals": True}
        return render(self.request, template, context)

    def _deal(self, public_id):
        if public_id is None:
            return Deal(tenant=self.request.tenant, owner=self.request.user)
        return get_tenant_object_or_404(Deal, self.request, public_id=public_id)

    def _context(self, deal, form, formset, *, show_errors=True) -> dict:
        """The form's context with its live totals (小計・消費税・合計) of what is typed so far."""
        lines = forms.typed_lines(formset) if formset.is_bound else list(formset.queryset)
        totals = amounts.deal_totals(_whole_yen(form["amount"].value()), lines,
                                     tax_fraction=amounts.tax_fraction_for(self.request.tenant))
        return {"deal": deal, "form": form, "formset": formset, "totals": totals, "show_errors": show_errors,
                "form_url": self.request.path, "partner_chosen": form.partner_chosen,
                "partner_errors": form.partner_errors if show_errors else []}

    def _render(self, deal, form, formset, status=200, *, show_errors=True, lines_notice=""):
        context = {**self._context(deal, form, formset, show_errors=show_errors), "lines_notice": lines_notice}
        return render(self.request, "deals/deal_form.html", context, status=status)


def _whole_yen(value) -> int:
    """A typed 金額 for the live totals: 0 while it is not a number within the limit yet."""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return 0
    return amount if 0 <= amount <= amounts.AMOUNT_MAX else 0


class DealPartnerSearchView(TenantMemberRequiredMixin, View):
    """The deal form's 取引先 box: freee's partners as the user types (the 請求書 tab's search, without a deal)."""

    def get(self, request):
        search = partners.partner_search(tenant=request.tenant, keyword=request.GET.get("partner_search", ""))
        return render(request, "includes/partner_results.html", {"search": search})


class DealDeleteView(TenantMemberRequiredMixin, View):
    """削除 with a confirmation that says up front when the deal cannot be deleted (it has invoices)."""

    def get(self, request, public_id):
        deal = get_tenant_object_or_404(Deal, request, public_id=public_id)
        blockers = selectors.deal_delete_blockers(deal=deal)
        reason = ""
        if blockers:
            things = "、".join(_("%(kind)s（%(count)s件）") % {"kind": kind, "count": count}
                               for kind, count in blockers.items())
            reason = _("案件「%(name)s」には%(things)sがあるため、削除できません。") % {"name": deal.name, "things": things}
        return render(request, "deals/deal_confirm_delete.html", {"deal": deal, "blocked_reason": reason})

    def post(self, request, public_id):
        deal = get_tenant_object_or_404(Deal, request, public_id=public_id)
        try:
            services.deal_delete(deal=deal, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("deals:detail", public_id=deal.public_id)
        messages.success(request, _("案件「%(name)s」を削除しました。") % {"name": deal.name})
        return redirect("deals:list")


class DealTypeListView(TenantAdminRequiredMixin, View):
    """案件タイプ: add types and choose which are linked to freee ("標準" when the tenant uses no types)."""

    def get(self, request):
        return self._render()

    def post(self, request):
        if request.POST.get("action") == "add":
            form = DealTypeForm(request.POST)
            if not form.is_valid():
                return self._render(form=form, status=400)
            try:
                services.deal_type_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error("name", error.message_dict["name"])
                return self._render(form=form, status=400)
            messages.success(request, _("案件タイプを追加しました。"))
        else:
            linked = set(request.POST.getlist("linked"))
            services.deal_types_set_freee_links(tenant=request.tenant, actor=request.user, linked_public_ids=linked)
            messages.success(request, _("freeeへ連携する案件タイプを保存しました。"))
        return redirect_to_next(request, "deals:type_list")

    def _render(self, form=None, status=200):
        services.deal_type_get_or_create_default(tenant=self.request.tenant)
        template = "deals/_deal_type_links.html" if self.request.GET.get("partial") else "deals/deal_type_list.html"
        context = {"deal_types": selectors.deal_type_list(tenant=self.request.tenant),
                   "form": form or DealTypeForm(), "next": self.request.GET.get("next", "")}
        return render(self.request, template, context, status=status)
