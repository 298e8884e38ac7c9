"""issue 14 item 8: the deal form is a real form. 取引先 is chosen with the partner search of the 請求書 tab;
商品内訳 lines are added and removed in place (htmx partials of the same view, nothing saved until 保存) and
小計 / 消費税 / 合計 are shown live from what is typed."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Deal, DealLine
from integrations.sandbox.services import sandbox_partner_create
from tests.deals.test_views_deals import CREATE_URL, deal_post, edit_url, line_post
from tests.factories import DealFactory, DealLineFactory, DealTypeFactory
from tests.invoices.conftest import first_partner, sandbox  # noqa: F401 (the fixture: a tenant on a sandbox company)

HTMX = {"HTTP_HX_REQUEST": "true"}
PARTNER_SEARCH_URL = "/deals/partners/"
NOT_CHOSEN = "取引先「別の会社」はまだ選択されていません。検索結果から取引先を選ぶか、欄を空にしてください。"


@pytest.fixture
def deal_type_a(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="受託開発")


def partner_fields(typed: str, partner_id="", name: str = "") -> dict:
    return {"partner_search": typed, "partner_freee_id": str(partner_id), "partner_name": name}


def rows(page: str) -> list[str]:
    """The line rows shown (not the removed ones kept as hidden fields), by their 品名・摘要 as filled in."""
    found = []
    for row in re.findall(r'<tr class="line-row".*?</tr>', page, re.S):
        description = re.search(r'<input[^>]*name="lines-\d+-description"[^>]*>', row).group(0)
        value = re.search(r'value="([^"]*)"', description)
        found.append(value.group(1) if value else "")
    return found


def total_forms(page: str) -> int:
    return int(re.search(r'name="lines-TOTAL_FORMS" value="(\d+)"', page).group(1))


# --------------------------------------------------------------------------- 取引先


def test_the_form_searches_freees_partners_like_the_invoice_tab(world_a):
    page = world_a.client().get(CREATE_URL).content.decode()

    assert 'id="partner-search" name="partner_search"' in page
    assert f'hx-get="{PARTNER_SEARCH_URL}"' in page
    assert 'name="partner_freee_id" id="partner-id" value=""' in page
    assert 'id="partner-chosen"' in page


def test_saving_with_a_chosen_partner_sets_the_deals_partner(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="取引先つき", **partner_fields("山田商事", 7, "山田商事"))

    assert world_a.client().post(CREATE_URL, data).status_code == 302

    deal = Deal.objects.get(name="取引先つき")
    assert (deal.partner_freee_id, deal.partner_name) == (7, "山田商事")


def test_typed_text_that_was_not_chosen_is_a_form_error_and_saves_nothing(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="取り違え", **partner_fields("別の会社", 7, "山田商事"))

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 400
    assert response.context["form"].errors["partner_search"] == [NOT_CHOSEN]
    page = response.content.decode()
    assert NOT_CHOSEN in page
    # the box keeps the text, and nothing claims a partner is chosen any more
    assert 'value="別の会社"' in page and 'name="partner_freee_id" id="partner-id" value=""' in page
    assert not Deal.objects.exists()


def test_clearing_the_box_removes_the_partner(world_a, deal_type_a):
    deal = DealFactory(
        tenant=world_a.tenant,
        deal_type=deal_type_a,
        partner_freee_id=7,
        partner_name="山田商事",
        partner_set_from_freee_at=timezone.now(),
    )

    response = world_a.client().post(edit_url(deal), deal_post(deal_type_a, name=deal.name, **partner_fields("")))

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.partner_freee_id, deal.partner_name, deal.partner_set_from_freee_at) == (None, "", None)


def test_the_edit_form_shows_the_deals_partner_as_chosen(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, partner_freee_id=7, partner_name="山田商事")

    page = world_a.client().get(edit_url(deal)).content.decode()

    assert 'name="partner_search" autocomplete="off"' in page and 'value="山田商事"' in page
    assert 'name="partner_freee_id" id="partner-id" value="7"' in page
    assert "選択中: 山田商事" in page


def test_a_partner_name_from_the_crm_is_kept_when_the_box_is_left_alone(world_a, deal_type_a):
    deal = DealFactory(
        tenant=world_a.tenant, deal_type=deal_type_a, partner_freee_id=None, partner_name="株式会社CRM商事"
    )
    page = world_a.client().get(edit_url(deal)).content.decode()
    assert 'value="株式会社CRM商事"' in page and 'name="partner_freee_id" id="partner-id" value=""' in page

    data = deal_post(deal_type_a, name="名前を変えただけ", **partner_fields("株式会社CRM商事"))
    assert world_a.client().post(edit_url(deal), data).status_code == 302

    deal.refresh_from_db()
    assert (deal.name, deal.partner_freee_id, deal.partner_name) == ("名前を変えただけ", None, "株式会社CRM商事")


def test_choosing_another_partner_ends_the_set_from_freee_note(world_a, deal_type_a):
    deal = DealFactory(
        tenant=world_a.tenant,
        deal_type=deal_type_a,
        partner_freee_id=7,
        partner_name="山田商事",
        partner_set_from_freee_at=timezone.now(),
    )

    data = deal_post(deal_type_a, name=deal.name, **partner_fields("鈴木物産", 8, "鈴木物産"))
    assert world_a.client().post(edit_url(deal), data).status_code == 302

    deal.refresh_from_db()
    assert (deal.partner_freee_id, deal.partner_name, deal.partner_set_from_freee_at) == (8, "鈴木物産", None)


def test_saving_the_same_partner_keeps_the_set_from_freee_note(world_a, deal_type_a):
    at = timezone.now()
    deal = DealFactory(
        tenant=world_a.tenant,
        deal_type=deal_type_a,
        partner_freee_id=7,
        partner_name="山田商事",
        partner_set_from_freee_at=at,
    )

    data = deal_post(deal_type_a, name="改名", **partner_fields("山田商事", 7, "山田商事"))
    assert world_a.client().post(edit_url(deal), data).status_code == 302

    deal.refresh_from_db()
    assert deal.partner_set_from_freee_at == at


@pytest.mark.parametrize("partner_id", ["0", "-3", str(10**30), "abc"])
def test_a_bad_partner_id_is_a_form_error_not_a_500(world_a, deal_type_a, partner_id):
    data = deal_post(deal_type_a, **partner_fields("山田商事", partner_id, "山田商事"))

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 400 and "partner_freee_id" in response.context["form"].errors
    assert not Deal.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_forms_partner_search_asks_the_tenants_freee_company(sandbox, world_a):  # noqa: F811 - the fixture
    company, _connection = sandbox
    partner = first_partner(company)

    page = world_a.client().get(PARTNER_SEARCH_URL, {"partner_search": partner["name"][:2]}).content.decode()

    assert f'data-partner-id="{partner["id"]}"' in page and f'data-partner-name="{partner["name"]}"' in page


@pytest.mark.django_db(transaction=True)
def test_a_partner_registered_after_a_search_found_nothing_is_found_at_once(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    client = world_a.client()
    search = {"partner_search": "みらい工房"}
    assert "一致する取引先がfreeeにありません" in client.get(PARTNER_SEARCH_URL, search).content.decode()

    sandbox_partner_create(company=company, name="株式会社みらい工房")  # as on freee's 取引先 page

    assert 'data-partner-name="株式会社みらい工房"' in client.get(PARTNER_SEARCH_URL, search).content.decode()


def test_the_forms_partner_search_without_freee_says_so(world_a):
    page = world_a.client().get(PARTNER_SEARCH_URL, {"partner_search": "山田"}).content.decode()

    assert "freeeと接続されていません" in page


def test_an_empty_partner_search_asks_nothing(world_a):
    response = world_a.client().get(PARTNER_SEARCH_URL, {"partner_search": "  "})

    assert response.status_code == 200 and "partner-results" not in response.content.decode()
    assert "freee" not in response.content.decode()


# --------------------------------------------------------------------------- lines in place


def test_adding_a_line_answers_the_lines_with_one_more_empty_row_and_saves_nothing(world_a, deal_type_a):
    data = deal_post(deal_type_a, lines=[line_post(description="設計")], line_action="add")

    response = world_a.client().post(CREATE_URL, data, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page  # the partial, not the page
    assert rows(page) == ["設計", ""] and total_forms(page) == 2
    assert 'name="lines-1-quantity"' in page and 'value="1"' in page  # the new row has the defaults
    assert "この項目は必須です" not in page  # a half-typed form is not judged before 保存
    assert not Deal.objects.exists()


def test_adding_a_line_without_javascript_shows_the_whole_form_again(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="", lines=[line_post(description="設計")], line_action="add")

    response = world_a.client().post(CREATE_URL, data)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert rows(page) == ["設計", ""] and "この項目は必須です" not in page
    assert not Deal.objects.exists()


def test_removing_a_new_line_takes_it_out_and_renumbers_the_rest(world_a, deal_type_a):
    lines = [line_post(description="一行目"), line_post(description="二行目"), line_post(description="三行目")]
    data = deal_post(deal_type_a, lines=lines, line_action="remove-1")

    page = world_a.client().post(CREATE_URL, data, **HTMX).content.decode()

    assert rows(page) == ["一行目", "三行目"] and total_forms(page) == 2
    assert 'name="lines-1-description" maxlength="255" value="三行目"' in page or 'value="三行目"' in page


def test_removing_an_existing_line_marks_it_deleted_and_saving_deletes_it(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    kept = DealLineFactory(deal=deal, description="残す行", position=0)
    gone = DealLineFactory(deal=deal, description="消す行", position=1)
    lines = [
        line_post(id=kept.pk, deal=deal.pk, description="残す行"),
        line_post(id=gone.pk, deal=deal.pk, description="消す行"),
    ]
    data = deal_post(deal_type_a, name=deal.name, lines=lines, initial_forms=2, line_action="remove-1")

    page = world_a.client().post(edit_url(deal), data, **HTMX).content.decode()

    assert rows(page) == ["残す行"] and total_forms(page) == 2
    assert 'name="lines-1-DELETE" value="True"' in page  # still sent, as removed
    assert DealLine.objects.filter(pk=gone.pk).exists()  # nothing saved yet

    saved = deal_post(
        deal_type_a,
        name=deal.name,
        initial_forms=2,
        lines=[
            line_post(id=kept.pk, deal=deal.pk, description="残す行"),
            line_post(id=gone.pk, deal=deal.pk, description="消す行", DELETE="True"),
        ],
    )
    assert world_a.client().post(edit_url(deal), saved).status_code == 302
    assert list(deal.lines.values_list("description", flat=True)) == ["残す行"]


def test_a_removed_line_posted_back_stays_hidden(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    gone = DealLineFactory(deal=deal, description="消す行")
    data = deal_post(
        deal_type_a,
        name=deal.name,
        initial_forms=1,
        line_action="add",
        lines=[line_post(id=gone.pk, deal=deal.pk, description="消す行", DELETE="True")],
    )

    page = world_a.client().post(edit_url(deal), data, **HTMX).content.decode()

    assert rows(page) == [""] and total_forms(page) == 2


def test_a_new_deal_starts_with_one_blank_row_and_an_edited_one_with_its_lines_only(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    DealLineFactory(deal=deal, description="既存の品目")

    assert rows(world_a.client().get(CREATE_URL).content.decode()) == [""]
    assert rows(world_a.client().get(edit_url(deal)).content.decode()) == ["既存の品目"]


def test_a_hundred_lines_is_the_limit_of_add(world_a, deal_type_a):
    data = deal_post(deal_type_a, lines=[line_post(description=f"行{i}") for i in range(100)], line_action="add")

    page = world_a.client().post(CREATE_URL, data, **HTMX).content.decode()

    assert total_forms(page) == 100 and "商品内訳は100行までです。" in page


def test_an_unknown_or_malformed_line_action_changes_nothing(world_a, deal_type_a):
    data = deal_post(deal_type_a, lines=[line_post(description="設計")], line_action="remove-abc")

    response = world_a.client().post(CREATE_URL, data, **HTMX)

    assert response.status_code == 200 and rows(response.content.decode()) == ["設計"]
    assert not Deal.objects.exists()


def test_a_tampered_line_count_is_not_a_500(world_a, deal_type_a):
    data = deal_post(deal_type_a, lines=[line_post()], line_action="add")
    data["lines-TOTAL_FORMS"] = "abc"

    response = world_a.client().post(CREATE_URL, data, **HTMX)

    assert response.status_code == 200


def test_line_actions_on_another_tenants_deal_are_404(world_a, world_b, deal_type_a):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")
    DealLineFactory(deal=foreign, description="B社の秘密品目")

    for action in ("add", "remove-0", "totals"):
        response = world_a.client().post(edit_url(foreign), deal_post(deal_type_a, line_action=action), **HTMX)
        assert response.status_code == 404 and "B社の秘密" not in response.content.decode()


# --------------------------------------------------------------------------- totals


def test_totals_follow_the_typed_lines_per_tax_rate(world_a, deal_type_a):
    lines = [
        line_post(description="設計", quantity="2", unit_price="50000", tax_rate="10"),
        line_post(description="書籍", quantity="3", unit_price="1000.50", tax_rate="8_reduced"),
        line_post(description="", quantity="1", unit_price="0", tax_rate="10"),
    ]  # the untouched empty row
    data = deal_post(deal_type_a, amount="999", lines=lines, line_action="totals")

    response = world_a.client().post(CREATE_URL, data, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'id="form-subtotal">103,001円' in page and "商品内訳の合計" in page
    assert 'id="form-tax">10,240円' in page and 'id="form-total">113,241円' in page


def test_totals_without_lines_use_the_typed_amount(world_a, deal_type_a):
    data = deal_post(
        deal_type_a, amount="50000", lines=[line_post(description="", unit_price="0")], line_action="totals"
    )

    page = world_a.client().post(CREATE_URL, data, **HTMX).content.decode()

    assert 'id="form-subtotal">50,000円' in page and 'id="form-tax">5,000円' in page
    assert 'id="form-total">55,000円' in page


def test_totals_leave_out_removed_and_half_typed_lines(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    gone = DealLineFactory(deal=deal, quantity=Decimal(1), unit_price=Decimal(90000))
    lines = [
        line_post(id=gone.pk, deal=deal.pk, unit_price="90000", DELETE="True"),
        line_post(description="作業", quantity="1", unit_price="10000"),
        line_post(description="途中", quantity="1", unit_price="12a"),
    ]
    data = deal_post(deal_type_a, name=deal.name, initial_forms=1, lines=lines, line_action="totals")

    page = world_a.client().post(edit_url(deal), data, **HTMX).content.decode()

    assert 'id="form-subtotal">10,000円' in page and 'id="form-total">11,000円' in page


def test_the_form_page_shows_the_totals_of_the_deal_and_asks_for_them_while_typing(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    DealLineFactory(deal=deal, quantity=Decimal(2), unit_price=Decimal(1500), tax_rate="10")

    page = world_a.client().get(edit_url(deal)).content.decode()

    assert 'id="form-subtotal">3,000円' in page and 'id="form-tax">300円' in page
    assert re.search(r'id="deal-totals"[^>]*hx-post="' + re.escape(edit_url(deal)) + '"', page)
    assert '"line_action": "totals"' in page


def test_the_add_and_remove_buttons_work_in_place(world_a, deal_type_a):
    page = world_a.client().get(CREATE_URL).content.decode()

    add = re.search(r'<button[^>]*value="add"[^>]*>', page).group(0)
    assert f'hx-post="{CREATE_URL}"' in add and 'hx-target="#deal-lines"' in add
    remove = re.search(r'<button[^>]*value="remove-0"[^>]*>', page).group(0)
    assert 'hx-target="#deal-lines"' in remove
    # Enter in a field saves: the form's first submit button is a 保存, not 行を追加 or 削除
    first_button = re.search(r"<form[^>]*>.*?(<button[^>]*>)", page, re.S).group(1)
    assert "line_action" not in first_button


def test_a_deal_added_line_by_line_saves_every_line(world_a, deal_type_a):
    client = world_a.client()
    data = deal_post(deal_type_a, name="行を足した案件", lines=[line_post(description="設計")], line_action="add")
    page = client.post(CREATE_URL, data, **HTMX).content.decode()
    assert total_forms(page) == 2

    lines = [line_post(description="設計"), line_post(description="保守", quantity="3", unit_price="2000")]
    assert client.post(CREATE_URL, deal_post(deal_type_a, name="行を足した案件", lines=lines)).status_code == 302

    deal = Deal.objects.get(name="行を足した案件")
    assert list(deal.lines.values_list("description", flat=True)) == ["設計", "保守"] and deal.amount == 7000
