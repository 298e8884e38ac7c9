"""Issue 14 item 23: every field 申請フォームの設定 can make required can be filled in on the form.

支払先: the form's 支払先（取引先名） fills it (only a freee partner id used to count). 証憑ファイル: the form has a
file field; the files go to the freee company's ファイルボックス and their ids become the request's receipt_ids.
"""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from integrations.sandbox.models import SandboxResource
from payment_requests import selectors, services
from payment_requests.models import PaymentRequest, RequestFormSetting
from tests.payment_requests.factories import flow_for, request_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _require(flow, *names):
    setting = selectors.form_setting_for(tenant=flow.tenant)
    setting.required_fields = list(names)
    setting.save()


def _form_data(flow, **overrides):
    data = {
        "title": "画面からの依頼",
        "issue_date": "2026-04-01",
        "route": flow.route.pk,
        "payment_method": "domestic_bank_transfer",
        "qualified_invoice_status": "unspecified",
        "account_type": "ordinary",
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
    data.update(overrides)
    return data


def test_the_partner_name_on_the_form_fills_a_required_partner(flow):
    _require(flow, "partner")
    response = _client(flow.world.member).post(
        reverse("payment_requests:create"), _form_data(flow, partner_name="青葉商事")
    )
    assert response.status_code == 302, response.content.decode()
    assert PaymentRequest.objects.get().status == "in_progress"


def test_a_required_partner_left_empty_is_still_refused(flow):
    _require(flow, "partner")
    response = _client(flow.world.member).post(reverse("payment_requests:create"), _form_data(flow))
    assert response.status_code == 400
    assert "申請フォームの設定で入力が必須の項目を入力してください: 支払先（取引先）" in response.content.decode()


def test_a_partner_name_fills_a_required_partner_through_the_service_too(flow):
    _require(flow, "partner")
    data = request_input(flow, partner_name="青葉商事", partner_id=None)
    assert services.missing_required_fields(flow.tenant, data) == []


# The form input that fills each field 申請フォームの設定 can make required.
INPUTS = {
    "payment_method": "payment_method",
    "partner": "partner_name",
    "document_code": "document_code",
    "payment_date": "payment_date",
    "description": "description",
    "receipt_ids": "receipt_files",
}


def test_the_table_of_inputs_covers_every_requirable_field():
    assert set(INPUTS) == set(RequestFormSetting.REQUIRABLE_FIELDS)


@pytest.mark.parametrize("name", sorted(RequestFormSetting.REQUIRABLE_FIELDS))
def test_every_requirable_field_has_a_marked_input_on_the_form(flow, name):
    _require(flow, name)
    page = _client(flow.world.member).get(reverse("payment_requests:create")).content.decode()
    tag = re.search(rf'<(input|select|textarea)[^>]*name="{INPUTS[name]}"[^>]*>', page)
    assert tag is not None, f"no input for {name}"
    assert 'data-required="1"' in tag.group(0)
    assert f"{RequestFormSetting.REQUIRABLE_FIELDS[name]} ※" in page or "※" in page


# --------------------------------------------------------------------------- 証憑ファイル through the sandbox


def _sandbox_receipts(company) -> list[dict]:
    return [r.data for r in SandboxResource.objects.filter(company=company, kind="receipt").order_by("resource_id")]


@pytest.mark.django_db(transaction=True)
def test_files_attached_on_the_form_go_to_the_file_box_and_fill_a_required_receipt(sandbox, flow):
    company, _connection = sandbox
    _require(flow, "receipt_ids")
    files = [
        SimpleUploadedFile("請求書.pdf", b"%PDF-1.4 invoice", content_type="application/pdf"),
        SimpleUploadedFile("receipt.png", b"\x89PNG receipt", content_type="image/png"),
    ]
    response = _client(flow.world.member).post(
        reverse("payment_requests:create"), {**_form_data(flow), "receipt_files": files}
    )
    assert response.status_code == 302, response.content.decode()
    stored = _sandbox_receipts(company)
    assert [(r["file_name"], r["mime_type"], r["sha256"]) for r in stored] == [
        ("請求書.pdf", "application/pdf", hashlib.sha256(b"%PDF-1.4 invoice").hexdigest()),
        ("receipt.png", "image/png", hashlib.sha256(b"\x89PNG receipt").hexdigest()),
    ]
    request = PaymentRequest.objects.get()
    assert request.status == "in_progress" and request.receipt_ids == [r["id"] for r in stored]


@pytest.mark.django_db(transaction=True)
def test_uploaded_files_are_kept_as_ids_when_the_request_is_refused(sandbox, flow):
    company, _connection = sandbox
    _require(flow, "receipt_ids", "document_code")
    files = [SimpleUploadedFile("請求書.pdf", b"%PDF-1.4", content_type="application/pdf")]
    response = _client(flow.world.member).post(
        reverse("payment_requests:create"), {**_form_data(flow), "receipt_files": files}
    )
    assert response.status_code == 400
    (stored,) = _sandbox_receipts(company)
    assert f'value="{stored["id"]}"' in response.content.decode()  # shown again: the next save sends the id
    again = _client(flow.world.member).post(
        reverse("payment_requests:create"), _form_data(flow, receipt_ids=str(stored["id"]), document_code="INV-1")
    )
    assert again.status_code == 302, again.content.decode()
    assert PaymentRequest.objects.get().receipt_ids == [stored["id"]] and len(_sandbox_receipts(company)) == 1


def test_attaching_without_a_freee_connection_says_how_to_connect(flow):
    files = [SimpleUploadedFile("請求書.pdf", b"%PDF-1.4", content_type="application/pdf")]
    response = _client(flow.world.member).post(
        reverse("payment_requests:create"), {**_form_data(flow), "receipt_files": files}
    )
    assert response.status_code == 400
    assert "証憑ファイルはfreeeのファイルボックスに保存します。" in response.content.decode()
    assert not PaymentRequest.objects.exists()


def test_receipt_ids_typed_on_the_form_fill_a_required_receipt(flow):
    _require(flow, "receipt_ids")
    response = _client(flow.world.member).post(
        reverse("payment_requests:create"), _form_data(flow, receipt_ids="12, 15")
    )
    assert response.status_code == 302, response.content.decode()
    assert PaymentRequest.objects.get().receipt_ids == [12, 15]


def test_receipt_ids_that_are_not_numbers_are_a_form_error(flow):
    response = _client(flow.world.member).post(
        reverse("payment_requests:create"), _form_data(flow, receipt_ids="12, abc")
    )
    assert response.status_code == 400
    assert "証憑ファイルIDは半角数字をカンマ区切りで入力してください。" in response.content.decode()
