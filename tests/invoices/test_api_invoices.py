"""The invoices API: list, filters, show, issue (202 + Job), permission, errors, row actions, tenant isolation,
and a partner missing in freee explained in Japanese — the last against the sandbox over real HTTP."""

import pytest
from django.urls import reverse

from core.models import Job
from integrations.models import FreeeConnection
from integrations.sandbox.services import resource_delete, sandbox_invoice_status_set
from invoices import services
from invoices.models import Invoice
from tenancy.permissions import FREEE_INVOICE_CREATE
from tests.factories import (
    DealFactory,
    DealLineFactory,
    DealTypeFactory,
    InvoiceFactory,
    PermissionProfileFactory,
    api_token_key,
)
from tests.invoices.conftest import first_partner, sandbox_invoices
from tests.isolation import assert_cross_tenant_404

INVOICES_URL = "/api/v1/invoices/"
PARTNER_MISSING = ("選択した取引先がfreeeに見つかりません（削除された可能性があります）。freeeの取引先ページで確認し、"
                   "取引先を選び直してください。")


def invoice_url(invoice, action: str = "") -> str:
    return f"{INVOICES_URL}{invoice.public_id}/" + (f"{action}/" if action else "")


def deal_invoices_url(deal) -> str:
    return f"/api/v1/deals/{deal.public_id}/invoices/"


def post_json(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def profiles_on_without_permission(world) -> None:
    world.tenant.uses_permission_profiles = True
    world.tenant.save()


@pytest.fixture
def connected(world_a):
    return FreeeConnection.objects.create(tenant=world_a.tenant, client_id="c", client_secret="s", company_id=1,
                                          access_token="t", refresh_token="r", status="connected")


@pytest.fixture
def api(world_a):
    return world_a.client()


# --------------------------------------------------------------------------- list and show


def test_list_shows_only_the_tenants_invoices(api, world_a, world_b):
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant), partner_name="A社の取引先")
    InvoiceFactory(deal=DealFactory(tenant=world_b.tenant), partner_name="B社の秘密取引先")
    response = api.get(INVOICES_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["results"][0]["partner_name"] == "A社の取引先"
    assert "B社の秘密取引先" not in response.content.decode()


def test_list_filters_by_deal_state_and_payment_status(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)
    settled = InvoiceFactory(deal=deal, payment_status="settled")
    InvoiceFactory(deal=deal, payment_status="unsettled")
    failed = InvoiceFactory(deal=DealFactory(tenant=world_a.tenant), state="failed", freee_invoice_id=None)

    def ids(**params):
        return {row["id"] for row in api.get(INVOICES_URL, params).json()["results"]}

    assert len(ids(deal=str(deal.public_id))) == 2
    assert ids(deal=str(deal.public_id), payment_status="settled") == {str(settled.public_id)}
    assert ids(state="failed") == {str(failed.public_id)}


def test_a_bad_filter_value_is_a_400_in_the_error_format(api, world_a):
    assert_error(api.get(INVOICES_URL, {"deal": "not-a-uuid"}), 400, "invalid")
    assert_error(api.get(INVOICES_URL, {"payment_status": "paid"}), 400, "invalid")


def test_list_orders_by_billing_date(api, world_a):
    from datetime import date

    deal = DealFactory(tenant=world_a.tenant)
    for day in (3, 1, 2):
        InvoiceFactory(deal=deal, billing_date=date(2026, 5, day))
    rows = api.get(INVOICES_URL, {"ordering": "billing_date"}).json()["results"]
    assert [row["billing_date"] for row in rows] == ["2026-05-01", "2026-05-02", "2026-05-03"]


def test_detail_shows_the_invoice_its_deal_job_and_the_four_statuses_in_japanese(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)
    job = Job.objects.create(tenant=world_a.tenant, kind="invoices.issue", total=1)
    invoice = InvoiceFactory(deal=deal, job=job, sending_status="sent", payment_status="settled",
                             cancel_status="uncanceled", deal_status="registered", subject="6月分")
    body = api.get(invoice_url(invoice)).json()
    assert body["id"] == str(invoice.public_id) and body["deal"] == str(deal.public_id)
    assert body["job"] == str(job.public_id)
    assert (body["freee_invoice_id"], body["invoice_number"], body["subject"]) == (
        invoice.freee_invoice_id, invoice.invoice_number, "6月分")
    assert (body["sending_status_label"], body["payment_status_label"], body["cancel_status_label"],
            body["deal_status_label"]) == ("送付済み", "決済済み", "取消なし", "取引登録済み")
    assert body["state_label"] == "発行済み" and body["latest_status_label"] == "決済済み"
    for field in ["report_url", "partner_id", "partner_name", "billing_date", "payment_date", "total_amount",
                  "last_error", "created_at"]:
        assert field in body


def test_a_deals_invoices_and_lines_are_listed_under_the_deal(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)
    InvoiceFactory(deal=deal)
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant))
    DealLineFactory(deal=deal, description="デザイン", position=2)
    DealLineFactory(deal=deal, description="コーディング", position=1)
    assert api.get(deal_invoices_url(deal)).json()["count"] == 1
    lines = api.get(f"/api/v1/deals/{deal.public_id}/lines/").json()["results"]
    assert [line["description"] for line in lines] == ["コーディング", "デザイン"]


# --------------------------------------------------------------------------- issue


def test_issue_answers_202_with_the_pending_invoice_and_its_job(api, world_a, linked_deal, connected):
    response = post_json(api, deal_invoices_url(linked_deal), {"partner_id": 5, "partner_name": "株式会社テスト"})
    assert response.status_code == 202, response.content.decode()
    body = response.json()
    invoice = Invoice.objects.get(public_id=body["id"])
    assert (body["state"], body["partner_id"], body["partner_name"]) == ("pending", 5, "株式会社テスト")
    assert body["job"] == str(invoice.job.public_id) and invoice.job.kind == "invoices.issue"
    assert invoice.issued_by == world_a.member and invoice.deal == linked_deal
    assert api.get(reverse("api:job-detail", args=[invoice.job.public_id])).json()["status"] == "queued"


def test_issue_with_a_token_and_the_x_tenant_header(world_a, linked_deal, connected):
    from django.test import Client

    token = api_token_key(world_a.member)
    client = Client(headers={"Authorization": f"Token {token}", "X-Tenant": str(world_a.tenant.public_id)})
    assert post_json(client, deal_invoices_url(linked_deal), {"partner_id": 5}).status_code == 202


def test_issue_without_the_permission_is_a_403_in_the_error_format(api, world_a, linked_deal, connected):
    profiles_on_without_permission(world_a)
    error = assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_id": 5}), 403, "permission_denied")
    assert "作成権限がありません" in error["message"]
    assert not Invoice.objects.exists()


def test_holders_of_the_permission_may_issue_when_profiles_are_on(api, world_a, linked_deal, connected):
    profiles_on_without_permission(world_a)
    world_a.member_membership.permission_profile = PermissionProfileFactory(
        tenant=world_a.tenant, permissions=[FREEE_INVOICE_CREATE])
    world_a.member_membership.save()
    assert post_json(api, deal_invoices_url(linked_deal), {"partner_id": 5}).status_code == 202


def test_admins_without_the_permission_get_403_when_profiles_are_on(world_a, linked_deal, connected):
    profiles_on_without_permission(world_a)
    admin = world_a.client("admin")
    invoice = InvoiceFactory(deal=linked_deal, state=Invoice.State.FAILED, freee_invoice_id=None)

    error = assert_error(post_json(admin, deal_invoices_url(linked_deal), {"partner_id": 5}), 403, "permission_denied")

    assert "作成権限がありません" in error["message"]
    assert_error(post_json(admin, invoice_url(invoice, "retry")), 403, "permission_denied")
    assert_error(post_json(admin, invoice_url(invoice, "resync")), 403, "permission_denied")
    assert list(Invoice.objects.values_list("state", flat=True)) == [Invoice.State.FAILED]


def test_admins_holding_the_permission_may_issue_when_profiles_are_on(world_a, linked_deal, connected):
    profiles_on_without_permission(world_a)
    world_a.admin_membership.permission_profile = PermissionProfileFactory(
        tenant=world_a.tenant, permissions=[FREEE_INVOICE_CREATE])
    world_a.admin_membership.save()

    assert post_json(world_a.client("admin"), deal_invoices_url(linked_deal), {"partner_id": 5}).status_code == 202


def test_with_profiles_off_admins_and_members_may_issue(world_a, linked_deal, connected):
    assert post_json(world_a.client("admin"), deal_invoices_url(linked_deal), {"partner_id": 5}).status_code == 202
    Invoice.objects.update(state=Invoice.State.ISSUED)

    assert post_json(world_a.client("member"), deal_invoices_url(linked_deal), {"partner_id": 5}).status_code == 202


def test_the_permission_is_checked_before_the_input(api, world_a, linked_deal, connected):
    profiles_on_without_permission(world_a)
    assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_id": "abc"}), 403, "permission_denied")


def test_issue_without_a_partner_is_a_400_saying_a_freee_partner_is_needed(api, linked_deal, connected):
    error = assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_name": ""}), 400, "partner_required")
    assert "会計freeeに登録済みの取引先が必要" in error["message"]
    assert not Invoice.objects.exists()


def test_a_malformed_partner_id_is_a_400_invalid(api, linked_deal, connected):
    error = assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_id": "abc"}), 400, "invalid")
    assert "partner_id" in error["details"]


def test_application_errors_keep_their_code(api, world_a, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, state=Invoice.State.PENDING, freee_invoice_id=None)
    assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_id": 5}), 400, "invoice_in_progress")
    unlinked = DealFactory(tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=False))
    assert_error(post_json(api, deal_invoices_url(unlinked), {"partner_id": 5}), 400, "deal_type_not_linked")


def test_issue_without_a_freee_connection_says_so(api, linked_deal):
    assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_id": 5}), 400, "freee_not_connected")


# --------------------------------------------------------------------------- row actions


def test_retry_queues_a_needs_check_invoice(api, world_a, linked_deal):
    invoice = InvoiceFactory(deal=linked_deal, state=Invoice.State.FAILED, freee_invoice_id=None)
    response = post_json(api, invoice_url(invoice, "retry"))
    assert response.status_code == 202 and response.json()["state"] == "needs_check"


def test_an_issue_while_an_invoice_needs_checking_is_refused_with_its_own_code(api, linked_deal, connected):
    InvoiceFactory(deal=linked_deal, state=Invoice.State.NEEDS_CHECK, freee_invoice_id=None, post_attempts=1)

    error = assert_error(post_json(api, deal_invoices_url(linked_deal), {"partner_id": 5}), 400, "invoice_needs_check")

    assert "「再試行」" in error["message"] and "二重発行" in error["message"]
    assert Invoice.objects.count() == 1


def test_retry_of_an_abandoned_issuing_invoice_queues_it_but_a_live_one_is_left_alone(api, linked_deal):
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    abandoned, live = (InvoiceFactory(deal=linked_deal, state=Invoice.State.ISSUING, freee_invoice_id=None)
                       for _ in range(2))
    Invoice.objects.filter(pk=abandoned.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1))

    queued = post_json(api, invoice_url(abandoned, "retry"))
    untouched = post_json(api, invoice_url(live, "retry"))

    assert queued.status_code == 202 and queued.json()["state"] == "needs_check"
    assert untouched.status_code == 200 and untouched.json()["state"] == "issuing"


def test_retry_of_an_issued_invoice_changes_nothing(api, linked_deal):
    invoice = InvoiceFactory(deal=linked_deal)
    response = post_json(api, invoice_url(invoice, "retry"))
    assert response.status_code == 200 and response.json()["state"] == "issued"


def test_resync_and_retry_need_the_permission_but_refresh_does_not(api, world_a, linked_deal, connected):
    profiles_on_without_permission(world_a)
    invoice = InvoiceFactory(deal=linked_deal, state=Invoice.State.FAILED, freee_invoice_id=None)
    assert_error(post_json(api, invoice_url(invoice, "resync")), 403, "permission_denied")
    assert_error(post_json(api, invoice_url(invoice, "retry")), 403, "permission_denied")
    assert_error(post_json(api, invoice_url(invoice, "refresh")), 400, "not_issued")  # past the permission
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.FAILED


# --------------------------------------------------------------------------- access


def test_another_tenants_invoice_and_deal_are_404_for_every_method(api, world_b):
    deal = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")
    invoice = InvoiceFactory(deal=deal, partner_name="B社の秘密取引先")
    for url in [invoice_url(invoice), *(invoice_url(invoice, a) for a in ("refresh", "resync", "retry")),
                deal_invoices_url(deal), f"/api/v1/deals/{deal.public_id}/lines/"]:
        assert_cross_tenant_404(api, url, foreign_texts=("B社の秘密案件", "B社の秘密取引先"))
    assert api.get(INVOICES_URL, {"deal": str(deal.public_id)}).json()["count"] == 0
    assert Invoice.objects.get(pk=invoice.pk).state == Invoice.State.ISSUED


def test_anonymous_users_get_401_in_the_error_format(client, world_a, linked_deal):
    invoice = InvoiceFactory(deal=linked_deal)
    assert_error(client.get(INVOICES_URL), 401, "not_authenticated")
    assert_error(client.get(invoice_url(invoice)), 401, "not_authenticated")
    assert_error(post_json(client, deal_invoices_url(linked_deal), {"partner_id": 5}), 401, "not_authenticated")
    assert_error(post_json(client, invoice_url(invoice, "refresh")), 401, "not_authenticated")


def test_users_of_no_tenant_are_refused(world_a, linked_deal):
    assert_error(world_a.client("outsider").get(INVOICES_URL), 403, "permission_denied")


def test_the_schema_documents_the_invoice_endpoints(client):
    paths = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path in ["/api/v1/invoices/", "/api/v1/invoices/{public_id}/", "/api/v1/invoices/{public_id}/refresh/",
                 "/api/v1/invoices/{public_id}/resync/", "/api/v1/invoices/{public_id}/retry/",
                 "/api/v1/deals/{public_id}/invoices/", "/api/v1/deals/{public_id}/lines/"]:
        assert path in paths, path
    issue = paths["/api/v1/deals/{public_id}/invoices/"]["post"]
    assert {"202", "400", "403", "404"} <= set(issue["responses"])


# --------------------------------------------------------------------------- against the sandbox


def _issue_and_push(api, deal, partner_id: int) -> Invoice:
    response = post_json(api, deal_invoices_url(deal), {"partner_id": partner_id, "partner_name": "取引先"})
    assert response.status_code == 202, response.content.decode()
    invoice = Invoice.objects.get(public_id=response.json()["id"])
    services.invoice_push(invoice_id=invoice.pk)  # the task's work, run here rather than by a worker
    invoice.refresh_from_db()
    return invoice


@pytest.mark.django_db(transaction=True)
def test_issue_refresh_and_resync_through_the_api(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    api = world_a.client()
    invoice = _issue_and_push(api, linked_deal, first_partner(company)["id"])
    assert invoice.state == Invoice.State.ISSUED
    sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                               value="settled")
    body = post_json(api, invoice_url(invoice, "refresh")).json()
    assert (body["payment_status"], body["payment_status_label"]) == ("settled", "決済済み")
    linked_deal.amount = 440000
    linked_deal.save()
    assert post_json(api, invoice_url(invoice, "resync")).status_code == 200
    remote = sandbox_invoices(company)
    assert len(remote) == 1 and remote[0]["lines"][0]["unit_price"] == "440000"


@pytest.mark.django_db(transaction=True)
def test_a_partner_unknown_to_freee_is_explained_with_a_link_to_freees_partner_page(sandbox, linked_deal, world_a,
                                                                                   settings):
    company, _connection = sandbox
    api = world_a.client()
    invoice = _issue_and_push(api, linked_deal, 999999)
    assert invoice.state == Invoice.State.FAILED and invoice.last_error == PARTNER_MISSING
    assert invoice.job.status == Job.Status.FAILED and invoice.job.error == PARTNER_MISSING
    assert sandbox_invoices(company) == []
    assert api.get(invoice_url(invoice)).json()["last_error"] == PARTNER_MISSING
    row = api.get(reverse("invoices:row", args=[invoice.public_id])).content.decode()
    # the sandbox's 取引先 page, on the live server like the rest of the sandbox (issue 14 item 11)
    assert PARTNER_MISSING in row and f'href="{settings.FREEE_WEB_URL}/partners"' in row
    assert settings.FREEE_WEB_URL.startswith(settings.SITE_URL + "/sandbox/") and "secure.freee.co.jp" not in row


@pytest.mark.django_db(transaction=True)
def test_a_partner_deleted_in_freee_after_it_was_chosen_is_explained(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    partner = first_partner(company)
    resource_delete(company=company, kind="partner", resource_id=partner["id"])
    invoice = _issue_and_push(world_a.client(), linked_deal, partner["id"])
    assert invoice.state == Invoice.State.FAILED and invoice.last_error == PARTNER_MISSING


@pytest.mark.django_db(transaction=True)
def test_resync_after_the_partner_was_deleted_answers_the_same_message(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    api = world_a.client()
    partner = first_partner(company)
    invoice = _issue_and_push(api, linked_deal, partner["id"])
    resource_delete(company=company, kind="partner", resource_id=partner["id"])
    error = assert_error(post_json(api, invoice_url(invoice, "resync")), 400, "freee_error")
    assert error["message"] == PARTNER_MISSING


def test_issue_with_manual_numbering_needs_the_number_and_sends_it(api, world_a, linked_deal, connected):
    """issue 14 item 4: the API asks for the 請求書番号 as the tab does; the reference is never the number."""
    connected.invoice_numbering = FreeeConnection.Numbering.MANUAL
    connected.save()
    url = deal_invoices_url(linked_deal)
    assert_error(post_json(api, url, {"partner_id": 5, "partner_name": "A"}), 400, "invoice_number_required")
    response = post_json(api, url, {"partner_id": 5, "partner_name": "A", "invoice_number": "INV-9"})
    assert response.status_code == 202 and response.json()["invoice_number"] == "INV-9"
