"""請求書の設定: admins edit the invoice defaults; members get 403; errors keep what was typed."""

import re

import pytest
from django.urls import reverse

from invoices.models import InvoiceSettings
from invoices.services import invoice_settings_for

URL = "/settings/invoices/"
VALID = {"billing_date_rule": "today", "payment_term": "days_30", "subject_template": "{deal_name} のご請求",
         "tax_entry_method": "in", "tax_fraction": "round", "partner_title": "様"}


def test_the_page_is_at_settings_invoices_and_linked_from_the_settings_nav(world_a):
    assert reverse("invoices:settings") == URL
    page = world_a.client("admin").get(reverse("tenancy:settings")).content.decode()
    assert f'href="{URL}"' in page and "請求書の設定" in page


def test_admin_sees_the_current_defaults(world_a):
    page = world_a.client("admin").get(URL).content.decode()
    for text in ["請求書の設定", "案件の請求予定日", "翌月末", "{deal_name}", "内税", "外税", "切り捨て", "御中"]:
        assert text in page


def test_admin_edits_the_defaults(world_a):
    admin = world_a.client("admin")
    response = admin.post(URL, VALID)
    assert response.status_code == 302 and response["Location"] == URL
    settings = invoice_settings_for(tenant=world_a.tenant)
    assert (settings.billing_date_rule, settings.payment_term, settings.subject_template, settings.tax_entry_method,
            settings.tax_fraction, settings.partner_title) == tuple(VALID.values())
    assert "請求書の設定を保存しました" in admin.get(URL).content.decode()


def test_each_tenant_has_its_own_settings(world_a, world_b):
    world_a.client("admin").post(URL, VALID)
    assert invoice_settings_for(tenant=world_b.tenant).subject_template == "{deal_name}"
    assert InvoiceSettings.objects.filter(tenant=world_a.tenant).count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_members_get_403(world_a, method):
    response = getattr(world_a.client("member"), method)(URL, VALID)
    assert response.status_code == 403
    assert invoice_settings_for(tenant=world_a.tenant).subject_template == "{deal_name}"


def test_anonymous_users_are_sent_to_login(client, world_a):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(("subject", "message"), [("", "件名を入力してください"), ("   ", "件名を入力してください"),
                                                  ("長" * 256, "255文字以内")])
def test_a_bad_subject_is_refused_and_the_form_keeps_what_was_typed(world_a, subject, message):
    response = world_a.client("admin").post(URL, {**VALID, "subject_template": subject})
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert 'value="days_30" selected' in page and re.search(r'value="in"[^>]*checked', page)
    if subject.strip():
        assert subject in page
    assert invoice_settings_for(tenant=world_a.tenant).subject_template == "{deal_name}"


def test_an_unknown_choice_is_refused(world_a):
    response = world_a.client("admin").post(URL, {**VALID, "tax_entry_method": "both"})
    assert response.status_code == 400 and "both" not in invoice_settings_for(tenant=world_a.tenant).tax_entry_method
