"""Ledger pages: each renders in Japanese with its data, empty states, forms, admin-only screens, isolation."""

from __future__ import annotations

from datetime import date

import pytest

from journals.models import JournalEntry, LedgerSettings, ManualJournal, Trade
from journals.services import ManualLineInput, TradeInput, manual_journal_create, trade_save
from tests.isolation import assert_cross_tenant_404
from tests.journals.factories import ledger_for
from tests.journals.isolation import OBJECT_FACTORIES

pytestmark = pytest.mark.django_db

PAGES = ["journals:index", "journals:trade_list", "journals:trade_create", "journals:journal_book",
         "journals:general_ledger_index", "journals:trial_balance", "journals:manual_journal_list",
         "journals:manual_journal_create", "journals:account_item_list", "journals:tax_code_list",
         "journals:wallet_list"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_member_of_a_fresh_tenant(world_a, name):
    from django.urls import reverse

    response = world_a.client("member").get(reverse(name))
    assert response.status_code == 200
    assert "仕訳・連携" in response.content.decode()


def test_empty_states(world_a):
    client = world_a.client("member")
    assert "取引はまだありません" in client.get("/journals/trades/").content.decode()
    assert "仕訳はまだありません" in client.get("/journals/journal/").content.decode()
    assert "振替伝票はまだありません" in client.get("/journals/manual-journals/").content.decode()


def test_nav_links_to_the_journals_index(world_a):
    body = world_a.client("member").get("/deals/").content.decode()
    assert 'href="/journals/"' in body


def test_trade_list_filters_sorts_and_links(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.save_sale(1000, key="a", on=date(2026, 4, 1), partner_name="青葉商事X")
    ledger.save_sale(3000, key="b", on=date(2026, 5, 1), partner_name="いろは物産Y")
    client = world_a.client("member")
    body = client.get("/journals/trades/?sort=amount").content.decode()
    assert body.index("青葉商事X") < body.index("いろは物産Y")
    body = client.get("/journals/trades/?sort=-amount").content.decode()
    assert body.index("いろは物産Y") < body.index("青葉商事X")
    body = client.get("/journals/trades/?start=2026-04-15").content.decode()
    assert "いろは物産Y" in body and "青葉商事X" not in body
    body = client.get("/journals/trades/?start=2027-01-01").content.decode()
    assert "条件に一致する取引はありません" in body


def test_create_a_trade_with_details_and_a_payment_through_the_form(world_a):
    ledger = ledger_for(world_a.tenant)
    client = world_a.client("member")
    response = client.post("/journals/trades/new/", {
        "kind": "income", "issue_date": "2026-04-01", "partner_name": "青葉商事", "description": "",
        "details-TOTAL_FORMS": "2", "details-INITIAL_FORMS": "0",
        "details-0-account_item": ledger.account("売上高").pk, "details-0-tax_code": ledger.tax(101).pk,
        "details-0-amount": "290",
        "details-1-account_item": ledger.account("預り金").pk, "details-1-tax_code": ledger.tax(2).pk,
        "details-1-amount": "10",
        "payments-TOTAL_FORMS": "1", "payments-INITIAL_FORMS": "0",
        "payments-0-date": "2026-04-01", "payments-0-wallet": ledger.wallet("現金").pk, "payments-0-amount": "100",
    })
    trade = Trade.objects.for_tenant(world_a.tenant).get()
    assert response.status_code == 302 and response.url == f"/journals/trades/{trade.public_id}/"
    assert (trade.amount, trade.unsettled_amount) == (300, 200)
    body = client.get(response.url).content.decode()
    assert "売掛金" in body and "預り金" in body and "入金を登録" in body


def test_add_row_button_adds_a_detail_row_without_saving(world_a):
    ledger = ledger_for(world_a.tenant)
    response = world_a.client("member").post("/journals/trades/new/", {
        "kind": "income", "issue_date": "2026-04-01", "add_details": "1",
        "details-TOTAL_FORMS": "1", "details-INITIAL_FORMS": "0", "details-0-account_item": ledger.account("売上高").pk,
        "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert 'name="details-1-amount"' in response.content.decode()
    assert not Trade.objects.exists()


def test_more_than_100_details_are_refused(world_a):
    ledger = ledger_for(world_a.tenant)
    data = {"kind": "income", "issue_date": "2026-04-01", "details-TOTAL_FORMS": "101", "details-INITIAL_FORMS": "0",
            "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "0"}
    for i in range(101):
        data.update({f"details-{i}-account_item": ledger.account("売上高").pk,
                     f"details-{i}-tax_code": ledger.tax(129).pk, f"details-{i}-amount": "1"})
    response = world_a.client("member").post("/journals/trades/new/", data)
    assert response.status_code == 400
    assert not Trade.objects.exists()


def test_register_a_payment_posts_the_clearing_entry(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(5000)
    response = world_a.client("member").post(f"/journals/trades/{trade.public_id}/payments/", {
        "date": "2026-04-30", "wallet": ledger.wallet("普通預金").pk, "amount": "5000"})
    assert response.status_code == 302
    trade.refresh_from_db()
    assert trade.is_settled
    assert trade.entries.filter(kind=JournalEntry.Kind.PAYMENT).count() == 1


def test_a_payment_above_the_unsettled_amount_shows_the_error(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(5000)
    response = world_a.client("member").post(f"/journals/trades/{trade.public_id}/payments/", {
        "date": "2026-04-30", "wallet": ledger.wallet("普通預金").pk, "amount": "6000"})
    assert response.status_code == 400
    assert "未決済の金額" in response.content.decode()


def test_trades_from_documents_are_not_edited_here(world_a):
    trade = ledger_for(world_a.tenant).save_sale(5000, key="invoice:1")
    client = world_a.client("member")
    assert client.get(f"/journals/trades/{trade.public_id}/edit/").status_code == 404
    assert "連携元の帳票を編集" in client.get(f"/journals/trades/{trade.public_id}/").content.decode()


def test_delete_asks_for_confirmation_then_deletes(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="income", issue_date=date(2026, 4, 1), details=(ledger.detail("売上高", 100),)))
    client = world_a.client("member")
    assert "取り消せません" in client.get(f"/journals/trades/{trade.public_id}/delete/").content.decode()
    assert client.post(f"/journals/trades/{trade.public_id}/delete/").status_code == 302
    assert not Trade.objects.exists() and not JournalEntry.objects.exists()


def test_general_ledger_shows_a_running_balance(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.save_sale(1000, key="a", on=date(2026, 4, 1))
    ledger.save_sale(2000, key="b", on=date(2026, 4, 2))
    ledger.save_sale(4000, key="c", on=date(2026, 4, 3))
    receivable = ledger.account("売掛金")
    response = world_a.client("member").get(f"/journals/ledger/{receivable.public_id}/?start=2026-04-02")
    assert "期首残高" in response.content.decode()
    assert response.context["opening"] == 1000
    assert [balance for _line, balance in response.context["rows"]] == [3000, 7000]
    assert response.context["closing"] == 7000


def test_trial_balance_totals_balance(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.save_sale(1100, key="a", on=date(2026, 3, 1))
    ledger.save_sale(2200, key="b", on=date(2026, 4, 2), payments=[ledger.payment(2200, date(2026, 4, 2))])
    response = world_a.client("member").get("/journals/trial-balance/?start=2026-04-01&end=2026-04-30")
    totals = response.context["totals"]
    assert totals["debit"] == totals["credit"] == 2200
    rows = {row.account.name: row for row in response.context["rows"]}
    assert (rows["売掛金"].opening, rows["売掛金"].closing) == (1100, 1100)
    assert (rows["売上高"].opening, rows["売上高"].credit, rows["売上高"].closing) == (1100, 2200, 3300)
    assert totals["debit_closing"] == totals["credit_closing"]


def test_manual_journal_form_refuses_unbalanced_and_saves_balanced(world_a):
    ledger = ledger_for(world_a.tenant)
    client = world_a.client("member")
    base = {"issue_date": "2026-04-01", "description": "振替テスト", "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0", "lines-0-side": "debit", "lines-0-account_item": ledger.account("現金").pk,
            "lines-0-amount": "500", "lines-1-side": "credit", "lines-1-account_item": ledger.account("普通預金").pk}
    response = client.post("/journals/manual-journals/new/", {**base, "lines-1-amount": "400"})
    assert response.status_code == 400 and "一致しません" in response.content.decode()
    response = client.post("/journals/manual-journals/new/", {**base, "lines-1-amount": "500"})
    assert response.status_code == 302
    assert ManualJournal.objects.for_tenant(world_a.tenant).get().entries.get().lines.count() == 2


def test_manual_journal_delete_needs_confirmation(world_a):
    ledger = ledger_for(world_a.tenant)
    journal = manual_journal_create(tenant=world_a.tenant, issue_date=date(2026, 4, 1), description="x", lines=[
        ManualLineInput(side="debit", account_item=ledger.account("現金"), amount=1),
        ManualLineInput(side="credit", account_item=ledger.account("普通預金"), amount=1)])
    client = world_a.client("member")
    assert "取り消せません" in client.get(f"/journals/manual-journals/{journal.public_id}/delete/").content.decode()
    client.post(f"/journals/manual-journals/{journal.public_id}/delete/")
    assert not ManualJournal.objects.exists() and not JournalEntry.objects.exists()


def test_ledger_settings_are_admin_only_and_saved(world_a):
    assert world_a.client("member").get("/journals/settings/").status_code == 403
    client = world_a.client("admin")
    assert "会計設定" in client.get("/journals/settings/").content.decode()
    response = client.post("/journals/settings/", {"tax_accounting": "exclusive", "tax_rounding": "round"})
    assert response.status_code == 302
    settings = LedgerSettings.objects.get(tenant=world_a.tenant)
    assert (settings.tax_accounting, settings.tax_rounding) == ("exclusive", "round")


def test_settings_nav_has_the_ledger_settings(world_a):
    assert 'href="/journals/settings/"' in world_a.client("admin").get("/journals/settings/").content.decode()


def test_masters_import_is_admin_only_and_explains_a_missing_connection(world_a):
    assert world_a.client("member").post("/journals/masters/import/").status_code == 403
    response = world_a.client("admin").post("/journals/masters/import/", follow=True)
    assert "freeeと接続されていません" in response.content.decode()


@pytest.mark.parametrize("route", [r for r in OBJECT_FACTORIES if r.startswith("journals:")])
def test_other_tenants_objects_are_404(world_a, world_b, route):
    from django.urls import reverse

    make, secret = OBJECT_FACTORIES[route]
    url = reverse(route, kwargs={"public_id": make(world_b).public_id})
    assert_cross_tenant_404(world_a.client("member"), url, foreign_texts=(secret,), methods=("get", "post"))
