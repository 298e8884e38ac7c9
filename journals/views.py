"""Ledger pages (仕訳・連携): trades, 仕訳帳, 総勘定元帳, 残高試算表, 振替伝票, masters, 会計設定. Thin views."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core.errors import ApplicationError
from core.redirects import redirect_to_next
from journals import forms, freee_import, selectors, services
from journals.filters import JournalEntryFilter, TradeFilter, page_data
from journals.models import MAX_TRADE_DETAILS, AccountItem, JournalEntry, ManualJournal, Trade, TradePayment
from tenancy.access import TenantAdminRequiredMixin, TenantMemberRequiredMixin, get_tenant_object_or_404

PAGE_SIZE = 50


def _page(request, queryset, per_page: int = PAGE_SIZE) -> tuple:
    """The requested page and the query string without `page` (for the pagination links)."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _sorted(request, queryset, sorts: dict[str, list[str]], default: str):
    sort = request.GET.get("sort", default)
    key = sort.removeprefix("-")
    if key not in sorts:
        sort, key = default, default.removeprefix("-")
    fields = sorts[key]
    return queryset.order_by(*(f"-{f}" if sort.startswith("-") else f for f in fields)), sort


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _is_admin(request) -> bool:
    membership = getattr(request, "membership", None)
    return bool(membership and membership.is_admin)


class IndexView(TenantMemberRequiredMixin, View):
    def get(self, request):
        tenant = request.tenant
        settings = selectors.ledger_settings_for(tenant=tenant)
        trades = selectors.trade_list(tenant=tenant)
        context = {"settings": settings, "recent_trades": trades[:5], "trade_count": trades.count(),
                   "unsettled_count": trades.filter(settled_amount__lt=F("amount")).count(),
                   "entry_count": JournalEntry.objects.for_tenant(tenant).count(), "is_admin": _is_admin(request)}
        return render(request, "journals/index.html", context)


# ---------------------------------------------------------------- trades

TRADE_SORTS = {"issue_date": ["issue_date", "id"], "amount": ["amount", "id"], "partner": ["partner_name", "id"],
               "due_date": ["due_date", "id"]}


class TradeListView(TenantMemberRequiredMixin, View):
    def get(self, request):
        form = forms.TradeFilterForm(request.GET or None, tenant=request.tenant)
        trades = selectors.trade_list(tenant=request.tenant)
        if form.is_valid():
            trades = TradeFilter(page_data(form.cleaned_data), queryset=trades).qs
        trades, sort = _sorted(request, trades, TRADE_SORTS, "-issue_date")
        page, query = _page(request, trades)
        filtered = any(request.GET.get(k) for k in ("start", "end", "account", "kind", "status", "q"))
        return render(request, "journals/trade_list.html", {
            "form": form, "page_obj": page, "trades": page.object_list, "query": query, "sort": sort,
            "sort_query": _query_without(request, "sort", "page"), "filtered": filtered})


def _trade(request, public_id) -> Trade:
    return get_tenant_object_or_404(Trade.objects.select_related("counterpart", "deal"), request,
                                    public_id=public_id)


class TradeDetailView(TenantMemberRequiredMixin, View):
    def get(self, request, public_id):
        trade = _trade(request, public_id)
        return _render_trade_detail(request, trade, forms.PaymentForm(
            tenant=request.tenant, initial={"date": timezone.localdate(), "amount": trade.unsettled_amount,
                                            "wallet": selectors.wallet_default(tenant=request.tenant)}))


def _render_trade_detail(request, trade: Trade, payment_form, status: int = 200):
    entries = trade.entries.prefetch_related("lines__account_item", "lines__tax_code").order_by("date", "id")
    context = {"trade": trade, "details": trade.details.select_related("account_item", "tax_code"),
               "payments": trade.payments.select_related("wallet"), "entries": entries,
               "payment_form": payment_form, "editable": services.trade_is_hand_made(trade)}
    return render(request, "journals/trade_detail.html", context, status=status)


class TradePaymentCreateView(TenantMemberRequiredMixin, View):
    """支払登録: register a payment (入金/出金) of an unsettled trade; posts the clearing entry."""

    def post(self, request, public_id):
        trade = _trade(request, public_id)
        form = forms.PaymentForm(request.POST, tenant=request.tenant)
        if not form.is_valid():
            messages.error(request, _("入力内容に誤りがあります。赤字の項目を確認してください。"))
            return _render_trade_detail(request, trade, form, status=400)
        payment = services.PaymentInput(**form.cleaned_data)
        try:
            services.trade_payment_add(tenant=request.tenant, trade=trade, payment=payment,
                                       source_key=f"payment:{uuid.uuid4()}")
        except ApplicationError as error:
            form.add_error(None, error.message)
            return _render_trade_detail(request, trade, form, status=400)
        messages.success(request, _("決済を登録しました。"))
        return redirect("journals:trade_detail", public_id=trade.public_id)


class TradePaymentCancelView(TenantMemberRequiredMixin, View):
    """決済の取消 of a trade entered by hand (a document's trade: 404, it changes through its document)."""

    def post(self, request, public_id):
        payment = get_tenant_object_or_404(TradePayment.objects.select_related("trade", "wallet"), request,
                                           public_id=public_id)
        if not services.trade_is_hand_made(payment.trade):
            raise Http404
        services.trade_payment_cancel(tenant=request.tenant, actor=request.user, payment=payment)
        messages.success(request, _("決済を取り消しました。"))
        return redirect("journals:trade_detail", public_id=payment.trade.public_id)


class TradeEditView(TenantMemberRequiredMixin, View):
    """Create (no public_id) or edit a trade entered by hand, with its details and payments."""

    def get(self, request, public_id=None):
        trade = self._trade(public_id)
        if trade is None:
            initial_detail = {"tax_code": selectors.tax_code_get(tenant=request.tenant, code=129)}
            return self._render(None, forms.TradeForm(tenant=request.tenant),
                                forms.DetailFormSet(prefix="details", initial=[initial_detail],
                                                    form_kwargs={"tenant": request.tenant}),
                                forms.PaymentFormSet(prefix="payments", form_kwargs={"tenant": request.tenant}))
        data = services.trade_input_of(trade)
        return self._render(trade, forms.TradeForm(tenant=request.tenant, initial={
            "kind": trade.kind, "issue_date": trade.issue_date, "due_date": trade.due_date,
            "partner_name": trade.partner_name, "description": trade.description}),
            forms.DetailFormSet(prefix="details", form_kwargs={"tenant": request.tenant}, initial=[
                {"account_item": d.account_item, "tax_code": d.tax_code, "amount": d.amount,
                 "description": d.description} for d in data.details]),
            forms.PaymentFormSet(prefix="payments", form_kwargs={"tenant": request.tenant}, initial=[
                {"date": p.date, "wallet": p.wallet, "amount": p.amount} for p in data.payments]))

    def post(self, request, public_id=None):
        trade = self._trade(public_id)
        post = request.POST.copy()
        for prefix in ("details", "payments"):
            if f"add_{prefix}" in post:  # 行を追加 (no JavaScript): one more empty row, nothing saved
                post[f"{prefix}-TOTAL_FORMS"] = str(int(post.get(f"{prefix}-TOTAL_FORMS", 0)) + 1)
                return self._render(trade, *self._bound(post), validate=False)
        form, details, payments = self._bound(post)
        if not (form.is_valid() and details.is_valid() and payments.is_valid()):
            messages.error(request, _("入力内容に誤りがあります。赤字の項目を確認してください。"))
            return self._render(trade, form, details, payments, status=400)
        try:
            saved = self._save(trade, self._input(trade, form, details, payments))
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(trade, form, details, payments, status=400)
        messages.success(request, _("取引を保存しました。"))
        return redirect("journals:trade_detail", public_id=saved.public_id)

    def _save(self, trade: Trade | None, data: services.TradeInput) -> Trade:
        if trade is None:
            return services.trade_save(tenant=self.request.tenant, actor=self.request.user, trade=data)
        return services.trade_update(tenant=self.request.tenant, actor=self.request.user, trade=trade, data=data)

    def _bound(self, data):
        tenant = self.request.tenant
        return (forms.TradeForm(data, tenant=tenant),
                forms.DetailFormSet(data, prefix="details", form_kwargs={"tenant": tenant}),
                forms.PaymentFormSet(data, prefix="payments", form_kwargs={"tenant": tenant}))

    @staticmethod
    def _input(trade, form, details, payments) -> services.TradeInput:
        rows = [f.cleaned_data for f in details.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        paid = [f.cleaned_data for f in payments.forms if f.cleaned_data]
        data = form.cleaned_data
        return services.TradeInput(
            kind=data["kind"], issue_date=data["issue_date"], due_date=data["due_date"],
            partner_name=data["partner_name"], description=data["description"],
            details=tuple(services.DetailInput(**row) for row in rows),
            payments=tuple(services.PaymentInput(**row) for row in paid),
            source_key=trade.source_key if trade else "")

    def _trade(self, public_id) -> Trade | None:
        if public_id is None:
            return None
        return _hand_made_trade(self.request, public_id)

    def _render(self, trade, form, details, payments, status=200, validate=True):
        context = {"trade": trade, "form": form, "details": details, "payments": payments,
                   "max_details": MAX_TRADE_DETAILS, "show_errors": validate}
        return render(self.request, "journals/trade_form.html", context, status=status)


def _hand_made_trade(request, public_id) -> Trade:
    """The trade, if entered by hand: one synced from a document is a 404 here (edited through its document)."""
    trade = _trade(request, public_id)
    try:
        services.trade_check_hand_made(trade)
    except ApplicationError:
        raise Http404 from None
    return trade


class TradeDeleteView(TenantMemberRequiredMixin, View):
    def get(self, request, public_id):
        return render(request, "journals/trade_confirm_delete.html",
                      {"trade": _hand_made_trade(request, public_id)})

    def post(self, request, public_id):
        trade = _hand_made_trade(request, public_id)
        services.trade_delete(tenant=request.tenant, trade=trade)
        messages.success(request, _("取引と仕訳を削除しました。"))
        return redirect("journals:trade_list")


# ---------------------------------------------------------------- books


def _period(request, *, with_account: bool = True, default_year: bool = False):
    form = forms.PeriodForm(request.GET or None, tenant=request.tenant, with_account=with_account)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start, end = data.get("start"), data.get("end")
    if default_year and not (start or end):
        today = timezone.localdate()
        start, end = date(today.year, 1, 1), date(today.year, 12, 31)
        form = forms.PeriodForm(initial={"start": start, "end": end}, tenant=request.tenant,
                                with_account=with_account)
    return form, start, end, data.get("account")


class JournalBookView(TenantMemberRequiredMixin, View):
    """仕訳帳: every journal entry in the period, optionally only those touching one account."""

    def get(self, request):
        form, start, end, account = _period(request)
        entries = JournalEntryFilter(page_data({"start": start, "end": end, "account_item": account}),
                                     queryset=selectors.journal_entry_list(tenant=request.tenant)).qs
        entries, sort = _sorted(request, entries, {"date": ["date", "id"]}, "date")
        page, query = _page(request, entries)
        return render(request, "journals/journal_book.html", {
            "form": form, "page_obj": page, "entries": page.object_list, "query": query, "sort": sort,
            "sort_query": _query_without(request, "sort", "page"), "filtered": bool(request.GET.get("start")
                                                                                  or request.GET.get("end")
                                                                                  or account)})


class GeneralLedgerIndexView(TenantMemberRequiredMixin, View):
    """総勘定元帳: choose an account (?account=<id> jumps to its ledger)."""

    def get(self, request):
        chosen = request.GET.get("account")
        if chosen:
            account = AccountItem.objects.for_tenant(request.tenant).filter(public_id=_uuid(chosen)).first()
            if account:
                return redirect("journals:general_ledger", public_id=account.public_id)
        accounts = selectors.account_item_list(tenant=request.tenant)
        return render(request, "journals/general_ledger_index.html", {"accounts": accounts})


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class GeneralLedgerView(TenantMemberRequiredMixin, View):
    def get(self, request, public_id):
        account = get_tenant_object_or_404(AccountItem, request, public_id=public_id)
        form, start, end, _account = _period(request, with_account=False)
        opening = selectors.account_balance(tenant=request.tenant, account_item=account, before=start) if start else 0
        lines = selectors.general_ledger_lines(tenant=request.tenant, account_item=account, start=start, end=end)
        page, query = _page(request, lines)
        rows = [(line, opening + line.running) for line in page.object_list]
        closing = selectors.account_balance(tenant=request.tenant, account_item=account, until=end) if end else (
            selectors.account_balance(tenant=request.tenant, account_item=account))
        return render(request, "journals/general_ledger.html", {
            "account": account, "form": form, "page_obj": page, "rows": rows, "query": query, "opening": opening,
            "closing": closing, "start": start, "end": end,
            "accounts": selectors.account_item_list(tenant=request.tenant)})


TRIAL_SORTS = {"category", "name", "closing"}


class TrialBalanceView(TenantMemberRequiredMixin, View):
    """残高試算表: opening, debit, credit and closing per account for the period; the totals balance."""

    def get(self, request):
        form, start, end, _account = _period(request, with_account=False, default_year=True)
        start = start or date(1900, 1, 1)
        end = end or timezone.localdate()
        rows = selectors.trial_balance(tenant=request.tenant, start=start, end=end)
        sort = request.GET.get("sort", "category")
        if sort.removeprefix("-") == "name":
            rows.sort(key=lambda r: r.account.name, reverse=sort.startswith("-"))
        elif sort.removeprefix("-") == "closing":
            rows.sort(key=lambda r: r.closing, reverse=sort.startswith("-"))
        totals = {"debit": sum(r.debit for r in rows), "credit": sum(r.credit for r in rows),
                  "debit_closing": sum(r.closing for r in rows if r.account.is_debit_natured),
                  "credit_closing": sum(r.closing for r in rows if not r.account.is_debit_natured)}
        page, query = _page(request, rows, per_page=100)
        return render(request, "journals/trial_balance.html", {
            "form": form, "rows": page.object_list, "page_obj": page, "query": query, "totals": totals,
            "start": start, "end": end, "sort": sort, "sort_query": _query_without(request, "sort", "page")})


# ---------------------------------------------------------------- 振替伝票


class ManualJournalListView(TenantMemberRequiredMixin, View):
    def get(self, request):
        form, start, end, _account = _period(request, with_account=False)
        journals = selectors.manual_journal_list(tenant=request.tenant)
        if start:
            journals = journals.filter(issue_date__gte=start)
        if end:
            journals = journals.filter(issue_date__lte=end)
        journals, sort = _sorted(request, journals, {"issue_date": ["issue_date", "id"]}, "-issue_date")
        page, query = _page(request, journals)
        return render(request, "journals/manual_journal_list.html", {
            "form": form, "page_obj": page, "journals": page.object_list, "query": query, "sort": sort,
            "sort_query": _query_without(request, "sort", "page"),
            "filtered": bool(request.GET.get("start") or request.GET.get("end"))})


class ManualJournalCreateView(TenantMemberRequiredMixin, View):
    def get(self, request):
        return self._render(forms.ManualJournalForm(),
                            forms.ManualLineFormSet(prefix="lines", form_kwargs={"tenant": request.tenant},
                                                    initial=[{"side": "debit"}, {"side": "credit"}]))

    def post(self, request):
        post = request.POST.copy()
        if "add_lines" in post:
            post["lines-TOTAL_FORMS"] = str(int(post.get("lines-TOTAL_FORMS", 0)) + 1)
            return self._render(forms.ManualJournalForm(post), self._lines(post))
        form, lines = forms.ManualJournalForm(post), self._lines(post)
        if not (form.is_valid() and lines.is_valid()):
            messages.error(request, _("入力内容に誤りがあります。赤字の項目を確認してください。"))
            return self._render(form, lines, status=400)
        inputs = [services.ManualLineInput(**f.cleaned_data) for f in lines.forms if f.cleaned_data]
        try:
            services.manual_journal_create(tenant=request.tenant, actor=request.user, lines=inputs,
                                           **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(form, lines, status=400)
        messages.success(request, _("振替伝票を登録しました。"))
        return redirect("journals:manual_journal_list")

    def _lines(self, data):
        return forms.ManualLineFormSet(data, prefix="lines", form_kwargs={"tenant": self.request.tenant})

    def _render(self, form, lines, status=200):
        return render(self.request, "journals/manual_journal_form.html",
                      {"form": form, "lines": lines}, status=status)


class ManualJournalDeleteView(TenantMemberRequiredMixin, View):
    def get(self, request, public_id):
        journal = get_tenant_object_or_404(ManualJournal, request, public_id=public_id)
        return render(request, "journals/manual_journal_confirm_delete.html", {"journal": journal})

    def post(self, request, public_id):
        journal = get_tenant_object_or_404(ManualJournal, request, public_id=public_id)
        services.manual_journal_delete(tenant=request.tenant, journal=journal)
        messages.success(request, _("振替伝票を削除しました。"))
        return redirect("journals:manual_journal_list")


# ---------------------------------------------------------------- masters and settings

ACCOUNT_SORTS = {"category": ["category", "shortcut", "name"], "name": ["name"], "code": ["code", "name"]}


class AccountItemListView(TenantMemberRequiredMixin, View):
    def get(self, request):
        items = selectors.account_item_list(tenant=request.tenant)
        if request.GET.get("q"):
            items = items.filter(Q(name__icontains=request.GET["q"]) | Q(shortcut__icontains=request.GET["q"]))
        if request.GET.get("category") in AccountItem.Category.values:
            items = items.filter(category=request.GET["category"])
        items, sort = _sorted(request, items, ACCOUNT_SORTS, "category")
        page, query = _page(request, items)
        return render(request, "journals/account_item_list.html", _masters_context(request, {
            "page_obj": page, "items": page.object_list, "query": query, "sort": sort,
            "sort_query": _query_without(request, "sort", "page"), "categories": AccountItem.Category.choices}))


class TaxCodeListView(TenantMemberRequiredMixin, View):
    def get(self, request):
        codes, sort = _sorted(request, selectors.tax_code_list(tenant=request.tenant),
                              {"code": ["code"], "rate": ["rate", "code"], "name": ["name_ja"]}, "code")
        page, query = _page(request, codes)
        return render(request, "journals/tax_code_list.html", _masters_context(request, {
            "page_obj": page, "codes": page.object_list, "query": query, "sort": sort,
            "sort_query": _query_without(request, "sort", "page"),
            "rates_in_use": selectors.ledger_settings_for(tenant=request.tenant).tax_rates_in_use}))


class WalletListView(TenantMemberRequiredMixin, View):
    def get(self, request):
        wallets, sort = _sorted(request, selectors.wallet_list(tenant=request.tenant),
                                {"kind": ["kind", "name"], "name": ["name"]}, "kind")
        page, query = _page(request, wallets)
        return render(request, "journals/wallet_list.html", _masters_context(request, {
            "page_obj": page, "wallets": page.object_list, "query": query, "sort": sort,
            "sort_query": _query_without(request, "sort", "page")}))


def _masters_context(request, context: dict) -> dict:
    context.update({"is_admin": _is_admin(request),
                    "import_job": freee_import.masters_import_latest(tenant=request.tenant)})
    return context


class MastersImportView(TenantAdminRequiredMixin, View):
    """freeeから取り込む: queue the import of account items, tax codes and wallets (admins only)."""

    def post(self, request):
        try:
            freee_import.masters_import_start(tenant=request.tenant, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("freeeからの取り込みを開始しました。進捗はこのページで確認できます。"))
        return redirect_to_next(request, "journals:account_item_list")


class LedgerSettingsView(TenantAdminRequiredMixin, View):
    def get(self, request):
        settings = selectors.ledger_settings_for(tenant=request.tenant)
        return render(request, "journals/ledger_settings.html", {"form": forms.LedgerSettingsForm(instance=settings)})

    def post(self, request):
        settings = selectors.ledger_settings_for(tenant=request.tenant)
        form = forms.LedgerSettingsForm(request.POST, instance=settings)
        if not form.is_valid():
            messages.error(request, _("入力内容に誤りがあります。赤字の項目を確認してください。"))
            return render(request, "journals/ledger_settings.html", {"form": form}, status=400)
        services.ledger_settings_update(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        messages.success(request, _("会計設定を保存しました。"))
        return redirect("journals:settings")
