"""`manage.py seed_demo` (run by `make run` on every start): the demo tenant, seeded once, with its logins."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.test import Client

from deals.models import Deal, DealLine, DealType, Product
from integrations.models import FreeeConnection, LineWorksLink
from tenancy.models import Membership, Tenant

LOGIN = re.compile(r"^\s+(demo-\w+) / (\S+)\s", re.MULTILINE)


@pytest.fixture
def seed(db, settings, tmp_path):
    """Run the real command, with the demo logins written to a temporary file (not the developer's)."""
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-logins.txt"

    def seed() -> str:
        out = StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    return seed


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Tenant, get_user_model(), Membership, DealType, Product, Deal, DealLine,
                          FreeeConnection, LineWorksLink)}


def test_seed_creates_the_demo_tenant_with_an_admin_and_a_sales_member(seed):
    output = seed()

    tenant = Tenant.objects.get(settings__demo=True)
    roles = dict(Membership.objects.for_tenant(tenant).values_list("user__username", "role"))
    assert roles == {"demo-admin": Membership.Role.ADMIN, "demo-sales": Membership.Role.MEMBER}
    logins = dict(LOGIN.findall(output))
    assert set(logins) == {"demo-admin", "demo-sales"}, output
    for username, password in logins.items():
        assert get_user_model().objects.get(username=username).check_password(password)


def test_seed_creates_two_deal_types_and_about_fifty_deals_with_and_without_lines(seed):
    seed()

    tenant = Tenant.objects.get(settings__demo=True)
    types = DealType.objects.for_tenant(tenant)
    assert types.count() == 2
    assert set(types.values_list("linked_to_freee", flat=True)) == {True, False}
    deals = Deal.objects.for_tenant(tenant).annotate(line_count=Count("lines"))
    assert 40 <= deals.count() <= 60
    with_lines = [deal for deal in deals if deal.line_count]
    assert 0 < len(with_lines) < deals.count()  # some with product lines, some without
    assert {deal.deal_type_id for deal in deals} == set(types.values_list("id", flat=True))
    for deal in with_lines:
        assert deal.amount == sum(line.quantity * line.unit_price for line in deal.lines.all())


def test_running_it_again_changes_nothing_and_prints_the_same_logins(seed):
    first = seed()
    counts = _counts()

    second = seed()

    assert _counts() == counts
    assert counts["Deal"] > 0 and counts["FreeeConnection"] == 1 and counts["LineWorksLink"] == 1
    assert LOGIN.findall(second) == LOGIN.findall(first)


# --------------------------------------------------------------------------- issue 14 item 11: a coherent demo


def _demo_company():
    from integrations.sandbox.models import SandboxCompany

    tenant = Tenant.objects.get(settings__demo=True)
    connection = FreeeConnection.objects.get(tenant=tenant)
    return tenant, SandboxCompany.objects.get(company_id=connection.company_id)


def _sandbox_partners(company) -> dict[str, int]:
    from integrations.sandbox.models import SandboxResource

    return {r.data["name"]: r.data["id"] for r in SandboxResource.objects.filter(company=company, kind="partner")}


def test_every_demo_deals_partner_is_a_partner_of_the_demo_sandbox_company(seed):
    seed()

    tenant, company = _demo_company()
    partners = _sandbox_partners(company)
    deals = Deal.objects.for_tenant(tenant)
    assert {deal.partner_name for deal in deals} <= set(partners)
    # chosen already, as if picked from freee's search: the 請求書 tab opens with the partner selected
    assert all(deal.partner_freee_id == partners[deal.partner_name] for deal in deals)


def test_the_demo_deals_partner_is_chosen_on_the_invoice_tab(seed):
    seed()

    tenant, _company = _demo_company()
    deal = Deal.objects.for_tenant(tenant).filter(deal_type__linked_to_freee=True).first()
    client = Client()
    client.force_login(get_user_model().objects.get(username="demo-sales"))
    page = client.get(f"/deals/{deal.public_id}/invoices/").content.decode()
    assert f'name="partner_id" id="partner-id" value="{deal.partner_freee_id}"' in page
    assert f"選択中: {deal.partner_name}" in page


def test_running_it_again_registers_no_partner_twice(seed):
    seed()
    _tenant, company = _demo_company()
    partners = _sandbox_partners(company)

    seed()

    assert _sandbox_partners(company) == partners


def test_a_demo_seeded_before_the_partners_existed_gets_them_on_the_next_run(seed):
    from integrations.sandbox.models import SandboxResource

    seed()
    tenant, company = _demo_company()
    demo_names = set(Deal.objects.for_tenant(tenant).values_list("partner_name", flat=True))
    SandboxResource.objects.filter(company=company, kind="partner", data__name__in=demo_names).delete()
    Deal.objects.for_tenant(tenant).update(partner_freee_id=None)

    seed()

    partners = _sandbox_partners(company)
    assert demo_names <= set(partners)
    assert all(deal.partner_freee_id == partners[deal.partner_name] for deal in Deal.objects.for_tenant(tenant))
