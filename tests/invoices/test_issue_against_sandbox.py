"""One click, one invoice — against the sandbox over real HTTP, with real PostgreSQL and Redis."""

import pytest

from core.models import Job
from integrations.sandbox.services import sandbox_faults_set
from invoices import services
from invoices.models import Invoice
from tests.factories import DealLineFactory
from tests.invoices.conftest import first_partner, sandbox_invoices

pytestmark = pytest.mark.django_db(transaction=True)


def _issue(deal, world, company) -> Invoice:
    partner = first_partner(company)
    return services.invoice_issue(deal=deal, membership=world.member_membership, partner_id=partner["id"],
                                  partner_name=partner["name"])


def test_a_timeout_after_freee_created_the_invoice_still_leaves_exactly_one(sandbox, linked_deal, world_a, settings):
    company, _connection = sandbox
    settings.FREEE_TIMEOUT_SECONDS = 1
    sandbox_faults_set(company, timeout_after_create=3)  # seconds, once
    invoice = _issue(linked_deal, world_a, company)
    with pytest.raises(services.RetryLater):  # the task's first attempt: freee created it, we timed out
        services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.NEEDS_CHECK and len(sandbox_invoices(company)) == 1

    for _ in range(3):  # the user presses 再試行 again and again, and the task retries too
        services.invoice_retry(invoice=invoice, membership=world_a.member_membership)
        services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    remote = sandbox_invoices(company)
    assert len(remote) == 1
    assert invoice.state == Invoice.State.ISSUED and invoice.freee_invoice_id == remote[0]["id"]
    assert invoice.reference in remote[0]["memo"] and invoice.post_attempts == 1
    linked_deal.refresh_from_db()
    assert linked_deal.freee_latest_status == "unsettled"


def test_a_5xx_on_create_is_reconciled_before_any_second_post(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    sandbox_faults_set(company, server_error_5xx=1)
    invoice = _issue(linked_deal, world_a, company)
    with pytest.raises(services.RetryLater):
        services.invoice_push(invoice_id=invoice.pk)
    assert sandbox_invoices(company) == []  # the 5xx happened before freee created anything
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED and len(sandbox_invoices(company)) == 1


def test_lines_become_invoice_lines_and_tax_is_freees(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    DealLineFactory(deal=linked_deal, description="デザイン", quantity=2, unit_price=100000, tax_rate="10")
    DealLineFactory(deal=linked_deal, description="弁当", quantity=3, unit_price=1000, tax_rate="8_reduced")
    invoice = _issue(linked_deal, world_a, company)
    services.invoice_push(invoice_id=invoice.pk)
    remote = sandbox_invoices(company)[0]
    assert [(line["description"], line["tax_rate"], line["reduced_tax_rate"]) for line in remote["lines"]] == [
        ("デザイン", 10, False), ("弁当", 8, True)]
    invoice.refresh_from_db()
    assert invoice.total_amount == 200000 + 20000 + 3000 + 240


def test_a_deal_without_lines_is_one_line_of_its_amount_at_10_percent(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    invoice = _issue(linked_deal, world_a, company)
    services.invoice_push(invoice_id=invoice.pk)
    (line,) = sandbox_invoices(company)[0]["lines"]
    assert (line["quantity"], line["unit_price"], line["tax_rate"]) == (1, "330000", 10)
    assert Job.objects.get(pk=invoice.job_id).status == Job.Status.SUCCEEDED


def test_manual_numbering_sends_the_number_and_auto_numbering_leaves_it_out(sandbox, linked_deal, world_a):
    from integrations.sandbox.services import sandbox_company_update

    company, connection = sandbox
    sandbox_company_update(company=company, invoice_auto_numbering=False)
    connection.invoice_numbering = "manual"
    connection.save()
    invoice = _issue(linked_deal, world_a, company)
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED and invoice.invoice_number == invoice.reference


def test_a_numbering_mismatch_says_to_turn_automatic_numbering_on(sandbox, linked_deal, world_a):
    company, connection = sandbox
    connection.invoice_numbering = "manual"  # but the sandbox company numbers automatically
    connection.save()
    invoice = _issue(linked_deal, world_a, company)
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.FAILED
    assert invoice.last_error == (
        "請求書の登録に失敗しました。freee請求書の採番設定で「自動採番」をONにするか、連携設定の採番設定を"
        "freeeに合わせてください。"
    )
    assert sandbox_invoices(company) == []


def test_refresh_and_resync_update_the_same_freee_invoice(sandbox, linked_deal, world_a):
    from integrations.sandbox.services import sandbox_invoice_status_set

    company, _connection = sandbox
    invoice = _issue(linked_deal, world_a, company)
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                               value="settled")
    services.invoice_refresh(invoice=invoice)
    assert invoice.payment_status == "settled"
    linked_deal.amount = 440000
    linked_deal.save()
    services.invoice_resync(invoice=invoice, membership=world_a.member_membership)
    remote = sandbox_invoices(company)
    assert len(remote) == 1 and remote[0]["lines"][0]["unit_price"] == "440000"
