"""The pages: list (filters, sort), form (create / apply, totals), detail (only permitted buttons, timeline),
comments, delete confirmation, settings (admins), and another tenant's request is a 404."""

import pytest
from django.urls import reverse

from payment_requests.models import PaymentRequest
from tests.isolation import assert_cross_tenant_404
from tests.payment_requests.factories import act, flow_for, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _client(flow, role):
    from django.test import Client

    client = Client()
    client.force_login(flow.user(role))
    return client


def test_list_filters_by_status_and_amount_and_sorts(flow):
    draft = make_request(flow, "draft", title="下書きの依頼")
    applied = make_request(flow, "in_progress", title="申請中の依頼")
    PaymentRequest.objects.filter(pk=applied.pk).update(total_amount=500000)
    client = _client(flow, "applicant")
    page = client.get(reverse("payment_requests:list"), {"status": "in_progress"}).content.decode()
    assert "申請中の依頼" in page and "下書きの依頼" not in page
    page = client.get(reverse("payment_requests:list"), {"max_amount": 200000}).content.decode()
    assert "下書きの依頼" in page and "申請中の依頼" not in page
    page = client.get(reverse("payment_requests:list"), {"sort": "-amount"}).content.decode()
    assert page.index("申請中の依頼") < page.index("下書きの依頼")
    assert draft.title in client.get(reverse("payment_requests:list"), {"sort": "amount"}).content.decode()


def test_list_filters_by_approver_waiting(flow):
    make_request(flow, "in_progress", title="承認待ちの依頼")
    client = _client(flow, "applicant")
    page = client.get(reverse("payment_requests:list"), {"approver_id": flow.approver1.pk}).content.decode()
    assert "承認待ちの依頼" in page
    page = client.get(reverse("payment_requests:list"), {"approver_id": flow.approver2.pk}).content.decode()
    assert "承認待ちの依頼" not in page and "条件に一致する支払依頼はありません。" in page


def test_empty_list_explains_how_to_start(flow):
    page = _client(flow, "applicant").get(reverse("payment_requests:list")).content.decode()
    assert "支払依頼はまだありません。" in page


def _form_data(flow, **overrides):
    data = {"title": "画面からの依頼", "issue_date": "2026-04-01", "route": flow.route.pk,
            "payment_method": "domestic_bank_transfer", "qualified_invoice_status": "unspecified",
            "account_type": "ordinary", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "100", "lines-0-line_type": "deal_line",
            "lines-0-amount": "110000", "lines-0-account_item": flow.expense_account.pk,
            "lines-0-tax_code": flow.expense_tax.pk, "submit": "apply"}
    data.update(overrides)
    return data


def test_form_applies_and_redirects_to_the_detail(flow):
    response = _client(flow, "applicant").post(reverse("payment_requests:create"), _form_data(flow))
    created = PaymentRequest.objects.get(title="画面からの依頼")
    assert response.status_code == 302 and created.status == "in_progress"
    assert response["Location"] == reverse("payment_requests:detail", kwargs={"public_id": created.public_id})


def test_form_shows_the_rule_message_and_keeps_the_input(flow):
    response = _client(flow, "applicant").post(reverse("payment_requests:create"),
                                               _form_data(flow, payment_method="none"))
    page = response.content.decode()
    assert response.status_code == 400 and "支払方法（payment_method）に「指定なし」（none）以外を" in page
    assert "画面からの依頼" in page and not PaymentRequest.objects.exists()


def test_form_draft_skips_required_fields(flow):
    _client(flow, "applicant").post(reverse("payment_requests:create"),
                                    _form_data(flow, payment_method="none", submit="draft"))
    assert PaymentRequest.objects.get().status == "draft"


def test_totals_show_payment_and_withholding(flow):
    data = _form_data(flow, **{"lines-TOTAL_FORMS": "2", "lines-1-line_type": "withholding_tax",
                               "lines-1-amount": "10210"})
    page = _client(flow, "applicant").post(reverse("payment_requests:totals"), data).content.decode()
    assert "99,790円" in page and "11,231円" in page  # 110,000 - 10,210; 110,000 x 10.21%


def test_detail_shows_only_the_buttons_the_user_may_use(flow):
    request = make_request(flow, "in_progress")
    url = reverse("payment_requests:detail", kwargs={"public_id": request.public_id})
    approver_page = _client(flow, "approver").get(url).content.decode()
    assert 'value="approve"' in approver_page and 'value="reject"' in approver_page
    assert 'value="cancel"' not in approver_page and 'value="force_approve"' not in approver_page
    applicant_page = _client(flow, "applicant").get(url).content.decode()
    assert 'value="cancel"' in applicant_page and 'value="approve"' not in applicant_page
    admin_page = _client(flow, "admin").get(url).content.decode()
    assert 'value="force_approve"' in admin_page and 'value="approve"' not in admin_page
    assert 'hx-confirm="この申請を却下します。よろしいですか？"' in approver_page
    assert f'name="target_step_id" value="{request.current_step.public_id}"' in approver_page


def test_action_from_the_page_and_the_timeline(flow):
    request = make_request(flow, "in_progress")
    client = _client(flow, "approver")
    response = client.post(reverse("payment_requests:action", kwargs={"public_id": request.public_id}),
                           {"action": "approve", "target_step_id": request.current_step.public_id,
                            "target_round": request.current_round})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "承認しました。" in page and "approver1_a" in page and "<strong>承認</strong>" in page


def test_a_stale_button_fails_with_a_clear_message(flow):
    request = make_request(flow, "in_progress")
    stale = {"action": "approve", "target_step_id": request.current_step.public_id,
             "target_round": request.current_round}
    act(flow, request, "approver", "feedback")
    client = _client(flow, "approver")
    response = client.post(reverse("payment_requests:action", kwargs={"public_id": request.public_id}), stale,
                           follow=True)
    # the request moved on (sent back) since the page was shown: the step/round answer comes first (item 24)
    assert "この申請は他の操作で更新されています" in response.content.decode()


def test_comment_and_delete_confirmation(flow):
    request = make_request(flow, "draft")
    client = _client(flow, "applicant")
    client.post(reverse("payment_requests:comment", kwargs={"public_id": request.public_id}),
                {"comment": "請求書を添付しました"})
    assert request.comments.get().comment == "請求書を添付しました"
    delete_url = reverse("payment_requests:delete", kwargs={"public_id": request.public_id})
    assert "この操作は取り消せません" in client.get(delete_url).content.decode()
    assert PaymentRequest.objects.filter(pk=request.pk).exists()
    client.post(delete_url)
    assert not PaymentRequest.objects.filter(pk=request.pk).exists()


def test_settings_are_for_admins_and_save_the_form_setting(flow):
    url = reverse("payment_requests:settings")
    assert _client(flow, "applicant").get(url).status_code == 403
    response = _client(flow, "admin").post(url, {"required_fields": ["document_code"],
                                                 "usable_routes": [flow.route.pk], "default_route": flow.route.pk})
    assert response.status_code == 302
    from payment_requests.selectors import form_setting_for

    assert form_setting_for(tenant=flow.tenant).required_fields == ["document_code"]


def test_route_editor_creates_a_route_with_steps(flow):
    data = {"name": "部長承認", "use_for_payment_requests": "on", "steps-TOTAL_FORMS": "2",
            "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "1", "steps-MAX_NUM_FORMS": "10",
            "steps-0-resource_type": "predefined_user", "steps-0-users": [flow.approver1.pk],
            "steps-1-resource_type": "unspecified"}
    response = _client(flow, "admin").post(reverse("payment_requests:route_create"), data)
    assert response.status_code == 302
    from payment_requests.models import ApprovalFlowRoute

    route = ApprovalFlowRoute.objects.get(name="部長承認")
    assert [s.resource_type for s in route.ordered_steps()] == ["predefined_user", "unspecified"]


def test_other_tenants_request_is_404(flow, world_b):
    other = flow_for(world_b, label="b")
    foreign = make_request(other, "draft", title="B社の秘密の依頼")
    for name in ("detail", "edit", "delete", "comment", "action"):
        url = reverse(f"payment_requests:{name}", kwargs={"public_id": foreign.public_id})
        assert_cross_tenant_404(_client(flow, "applicant"), url, foreign_texts=("B社の秘密の依頼",),
                                methods=("get", "post"))
