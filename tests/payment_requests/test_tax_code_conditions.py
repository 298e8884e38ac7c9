"""Issue 14 item 20: every tax-code condition of seed 004 (税区分の設定) and the account item's 使用する,
enforced by the service — through the API as through the form, which only hides what it may not choose.

支払依頼には以下を満たす税区分のみ設定できます: 「この税区分を使用する」, 「支出の登録」 (deal_line),
「収入の登録」 (withholding_tax), and 「消費税率」を「使用する」 (5, 8, 8（軽減税率）, 10%).
"""

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError
from journals import services as ledger
from journals.models import AccountItem, LedgerSettings, TaxCode
from payment_requests import services
from tests.payment_requests.factories import flow_for, line, request_input

pytestmark = pytest.mark.django_db

M_TAX_OFF = "「この税区分を使用する」がオフの税区分は支払依頼に設定できません（課対仕入10%）。"
M_ACCOUNT_OFF = "使用しない勘定科目は支払依頼に設定できません（外注費）。"
M_RATE_OFF = (
    "消費税率10%を「使用しない」設定のため、この税区分は支払依頼に設定できません（課対仕入10%）。会計設定で"
    "消費税率を「使用する」にしてください。"
)


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api_create(flow, *, tax_code: int = 136, account=None):
    account = account or flow.expense_account
    body = {
        "title": "外注費の支払い",
        "issue_date": "2026-04-01",
        "draft": True,
        "approval_flow_route_id": str(flow.route.public_id),
        "payment_request_lines": [
            {"line_type": "deal_line", "amount": 1000, "tax_code": tax_code, "account_item_id": str(account.public_id)}
        ],
    }
    return _client(flow.world.member).post("/api/v1/payment_requests/", body, content_type="application/json")


def _create(flow, **line_kwargs):
    return services.payment_request_create(
        tenant=flow.tenant,
        membership=flow.membership("applicant"),
        data=request_input(flow, lines=[line(flow, **line_kwargs)]),
    )


def _rates(flow, **in_use):
    LedgerSettings.objects.filter(tenant=flow.tenant).update(**{f"use_tax_rate_{k}": v for k, v in in_use.items()})


def test_a_tax_code_switched_off_is_refused_through_the_api(flow):
    TaxCode.objects.filter(tenant=flow.tenant, code=136).update(freee_available=False)
    response = _api_create(flow)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == M_TAX_OFF


def test_an_account_item_not_in_use_is_refused_through_the_api(flow):
    AccountItem.objects.filter(pk=flow.expense_account.pk).update(is_active=False)
    response = _api_create(flow)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == M_ACCOUNT_OFF


def test_a_tax_code_of_a_rate_not_in_use_is_refused(flow):
    _rates(flow, **{"10": False})
    with pytest.raises(ApplicationError) as raised:
        _create(flow)
    assert (raised.value.code, raised.value.message) == ("tax_code_invalid", M_RATE_OFF)
    assert _api_create(flow).json()["error"]["message"] == M_RATE_OFF


def test_the_reduced_rate_is_its_own_setting(flow):
    _rates(flow, r8=False)
    reduced = TaxCode.objects.get(tenant=flow.tenant, code=163)
    with pytest.raises(ApplicationError) as raised:
        _create(flow, tax=reduced)
    assert "消費税率8%（軽減税率）を「使用しない」設定のため" in raised.value.message
    assert _create(flow).status == "in_progress"  # 10% still in use


def test_a_tax_code_without_a_rate_is_not_subject_to_the_rate_setting(flow):
    _rates(flow, **{"5": False, "8": False, "r8": False, "10": False})
    outside = TaxCode.objects.get(tenant=flow.tenant, code=37)  # 非課仕入
    assert _create(flow, tax=outside).status == "in_progress"


def test_the_conditions_hold_for_an_update_too(flow):
    request = _create(flow)
    TaxCode.objects.filter(tenant=flow.tenant, code=136).update(freee_available=False)
    switched_off = TaxCode.objects.get(tenant=flow.tenant, code=136)
    with pytest.raises(ApplicationError) as raised:
        services.payment_request_update(
            payment_request=request,
            membership=flow.membership("applicant"),
            data=request_input(flow, lines=[line(flow, tax=switched_off)]),
        )
    assert raised.value.message == M_TAX_OFF


def test_the_ledger_settings_page_saves_the_tax_rates_in_use(flow):
    response = _client(flow.world.admin).post(
        reverse("journals:settings"),
        {"tax_accounting": "inclusive", "tax_rounding": "floor", "tax_rates_in_use": ["8", "r8", "10"]},
    )
    assert response.status_code == 302, response.content.decode()
    settings = LedgerSettings.objects.get(tenant=flow.tenant)
    assert (settings.use_tax_rate_5, settings.use_tax_rate_8, settings.use_tax_rate_r8, settings.use_tax_rate_10) == (
        False,
        True,
        True,
        True,
    )
    page = _client(flow.world.admin).get(reverse("journals:settings")).content.decode()
    assert "消費税率" in page and "8%（軽減税率）" in page


def test_the_ledger_settings_service_records_the_change(flow):
    ledger.ledger_settings_update(
        tenant=flow.tenant,
        tax_accounting="inclusive",
        tax_rounding="floor",
        tax_rates_in_use={"8", "r8"},
        actor=flow.world.admin,
    )
    settings = LedgerSettings.objects.get(tenant=flow.tenant)
    assert settings.tax_rates_in_use == {"8", "r8"}


def test_the_request_form_offers_only_usable_masters(flow):
    _rates(flow, **{"10": False})
    AccountItem.objects.filter(tenant=flow.tenant, name="雑費").update(is_active=False)
    TaxCode.objects.filter(tenant=flow.tenant, code=37).update(freee_available=False)
    page = _client(flow.world.member).get(reverse("payment_requests:create")).content.decode()
    assert "課対仕入10%" not in page and "非課仕入" not in page and "雑費" not in page
    assert "課対仕入8%（軽）" in page and "外注費" in page


def test_the_tax_code_list_says_when_a_rate_is_not_in_use(flow):
    _rates(flow, **{"10": False})
    page = _client(flow.world.member).get(reverse("journals:tax_code_list")).content.decode()
    assert "使用しない（消費税率10%）" in page
