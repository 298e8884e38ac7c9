"""The sandbox console: tenant-scoped apps and companies, settings, faults and invoice status buttons."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from integrations.sandbox.models import SandboxApp, SandboxResource
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create
from tests.isolation import assert_cross_tenant_404
from tests.sandbox.conftest import invoice_body

pytestmark = pytest.mark.django_db


def test_admin_sees_only_own_tenants_apps(world_a, world_b, sandbox_app):
    sandbox_app_create(tenant=world_b.tenant, name="他テナントの秘密アプリ")
    body = world_a.client("admin").get(reverse("sandbox:console")).content.decode()
    assert sandbox_app.name in body and "他テナントの秘密アプリ" not in body


def test_creating_an_app_shows_the_secret_once(world_a):
    response = world_a.client("admin").post(reverse("sandbox:console"), {"name": "新しいアプリ"})
    app = SandboxApp.objects.get(name="新しいアプリ")
    assert app.owner_tenant == world_a.tenant
    assert app.client_secret in response.content.decode()
    assert app.client_secret not in world_a.client("admin").get(reverse("sandbox:console")).content.decode()


def test_outsider_is_refused(world_a):
    assert world_a.client("outsider").get(reverse("sandbox:console")).status_code == 403


def test_other_tenants_app_and_company_are_404(world_a, world_b):
    app = sandbox_app_create(tenant=world_b.tenant, name="他テナントの秘密アプリ")
    company = sandbox_company_create(app=app, name="他テナントの秘密事業所")
    client = world_a.client("admin")
    assert_cross_tenant_404(client, reverse("sandbox:console-app", kwargs={"public_id": app.public_id}),
                            foreign_texts=("他テナントの秘密アプリ",))
    assert_cross_tenant_404(client, reverse("sandbox:console-company", kwargs={"public_id": company.public_id}),
                            foreign_texts=("他テナントの秘密事業所",))


def test_other_tenants_invoice_report_is_404(world_a, world_b, api):
    invoice = api.post("/iv/invoices", invoice_body()).json()["invoice"]
    assert world_a.client().get(urlsplit(invoice["report_url"]).path).status_code == 200
    assert world_b.client().get(reverse("sandbox:freee-iv-report", args=[invoice["id"]])).status_code == 404


def test_adding_a_company(world_a, sandbox_app):
    url = reverse("sandbox:console-app", kwargs={"public_id": sandbox_app.public_id})
    response = world_a.client("admin").post(url, {"name": "追加事業所"})
    assert response.status_code == 302
    company = sandbox_app.companies.get(name="追加事業所")
    assert SandboxResource.objects.filter(company=company, kind="partner").count() == 25


def test_payment_status_button_marks_the_invoice_paid(world_a, company, api):
    invoice = api.post("/iv/invoices", invoice_body()).json()["invoice"]
    url = reverse("sandbox:console-company", kwargs={"public_id": company.public_id})
    page = world_a.client("admin").get(url).content.decode()
    assert invoice["invoice_number"] in page and "入金済みにする" in page
    world_a.client("admin").post(url, {"action": "invoice_status", "invoice_id": invoice["id"], "field": "payment_status",
                                "value": "settled"})
    assert api.get(f"/iv/invoices/{invoice['id']}").json()["invoice"]["payment_status"] == "settled"


def _button_form(page: str, label: str) -> dict[str, str]:
    """The hidden fields of the console form whose button reads `label` (what a click would post)."""
    form = next(f for f in page.split("<form")[1:] if f">{label}</button>" in f)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields.pop("csrfmiddlewaretoken", None)  # the test client does not check CSRF
    return fields


def test_sending_status_buttons_mark_the_invoice_sent_and_back(world_a, world_b, company, api):
    invoice = api.post("/iv/invoices", invoice_body()).json()["invoice"]
    url = reverse("sandbox:console-company", kwargs={"public_id": company.public_id})
    client = world_a.client("admin")
    page = client.get(url).content.decode()
    sent = _button_form(page, "送付済みにする")
    assert sent == {"action": "invoice_status", "invoice_id": str(invoice["id"]), "field": "sending_status",
                    "value": "sent"}
    assert world_b.client("admin").post(url, sent).status_code == 404  # another tenant's company
    assert api.get(f"/iv/invoices/{invoice['id']}").json()["invoice"]["sending_status"] == "unsent"

    page = client.post(url, sent, follow=True).content.decode()
    assert f"請求書（ID {invoice['id']}）のステータスを変更しました。" in page
    assert api.get("/iv/invoices", sending_status="sent").json()["invoices"][0]["id"] == invoice["id"]
    client.post(url, _button_form(page, "送付待ちに戻す"))
    assert api.get(f"/iv/invoices/{invoice['id']}").json()["invoice"]["sending_status"] == "unsent"
    page = client.post(url, {**sent, "value": "delivered"}, follow=True).content.decode()
    assert "請求書のステータスを変更できませんでした。" in page


def test_settings_and_faults_forms(world_a, company):
    url = reverse("sandbox:console-company", kwargs={"public_id": company.public_id})
    client = world_a.client("admin")
    client.post(url, {"action": "settings", "plan": "advance", "invoice_member_ok": "on"})
    company.refresh_from_db()
    assert (company.plan, company.invoice_auto_numbering, company.invoice_member_ok) == ("advance", False, True)
    client.post(url, {"action": "faults", "rate_limit_429": "3", "server_error_5xx": "2", "server_error_status": "503",
                      "lockout_minutes": "10", "latency_ms": "0"})
    company.refresh_from_db()
    assert company.faults["rate_limit_429"] == {"count": 3}
    assert company.faults["server_error_5xx"] == {"count": 2, "status": 503}
    assert "lockout_until" in company.faults and "latency_ms" not in company.faults
    assert client.get(url).status_code == 200


def test_expire_tokens_button(world_a, company, api):
    url = reverse("sandbox:console-company", kwargs={"public_id": company.public_id})
    world_a.client("admin").post(url, {"action": "expire_tokens"})
    assert api.get("/api/1/users/me").status_code == 401


@pytest.mark.parametrize("name", ["sandbox:console", "sandbox:console-lineworks"])
def test_members_are_refused_the_consoles_like_other_admin_screens(world_a, name):
    response = world_a.client().get(reverse(name))
    assert response.status_code == 403
    assert "管理者のみ" in response.content.decode()
    assert world_a.client().post(reverse(name), {"name": "メンバーのアプリ"}).status_code == 403
    assert not SandboxApp.objects.filter(name="メンバーのアプリ").exists()


def test_members_are_refused_an_app_and_a_company_of_their_own_tenant(world_a, sandbox_app):
    company = sandbox_company_create(app=sandbox_app, name="自テナントの事業所")
    for url in (reverse("sandbox:console-app", kwargs={"public_id": sandbox_app.public_id}),
                reverse("sandbox:console-company", kwargs={"public_id": company.public_id})):
        response = world_a.client().get(url)
        assert response.status_code == 403
        assert sandbox_app.client_id not in response.content.decode()
    faults = world_a.client().post(reverse("sandbox:console-company", kwargs={"public_id": company.public_id}),
                                   {"action": "faults", "server_error_5xx": 3, "server_error_status": 500})
    assert faults.status_code == 403
    company.refresh_from_db()
    assert company.faults == {}


def test_members_are_refused_the_lineworks_domain_with_its_private_key(world_a):
    from integrations.sandbox.lineworks import sandbox_lineworks_domain_create

    domain = sandbox_lineworks_domain_create(tenant=world_a.tenant, name="自テナントのドメイン", users=1)
    for url in (reverse("sandbox:console-lineworks-domain", kwargs={"public_id": domain.public_id}),
                reverse("sandbox:console-lineworks-inbox", kwargs={"public_id": domain.users.first().public_id})):
        response = world_a.client().get(url)
        assert response.status_code == 403
        assert "PRIVATE KEY" not in response.content.decode() and domain.client_secret not in response.content.decode()
    admin_page = world_a.client("admin").get(
        reverse("sandbox:console-lineworks-domain", kwargs={"public_id": domain.public_id}))
    assert admin_page.status_code == 200 and domain.client_secret in admin_page.content.decode()
