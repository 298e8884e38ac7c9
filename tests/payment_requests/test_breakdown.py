"""Issue 14 item 21: 勘定科目の内訳管理 (seed 004): 支払依頼に、内訳管理した勘定科目を設定する場合、支払依頼に勘定科目に
紐づけられた取引先・品目のみ設定できます.

Modelled as freee does (an account item's `partners` / `items`, each freee id + name), enforced by the service,
set through the ledger API, stored on the request (the line's 品目 was silently dropped), shown in the form.
"""

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError
from journals.models import AccountItem
from payment_requests import services
from payment_requests.models import PaymentRequest
from tests.payment_requests.factories import flow_for, line, request_input

pytestmark = pytest.mark.django_db

PARTNERS = [{"id": 201, "name": "青葉商事"}, {"id": 202, "name": "若葉工業"}]
ITEMS = [{"id": 301, "name": "デザイン"}, {"id": 302, "name": "開発"}]
M_PARTNER = (
    "勘定科目「外注費」は取引先で内訳管理しているため、支払先には勘定科目に紐づけられた取引先（青葉商事、若葉工業）"
    "のみ設定できます。"
)
M_ITEM = "勘定科目「外注費」は品目で内訳管理しているため、品目には勘定科目に紐づけられた品目（デザイン、開発）のみ設定できます。"


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _manage(flow, *, partners=(), items=()):
    AccountItem.objects.filter(pk=flow.expense_account.pk).update(
        breakdown_partners=list(partners), breakdown_items=list(items)
    )
    flow.expense_account.refresh_from_db()


def _create(flow, *, item_id=None, **overrides):
    row = line(flow)
    row.item_id = item_id
    return services.payment_request_create(
        tenant=flow.tenant, membership=flow.membership("applicant"), data=request_input(flow, lines=[row], **overrides)
    )


def _refused(flow, **kwargs) -> str:
    with pytest.raises(ApplicationError) as raised:
        _create(flow, **kwargs)
    return raised.value.message


def test_a_partner_not_tied_to_the_account_item_is_refused(flow):
    _manage(flow, partners=PARTNERS)
    assert _refused(flow, partner_id=999) == M_PARTNER
    assert _refused(flow, partner_id=999, draft=True) == M_PARTNER
    assert _refused(flow, partner_id=None) == M_PARTNER  # applying needs one of them
    assert _create(flow, partner_id=202).partner_id == 202
    assert _create(flow, partner_id=None, draft=True).status == "draft"


def test_an_item_not_tied_to_the_account_item_is_refused_and_a_tied_one_is_kept(flow):
    _manage(flow, items=ITEMS)
    assert _refused(flow, item_id=999) == M_ITEM
    assert _refused(flow, item_id=None) == M_ITEM
    request = _create(flow, item_id=302)
    assert list(request.lines.values_list("item_id", "item_name")) == [(302, "開発")]


def test_an_account_item_without_breakdown_takes_any_partner_and_item(flow):
    request = _create(flow, partner_id=999, item_id=888)
    assert request.partner_id == 999 and request.lines.get().item_id == 888


def test_the_api_keeps_the_item_and_enforces_the_breakdown(flow):
    _manage(flow, partners=PARTNERS, items=ITEMS)
    body = {
        "title": "外注費",
        "issue_date": "2026-04-01",
        "draft": False,
        "payment_method": "domestic_bank_transfer",
        "approval_flow_route_id": str(flow.route.public_id),
        "partner_id": 201,
        "payment_request_lines": [
            {
                "line_type": "deal_line",
                "amount": 1000,
                "tax_code": 136,
                "item_id": 301,
                "account_item_id": str(flow.expense_account.public_id),
            }
        ],
    }
    client = _client(flow.world.member)
    response = client.post("/api/v1/payment_requests/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()["payment_request"]["payment_request_lines"][0]
    assert (created["item_id"], created["item_name"]) == (301, "デザイン")
    body["payment_request_lines"][0]["item_id"] = 999
    response = client.post("/api/v1/payment_requests/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["message"] == M_ITEM


def test_admins_set_the_breakdown_through_the_ledger_api(flow):
    url = f"/api/v1/account-items/{flow.expense_account.public_id}/"
    response = _client(flow.world.admin).patch(
        url, {"breakdown_partners": PARTNERS, "breakdown_items": ITEMS}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    flow.expense_account.refresh_from_db()
    assert (flow.expense_account.breakdown_partners, flow.expense_account.breakdown_items) == (PARTNERS, ITEMS)
    bad = _client(flow.world.admin).patch(
        url, {"breakdown_items": [{"id": 0, "name": ""}]}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_the_form_offers_the_tied_partners_and_items_and_saves_them(flow):
    _manage(flow, partners=PARTNERS, items=ITEMS)
    client = _client(flow.world.member)
    page = client.get(reverse("payment_requests:create")).content.decode()
    assert "青葉商事" in page and "若葉工業" in page and "デザイン" in page and "開発" in page
    assert "内訳管理" in page
    data = {
        "title": "画面からの依頼",
        "issue_date": "2026-04-01",
        "route": flow.route.pk,
        "payment_method": "domestic_bank_transfer",
        "qualified_invoice_status": "unspecified",
        "account_type": "ordinary",
        "breakdown_partner": "202",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-line_type": "deal_line",
        "lines-0-amount": "110000",
        "lines-0-item": "301",
        "lines-0-account_item": flow.expense_account.pk,
        "lines-0-tax_code": flow.expense_tax.pk,
        "submit": "apply",
    }
    response = client.post(reverse("payment_requests:create"), data)
    assert response.status_code == 302, response.content.decode()
    request = PaymentRequest.objects.get()
    assert (request.partner_id, request.partner_name, request.status) == (202, "若葉工業", "in_progress")
    assert request.lines.get().item_id == 301
    edit = client.get(reverse("payment_requests:edit", kwargs={"public_id": request.public_id})).content.decode()
    assert 'value="301" selected' in edit


def test_the_form_shows_the_rule_when_the_partner_is_not_tied(flow):
    _manage(flow, partners=PARTNERS)
    data = {
        "title": "画面からの依頼",
        "issue_date": "2026-04-01",
        "route": flow.route.pk,
        "payment_method": "domestic_bank_transfer",
        "qualified_invoice_status": "unspecified",
        "account_type": "ordinary",
        "partner_name": "知らない会社",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-line_type": "deal_line",
        "lines-0-amount": "110000",
        "lines-0-account_item": flow.expense_account.pk,
        "lines-0-tax_code": flow.expense_tax.pk,
        "submit": "apply",
    }
    response = _client(flow.world.member).post(reverse("payment_requests:create"), data)
    assert response.status_code == 400 and M_PARTNER in response.content.decode()


def test_the_account_item_list_says_which_items_manage_a_breakdown(flow):
    _manage(flow, partners=PARTNERS)
    page = _client(flow.world.member).get(reverse("journals:account_item_list")).content.decode()
    assert "取引先（2件）" in page
