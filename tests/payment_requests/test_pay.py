"""支払登録 (出金): an admin pays an approved request; the disbursement clears its payable in the ledger."""

from datetime import date

import pytest
from django.utils import timezone

from journals.models import AccountItem, JournalEntry, Trade, TradePayment, Wallet
from journals.sync.models import SyncRecord, SyncSettings
from journals.sync.services import sync_records_push
from payment_requests import ledger, services
from payment_requests.models import PaymentRequest, PaymentRequestComment
from tests.isolation import assert_cross_tenant_404
from tests.payment_requests.factories import act, flow_for, line, make_request, request_input
from tests.payment_requests.isolation import SECRET_TITLE
from tests.payment_requests.isolation import _request as other_tenants_request

pytestmark = pytest.mark.django_db

PAID_ON = date(2026, 4, 30)


@pytest.fixture
def flow(world_a):
    world_a.tenant.plan = "professional"  # 仕入・支払 documents sync on the professional and trial plans
    world_a.tenant.save()
    flow = flow_for(world_a)
    SyncSettings.objects.update_or_create(tenant=flow.tenant, defaults={"auto_sync": True})
    return flow


@pytest.fixture
def wallet(flow):
    return Wallet.objects.filter(tenant=flow.tenant, kind=Wallet.Kind.BANK_ACCOUNT, is_active=True).first()


def _push(request, document_type, operation):
    record = SyncRecord.objects.get(document_type=document_type, document_id=request.pk, operation=operation)
    sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == "done", record.error_message
    return record


def _approved(flow, **overrides):
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow, **overrides))
    act(flow, request, "approver", "approve")
    act(flow, request, "final_approver", "approve")
    request.refresh_from_db()
    return request


def _pay(flow, request, wallet, role="admin", paid_on=PAID_ON):
    return services.payment_request_pay(tenant=flow.tenant, payment_request=request, membership=flow.membership(role),
                                        paid_on=paid_on, wallet=wallet)


def _trade(flow, request):
    return Trade.objects.get(tenant=flow.tenant, source_key=f"payment_request:{request.pk}")


def _payment_entry_lines(flow, request):
    entry = JournalEntry.objects.get(tenant=flow.tenant, kind=JournalEntry.Kind.PAYMENT,
                                     payment__source_key=f"disbursement:{request.pk}")
    return entry.date, sorted((ln.side, ln.account_item.name, ln.amount)
                              for ln in entry.lines.select_related("account_item"))


# --------------------------------------------------------------------------- ledger


def test_paying_an_approved_request_books_the_clearing_entry(flow, wallet):
    request = _approved(flow)
    _push(request, "payment_request", "add")
    _pay(flow, request, wallet)
    _push(request, "disbursement", "add")
    trade = _trade(flow, request)
    assert (trade.amount, trade.settled_amount, trade.unsettled_amount) == (110000, 110000, 0)
    payment = TradePayment.objects.get(tenant=flow.tenant, source_key=f"disbursement:{request.pk}")
    assert (payment.trade_id, payment.date, payment.wallet_id, payment.amount) == (trade.pk, PAID_ON, wallet.pk,
                                                                                  110000)
    accrued = AccountItem.objects.get(tenant=flow.tenant, role="accrued").name  # 未払金
    assert _payment_entry_lines(flow, request) == (PAID_ON, sorted([
        ("debit", accrued, 110000), ("credit", wallet.account_item.name, 110000)]))


def test_a_disbursement_synced_before_its_request_books_the_trade_first(flow, wallet):
    request = _approved(flow)
    _pay(flow, request, wallet)
    _push(request, "disbursement", "add")
    trade = _trade(flow, request)
    assert (trade.kind, trade.amount, trade.settled_amount) == ("expense", 110000, 110000)
    _push(request, "payment_request", "add")  # the request's own record later updates the same trade in place
    assert Trade.objects.filter(tenant=flow.tenant, source_key=f"payment_request:{request.pk}").count() == 1
    assert _trade(flow, request).settled_amount == 110000


def test_the_net_payable_is_paid_when_tax_is_withheld(flow, wallet):
    request = _approved(flow, lines=[line(flow, 110000), line(flow, 11231, line_type="withholding_tax")])
    assert request.total_amount == 98769
    _push(request, "payment_request", "add")
    _pay(flow, request, wallet)
    _push(request, "disbursement", "add")
    trade = _trade(flow, request)
    assert (trade.amount, trade.settled_amount) == (98769, 98769)
    _date, lines = _payment_entry_lines(flow, request)
    assert {amount for _side, _name, amount in lines} == {98769}


def test_unpay_removes_the_payment_and_its_entry(flow, wallet):
    request = _approved(flow)
    _push(request, "payment_request", "add")
    _pay(flow, request, wallet)
    _push(request, "disbursement", "add")
    services.payment_request_unpay(tenant=flow.tenant, payment_request=request, membership=flow.membership("admin"))
    request.refresh_from_db()
    assert (request.paid_on, request.paid_wallet_id, request.paid_by_id) == (None, None, None)
    _push(request, "disbursement", "delete")
    assert not TradePayment.objects.filter(tenant=flow.tenant, source_key=f"disbursement:{request.pk}").exists()
    assert not JournalEntry.objects.filter(tenant=flow.tenant, kind=JournalEntry.Kind.PAYMENT).exists()
    assert _trade(flow, request).settled_amount == 0


def test_pay_and_unpay_are_recorded_on_the_request(flow, wallet):
    request = _approved(flow)
    _pay(flow, request, wallet)
    services.payment_request_unpay(tenant=flow.tenant, payment_request=request, membership=flow.membership("admin"))
    comments = list(PaymentRequestComment.objects.filter(request=request).values_list("user_id", "comment"))
    admin = flow.user("admin").pk
    assert comments == [
        (admin, f"支払登録しました（支払日: 2026/04/30、口座: {wallet.name}、金額: 110,000円）。"),
        (admin, f"支払登録を取り消しました（支払日: 2026/04/30、口座: {wallet.name}、金額: 110,000円）。")]


def test_paying_records_who_when_and_from_which_wallet(flow, wallet):
    request = _pay(flow, _approved(flow), wallet)
    request.refresh_from_db()
    assert (request.paid_on, request.paid_wallet_id, request.paid_by_id) == (PAID_ON, wallet.pk,
                                                                             flow.user("admin").pk)


def test_without_auto_sync_paying_queues_nothing(flow, wallet):
    SyncSettings.objects.filter(tenant=flow.tenant).update(auto_sync=False)
    request = _pay(flow, _approved(flow), wallet)
    assert not SyncRecord.objects.filter(document_type="disbursement", document_id=request.pk).exists()


def test_disbursements_are_not_synced_on_the_standard_plan(flow, wallet):
    flow.tenant.plan = "standard"
    flow.tenant.save()
    request = _pay(flow, _approved(flow), wallet)
    assert not SyncRecord.objects.filter(document_type="disbursement", document_id=request.pk).exists()


def test_a_zero_yen_request_is_paid_but_never_synced(flow, wallet):
    # Applying needs a positive total; a 0円 request can only come from elsewhere (e.g. freee): set it directly.
    request = _approved(flow)
    PaymentRequest.objects.filter(pk=request.pk).update(total_amount=0)
    request.refresh_from_db()
    _pay(flow, request, wallet)
    assert not SyncRecord.objects.filter(document_type="disbursement", document_id=request.pk).exists()
    document = ledger.load_disbursements(flow.tenant, [request.pk])[request.pk]
    assert ledger.disbursement_payments(flow.tenant, [document]) == {request.pk: None}


def test_the_disbursement_period_is_the_payment_date(flow, wallet):
    request = _pay(flow, _approved(flow), wallet)
    assert ledger.disbursements_in_period(flow.tenant, date(2026, 4, 30), date(2026, 4, 30), False) == [request.pk]
    assert ledger.disbursements_in_period(flow.tenant, date(2026, 4, 1), date(2026, 4, 29), False) == []


# --------------------------------------------------------------------------- rules


def test_only_admins_can_pay(flow, wallet):
    request = _approved(flow)
    for role in ("applicant", "final_approver"):
        with pytest.raises(services.ApplicationError) as error:
            _pay(flow, request, wallet, role=role)
        assert (error.value.code, error.value.http_status) == ("permission_denied", 403)
        assert error.value.message == "支払登録とその取消は管理者のみ行えます。"
    assert PaymentRequest.objects.get(pk=request.pk).paid_on is None


def test_only_admins_can_unpay(flow, wallet):
    request = _pay(flow, _approved(flow), wallet)
    with pytest.raises(services.ApplicationError) as error:
        services.payment_request_unpay(tenant=flow.tenant, payment_request=request, membership=flow.membership("applicant"))
    assert error.value.http_status == 403
    assert PaymentRequest.objects.get(pk=request.pk).paid_on == PAID_ON


@pytest.mark.parametrize("status", ["draft", "in_progress", "rejected", "feedback"])
def test_only_approved_requests_can_be_paid(flow, wallet, status):
    request = make_request(flow, status)
    with pytest.raises(services.ApplicationError) as error:
        _pay(flow, request, wallet)
    assert (error.value.code, error.value.message) == ("not_approved", "支払登録できるのは承認済みの支払依頼のみです。")


def test_paying_twice_is_refused(flow, wallet):
    request = _pay(flow, _approved(flow), wallet)
    with pytest.raises(services.ApplicationError) as error:
        _pay(flow, request, wallet, paid_on=date(2026, 5, 1))
    assert error.value.message == "この支払依頼は支払登録済みです（支払日: 2026/04/30）。"
    assert SyncRecord.objects.filter(document_type="disbursement", document_id=request.pk).count() == 1


def test_unpaying_an_unpaid_request_is_refused(flow):
    with pytest.raises(services.ApplicationError) as error:
        services.payment_request_unpay(tenant=flow.tenant, payment_request=_approved(flow),
                                       membership=flow.membership("admin"))
    assert error.value.message == "この支払依頼は支払登録されていません。"


def test_another_tenants_wallet_is_refused(flow, world_b):
    flow_for(world_b, label="b")
    foreign = Wallet.objects.filter(tenant=world_b.tenant).first()
    with pytest.raises(services.ApplicationError) as error:
        _pay(flow, _approved(flow), foreign)
    assert error.value.message == "支払口座が見つかりません。"


def test_a_datetime_is_not_a_payment_date(flow, wallet):
    with pytest.raises(services.ApplicationError) as error:
        _pay(flow, _approved(flow), wallet, paid_on=timezone.now())
    assert error.value.code == "paid_on_invalid"


def test_a_paid_request_cannot_have_its_approval_taken_back(flow, wallet):
    request = _pay(flow, _approved(flow), wallet)
    with pytest.raises(services.ApplicationError) as error:
        act(flow, request, "admin", "force_feedback")
    assert error.value.code == "already_paid"
    request.refresh_from_db()
    assert "force_feedback" not in services.available_actions(request, flow.membership("admin"))


# --------------------------------------------------------------------------- pages


def test_admin_sees_the_pay_form_on_an_approved_request(flow, world_a):
    request = _approved(flow)
    page = world_a.client("admin").get(f"/payment-requests/{request.public_id}/").content.decode()
    assert "支払登録" in page and f'value="{timezone.localdate().isoformat()}"' in page
    member_page = world_a.client("member").get(f"/payment-requests/{request.public_id}/").content.decode()
    assert 'name="wallet"' not in member_page


def test_admin_pays_and_unpays_from_the_page(flow, world_a, wallet):
    request = _approved(flow)
    client = world_a.client("admin")
    response = client.post(f"/payment-requests/{request.public_id}/pay/",
                           {"paid_on": "2026-04-30", "wallet": wallet.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.paid_on, request.paid_wallet_id) == (PAID_ON, wallet.pk)
    page = client.get(f"/payment-requests/{request.public_id}/").content.decode()
    assert "支払登録を取り消す" in page and "2026/04/30" in page
    assert client.post(f"/payment-requests/{request.public_id}/unpay/").status_code == 302
    request.refresh_from_db()
    assert request.paid_on is None


def test_the_pay_form_shows_its_errors(flow, world_a):
    request = _approved(flow)
    response = world_a.client("admin").post(f"/payment-requests/{request.public_id}/pay/", {"paid_on": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "支払日を入力してください。" in body and "支払口座を選択してください。" in body


def test_a_member_cannot_pay_from_the_page(flow, world_a, wallet):
    request = _approved(flow)
    response = world_a.client("member").post(f"/payment-requests/{request.public_id}/pay/",
                                             {"paid_on": "2026-04-30", "wallet": wallet.pk}, follow=True)
    assert "支払登録とその取消は管理者のみ行えます。" in response.content.decode()
    assert PaymentRequest.objects.get(pk=request.pk).paid_on is None


def test_the_list_filters_by_payment_state(flow, world_a, wallet):
    paid = _pay(flow, _approved(flow, title="支払済みの依頼"), wallet)
    _approved(flow, title="未払いの依頼")
    make_request(flow, "in_progress", title="申請中の依頼")
    client = world_a.client("member")
    paid_page = client.get("/payment-requests/", {"payment_state": "paid"}).content.decode()
    unpaid_page = client.get("/payment-requests/", {"payment_state": "unpaid"}).content.decode()
    assert paid.title in paid_page and "未払いの依頼" not in paid_page
    assert "未払いの依頼" in unpaid_page and paid.title not in unpaid_page and "申請中の依頼" not in unpaid_page


def test_other_tenants_pay_pages_are_404(world_a, world_b):
    foreign = other_tenants_request(world_b)
    for path in ("pay", "unpay"):
        assert_cross_tenant_404(world_a.client("admin"), f"/payment-requests/{foreign.public_id}/{path}/",
                                foreign_texts=(SECRET_TITLE,))


# --------------------------------------------------------------------------- API


def _api(request):
    return f"/api/v1/payment_requests/{request.public_id}/pay/"


def test_api_pay_and_unpay(flow, world_a, wallet):
    request = _approved(flow)
    client = world_a.client("admin")
    response = client.post(_api(request), {"date": "2026-04-30", "walletable_id": str(wallet.public_id)},
                           content_type="application/json")
    assert response.status_code == 200
    body = response.json()["payment_request"]
    assert (body["paid_on"], body["paid_walletable_id"]) == ("2026-04-30", str(wallet.public_id))
    assert SyncRecord.objects.filter(document_type="disbursement", document_id=request.pk, operation="add").exists()
    response = client.delete(_api(request))
    assert response.status_code == 200 and response.json()["payment_request"]["paid_on"] is None
    assert SyncRecord.objects.filter(document_type="disbursement", document_id=request.pk,
                                     operation="delete").exists()


def test_api_member_gets_403_with_the_error_body(flow, world_a, wallet):
    request = _approved(flow)
    response = world_a.client("member").post(_api(request), {"date": "2026-04-30",
                                                             "walletable_id": str(wallet.public_id)},
                                             content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "permission_denied", "message": "支払登録とその取消は管理者のみ行えます。",
                                        "details": {}}
    assert world_a.client("member").delete(_api(request)).status_code == 403


def test_api_refuses_an_unapproved_request_and_a_second_payment(flow, world_a, wallet):
    client = world_a.client("admin")
    payload = {"date": "2026-04-30", "walletable_id": str(wallet.public_id)}
    response = client.post(_api(make_request(flow, "in_progress")), payload, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_approved"
    request = _approved(flow)
    assert client.post(_api(request), payload, content_type="application/json").status_code == 200
    response = client.post(_api(request), payload, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "already_paid"
    assert client.delete(_api(_approved(flow, title="未払い"))).json()["error"]["code"] == "not_paid"


def test_api_validates_the_body(flow, world_a, world_b):
    request = _approved(flow)
    flow_for(world_b, label="b")
    foreign_wallet = Wallet.objects.filter(tenant=world_b.tenant).first()
    client = world_a.client("admin")
    response = client.post(_api(request), {"walletable_id": str(foreign_wallet.public_id), "date": "2026-04-30"},
                           content_type="application/json")
    assert response.status_code == 400
    assert "walletable_id" in response.json()["error"]["details"]
    response = client.post(_api(request), {"walletable_id": "x"}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()["error"]["details"]) == {"date", "walletable_id"}
    assert PaymentRequest.objects.get(pk=request.pk).paid_on is None


def test_api_other_tenants_request_is_404(world_a, world_b):
    foreign = other_tenants_request(world_b)
    for who in ("admin", "member"):
        assert_cross_tenant_404(world_a.client(who), _api(foreign), foreign_texts=(SECRET_TITLE,))


def test_api_pay_is_in_the_openapi_schema(world_a):
    schema = world_a.client("member").get("/api/schema/", {"format": "json"}).json()
    operations = schema["paths"]["/api/v1/payment_requests/{public_id}/pay/"]
    assert {"post", "delete"} <= set(operations)
