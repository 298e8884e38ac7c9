"""The deal page's 請求書 tab: who sees 請求書作成, what the tab says, and the API-like 403 for the rest."""

import pytest
from django.urls import reverse

from invoices.models import Invoice
from tenancy.permissions import FREEE_INVOICE_CREATE
from tests.factories import DealFactory, DealTypeFactory, InvoiceFactory, PermissionProfileFactory
from tests.isolation import assert_cross_tenant_404


@pytest.fixture
def connected(world_a):
    from integrations.models import FreeeConnection

    return FreeeConnection.objects.create(tenant=world_a.tenant, client_id="c", client_secret="s", company_id=1,
                                          access_token="t", refresh_token="r", status="connected")


def _tab(client, deal):
    return client.get(reverse("invoices:deal_tab", args=[deal.public_id])).content.decode()


def test_everyone_sees_the_button_when_profiles_are_off(world_a, linked_deal, connected):
    assert "請求書作成" in _tab(world_a.client("member"), linked_deal)


def test_with_profiles_on_only_holders_of_the_permission_see_it(world_a, linked_deal, connected):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    assert "請求書作成" not in _tab(world_a.client("member"), linked_deal)
    profile = PermissionProfileFactory(tenant=world_a.tenant, permissions=[FREEE_INVOICE_CREATE])
    world_a.member_membership.permission_profile = profile
    world_a.member_membership.save()
    assert "請求書作成" in _tab(world_a.client("member"), linked_deal)


def test_issuing_without_the_permission_is_403_and_creates_nothing(world_a, linked_deal, connected):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    response = world_a.client("member").post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                             {"partner_id": "5", "partner_name": "x"})
    assert response.status_code == 403 and "作成権限がありません" in response.content.decode()
    assert not Invoice.objects.exists()


def test_issuing_without_a_partner_says_a_freee_partner_is_needed(world_a, linked_deal, connected):
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]), {"partner_id": ""})
    assert response.status_code == 400 and "会計freeeに登録済みの取引先が必要" in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_second_issue_while_one_is_in_progress_is_refused(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, state=Invoice.State.ISSUING, freee_invoice_id=None)
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                     {"partner_id": "5", "partner_name": "x"})
    assert "処理中の請求書があります" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_a_deal_type_not_linked_to_freee_has_no_tab(world_a, connected):
    deal = DealFactory(tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=False))
    assert "請求書タブはありません" in _tab(world_a.client(), deal)
    page = world_a.client().get(reverse("deals:detail", args=[deal.public_id])).content.decode()
    assert reverse("invoices:deal_tab", args=[deal.public_id]) not in page


def test_the_deal_page_of_a_linked_type_has_a_invoice_tab_that_loads_the_invoices(world_a, linked_deal, connected):
    client = world_a.client()
    details = client.get(reverse("deals:detail", args=[linked_deal.public_id])).content.decode()
    tab_url = reverse("deals:detail", args=[linked_deal.public_id]) + "?tab=invoices"
    assert f'href="{tab_url}">請求書</a>' in details and "商品内訳" in details  # 基本情報 is the first tab
    assert reverse("invoices:deal_tab", args=[linked_deal.public_id]) not in details

    invoices = client.get(tab_url).content.decode()
    assert f'href="{tab_url}" aria-current="page">請求書</a>' in invoices
    assert reverse("invoices:deal_tab", args=[linked_deal.public_id]) in invoices and "商品内訳" not in invoices


def test_the_invoice_tab_of_an_unlinked_type_falls_back_to_the_details(world_a, connected):
    deal = DealFactory(tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=False))
    page = world_a.client().get(reverse("deals:detail", args=[deal.public_id]) + "?tab=invoices").content.decode()
    assert "商品内訳" in page and 'class="tabs"' not in page
    assert reverse("invoices:deal_tab", args=[deal.public_id]) not in page


def test_without_a_connection_the_tab_says_so(world_a, linked_deal):
    assert "freeeと接続されていません" in _tab(world_a.client(), linked_deal)


def test_the_tab_lists_invoices_with_the_four_statuses_in_japanese(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, sending_status="sent", payment_status="settled", deal_status="registered")
    page = _tab(world_a.client(), linked_deal)
    for label in ["送付済み", "決済済み", "取引登録済み", "INV-", "ステータス更新", "再連携"]:
        assert label in page


def test_other_tenants_invoice_urls_are_404(world_a, world_b):
    invoice = InvoiceFactory(deal=DealFactory(tenant=world_b.tenant), partner_name="Bの取引先")
    for name in ["invoices:row", "invoices:refresh", "invoices:resync", "invoices:retry"]:
        assert_cross_tenant_404(world_a.client(), reverse(name, args=[invoice.public_id]),
                                foreign_texts=("Bの取引先",), methods=("get", "post"))


def _profiles_on(world) -> None:
    world.tenant.uses_permission_profiles = True
    world.tenant.save()


GRANT_HINT = "権限設定機能がONのため、「freee請求書の作成」権限を持つプロファイルの割り当てが必要です。"


def test_with_profiles_on_an_admin_without_the_grant_sees_a_hint_instead_of_the_button(world_a, linked_deal,
                                                                                          connected):
    _profiles_on(world_a)

    page = _tab(world_a.client("admin"), linked_deal)

    assert "請求書作成" not in page and GRANT_HINT in page


def test_with_profiles_on_an_admin_without_the_grant_gets_403_and_no_invoice(world_a, linked_deal, connected):
    _profiles_on(world_a)

    response = world_a.client("admin").post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                            {"partner_id": "5", "partner_name": "x"})

    assert response.status_code == 403 and "作成権限がありません" in response.content.decode()
    assert not Invoice.objects.exists()


def test_with_profiles_on_an_admin_holding_the_grant_sees_the_button(world_a, linked_deal, connected):
    _profiles_on(world_a)
    world_a.admin_membership.permission_profile = PermissionProfileFactory(tenant=world_a.tenant,
                                                                           permissions=[FREEE_INVOICE_CREATE])
    world_a.admin_membership.save()

    page = _tab(world_a.client("admin"), linked_deal)

    assert "請求書作成" in page and GRANT_HINT not in page


@pytest.mark.parametrize("who", ["admin", "member"])
def test_with_profiles_off_everyone_sees_the_button_and_no_hint(world_a, linked_deal, connected, who):
    page = _tab(world_a.client(who), linked_deal)

    assert "請求書作成" in page and GRANT_HINT not in page


def test_a_member_without_the_grant_sees_neither_button_nor_the_admins_hint(world_a, linked_deal, connected):
    _profiles_on(world_a)

    page = _tab(world_a.client("member"), linked_deal)

    assert "請求書作成" not in page and GRANT_HINT not in page


# With the sandbox on (as in every test) the link opens the sandbox's 取引先 page (issue 14 item 11)
FREEE_PARTNERS_LINK = 'href="http://127.0.0.1:9/sandbox/freee/web/partners"'


def test_no_partner_chosen_links_to_freees_partner_page(world_a, linked_deal, connected):
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]), {"partner_id": ""})

    page = response.content.decode()
    assert response.status_code == 400 and "取引先を選択してください" in page
    assert FREEE_PARTNERS_LINK in page and "freeeの取引先ページ" in page


def test_other_errors_of_the_tab_have_no_partner_link(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, state=Invoice.State.PENDING, freee_invoice_id=None)

    page = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                 {"partner_id": "5", "partner_name": "x"}).content.decode()

    assert "処理中の請求書があります" in page and FREEE_PARTNERS_LINK not in page


def test_a_second_issue_while_one_needs_checking_says_to_use_retry(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, state=Invoice.State.NEEDS_CHECK, freee_invoice_id=None, post_attempts=1)

    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                     {"partner_id": "5", "partner_name": "x"})

    page = response.content.decode()
    assert response.status_code == 400 and "確認できていない請求書（要確認）" in page and "「再試行」" in page
    assert Invoice.objects.count() == 1


def _abandon(invoice) -> None:
    """The worker that claimed the row died: its claim is older than any task may run."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    Invoice.objects.filter(pk=invoice.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1))


def test_an_abandoned_issuing_row_offers_retry_and_a_live_one_does_not(world_a, linked_deal, connected):
    live = InvoiceFactory(deal=linked_deal, state=Invoice.State.ISSUING, freee_invoice_id=None, report_url="")
    retry_url = reverse("invoices:retry", args=[live.public_id])
    assert retry_url not in _tab(world_a.client(), linked_deal)

    _abandon(live)
    page = _tab(world_a.client(), linked_deal)

    assert retry_url in page and "発行処理が中断されました（要確認）" in page


def test_an_abandoned_issuing_row_blocks_a_new_issue_until_it_is_retried(world_a, linked_deal, connected):
    _abandon(InvoiceFactory(deal=linked_deal, state=Invoice.State.ISSUING, freee_invoice_id=None, post_attempts=1))

    page = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                 {"partner_id": "5", "partner_name": "x"}).content.decode()

    assert "「再試行」" in page and Invoice.objects.count() == 1


def test_the_row_shows_the_consumption_tax_next_to_the_total(world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, total_amount=135795, amount_tax=12345)

    page = _tab(world_a.client(), linked_deal)

    assert '<th class="num">消費税</th>' in page
    assert '<td class="num">135,795円</td>\n  <td class="num">12,345円</td>' in page


def test_a_needs_check_row_keeps_polling_like_an_issuing_one(world_a, linked_deal):
    checking = InvoiceFactory(deal=linked_deal, state=Invoice.State.NEEDS_CHECK, freee_invoice_id=None, report_url="")
    issued = InvoiceFactory(deal=linked_deal)

    def row(invoice):
        return world_a.client().get(reverse("invoices:row", args=[invoice.public_id])).content.decode()

    assert f'hx-get="{reverse("invoices:row", args=[checking.public_id])}"' in row(checking)
    assert "hx-trigger=\"every" in row(checking) and "hx-trigger" not in row(issued)


# ----------------------------------------------------------------- issue 14 item 1: one partner on screen and sent


def test_text_typed_but_not_chosen_blocks_issue_server_side(world_a, linked_deal, connected):
    """Chose A, then cleared the box and typed B without choosing: 発行 must not go to A (nor to B)."""
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                     {"q": "株式会社B", "partner_id": "5", "partner_name": "株式会社A"})
    body = response.content.decode()
    assert response.status_code == 400 and "取引先「株式会社B」はまだ選択されていません" in body
    assert not Invoice.objects.exists()
    # The re-rendered tab keeps what was typed and shows no partner chosen: box, hidden fields and hint agree.
    assert 'value="株式会社B"' in body and 'name="partner_id" id="partner-id" value=""' in body
    hint = body.split('id="partner-chosen"')[1].split("</span>")[0].split(">", 1)[1]
    assert hint == "取引先: 未選択（検索結果から選んでください）"


def test_a_cleared_box_with_a_partner_still_chosen_blocks_issue(world_a, linked_deal, connected):
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                     {"q": "", "partner_id": "5", "partner_name": "株式会社A"})
    assert response.status_code == 400 and "取引先が選択されていません" in response.content.decode()
    assert not Invoice.objects.exists()


def test_the_chosen_partner_in_the_box_issues_to_it(world_a, linked_deal, connected):
    response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                     {"q": " 株式会社A ", "partner_id": "5", "partner_name": "株式会社A"})
    assert response.status_code == 200
    assert Invoice.objects.get().partner_name == "株式会社A"


def test_the_tab_shows_the_same_partner_in_box_hidden_fields_and_hint(world_a, connected):
    deal = DealFactory(tenant=world_a.tenant, partner_freee_id=7, partner_name="山田商事",
                       deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=True))
    body = _tab(world_a.client(), deal)
    assert 'id="partner-search" name="q"' in body and 'value="山田商事"' in body
    assert 'name="partner_id" id="partner-id" value="7"' in body
    assert 'name="partner_name" id="partner-name" value="山田商事"' in body
    assert "選択中: 山田商事" in body
    # A name without a freee partner (typed on the deal, never chosen) is in the box but not chosen.
    deal.partner_freee_id = None
    deal.save()
    body = _tab(world_a.client(), deal)
    assert 'name="partner_name" id="partner-name" value=""' in body and "未選択" in body


# ----------------------------------------------------------------- issue 14 item 3: 発行 sets the deal's partner openly


def test_issue_sets_the_deal_partner_openly_bumps_updated_at_and_is_audited(world_a, connected):
    from core.models import AuditEntry

    deal = DealFactory(tenant=world_a.tenant, partner_freee_id=None, partner_name="手入力の取引先",
                       deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=True))
    updated_before = deal.updated_at
    response = world_a.client().post(reverse("invoices:issue", args=[deal.public_id]),
                                     {"q": "株式会社A", "partner_id": "5", "partner_name": "株式会社A"})
    assert "案件の取引先を、freeeの取引先「株式会社A」に設定しました。" in response.content.decode()
    deal.refresh_from_db()
    assert (deal.partner_freee_id, deal.partner_name) == (5, "株式会社A")
    assert deal.updated_at > updated_before and deal.partner_set_from_freee_at is not None
    entry = AuditEntry.objects.get(tenant=world_a.tenant, action="deal.partner_set_from_freee")
    assert entry.changes == {"partner_name": ["手入力の取引先", "株式会社A"], "partner_freee_id": [None, 5]}
    assert entry.target_id == str(deal.public_id) and entry.actor == world_a.member
    page = world_a.client().get(reverse("deals:detail", args=[deal.public_id])).content.decode()
    assert "請求書の発行時にfreeeの取引先から設定" in page


def test_issue_to_the_deal_partner_again_changes_nothing_on_the_deal(world_a, connected):
    from core.models import AuditEntry

    deal = DealFactory(tenant=world_a.tenant, partner_freee_id=5, partner_name="株式会社A",
                       deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=True))
    response = world_a.client().post(reverse("invoices:issue", args=[deal.public_id]),
                                     {"q": "株式会社A", "partner_id": "5", "partner_name": "株式会社A"})
    assert response.status_code == 200 and "に設定しました" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="deal.partner_set_from_freee").exists()
    deal.refresh_from_db()
    assert deal.partner_set_from_freee_at is None


# ----------------------------------------------------------------- issue 14 item 4: manual numbering asks for the number


def test_the_tab_asks_for_the_invoice_number_only_when_freee_numbering_is_manual(world_a, linked_deal, connected):
    assert 'name="invoice_number"' not in _tab(world_a.client(), linked_deal)
    connected.invoice_numbering = "manual"
    connected.save()
    body = _tab(world_a.client(), linked_deal)
    assert 'name="invoice_number"' in body and "「手動採番」のため" in body


def test_manual_numbering_issue_without_a_number_says_why_and_keeps_the_form(world_a, linked_deal, connected):
    connected.invoice_numbering = "manual"
    connected.save()
    url = reverse("invoices:issue", args=[linked_deal.public_id])
    response = world_a.client().post(url, {"q": "A社", "partner_id": "5", "partner_name": "A社", "invoice_number": " "})
    assert response.status_code == 400 and "請求書番号を入力してください" in response.content.decode()
    assert not Invoice.objects.exists()
    response = world_a.client().post(url, {"q": "A社", "partner_id": "5", "partner_name": "A社",
                                           "invoice_number": "INV-0042"})
    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.invoice_number == "INV-0042" and invoice.reference != "INV-0042"
