"""One click, one invoice — against the sandbox over real HTTP, with real PostgreSQL and Redis."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core import jobs
from core.errors import ApplicationError
from core.models import Job
from core.tasks import jobs_fail_abandoned_task
from integrations.freee.client import FreeeClient
from integrations.models import ApiCallLog
from integrations.sandbox.services import sandbox_faults_set
from invoices import services
from invoices.models import Invoice
from tests.factories import DealLineFactory
from tests.invoices.conftest import first_partner, sandbox_invoices

pytestmark = pytest.mark.django_db(transaction=True)


def _issue(deal, world, company, invoice_number=None) -> Invoice:
    partner = first_partner(company)
    return services.invoice_issue(deal=deal, membership=world.member_membership, partner_id=partner["id"],
                                  partner_name=partner["name"], invoice_number=invoice_number)


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
    invoice = _issue(linked_deal, world_a, company, invoice_number=" INV-2026-001 ")
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    # The number the user gave goes to freee (the customer sees it); the internal reference stays in the memo.
    assert invoice.state == Invoice.State.ISSUED and invoice.invoice_number == "INV-2026-001"
    (remote,) = sandbox_invoices(company)
    assert remote["invoice_number"] == "INV-2026-001" and invoice.reference not in remote["invoice_number"]
    assert invoice.reference in remote["memo"]


def test_manual_numbering_without_a_number_is_refused_before_anything_is_written(sandbox, linked_deal, world_a):
    company, connection = sandbox
    connection.invoice_numbering = "manual"
    connection.save()
    with pytest.raises(ApplicationError) as refused:
        _issue(linked_deal, world_a, company)
    assert refused.value.code == "invoice_number_required" and "自動採番" in refused.value.message
    assert not Invoice.objects.exists()


def test_manual_numbering_refuses_a_number_already_used(sandbox, linked_deal, world_a):
    from tests.factories import InvoiceFactory

    company, connection = sandbox
    connection.invoice_numbering = "manual"
    connection.save()
    InvoiceFactory(deal=linked_deal, invoice_number="INV-7")
    with pytest.raises(ApplicationError) as refused:
        _issue(linked_deal, world_a, company, invoice_number="INV-7")
    assert refused.value.code == "invoice_number_taken"


def test_an_old_row_without_a_number_never_sends_the_reference_as_number(sandbox, linked_deal, world_a):
    """A row written before manual numbering was switched on has no number: it fails with the explanation."""
    company, connection = sandbox
    invoice = _issue(linked_deal, world_a, company)
    connection.invoice_numbering = "manual"
    connection.save()
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.FAILED and "自動採番" in invoice.last_error
    assert sandbox_invoices(company) == []


def test_a_numbering_mismatch_says_to_turn_automatic_numbering_on(sandbox, linked_deal, world_a):
    company, connection = sandbox
    connection.invoice_numbering = "manual"  # but the sandbox company numbers automatically
    connection.save()
    invoice = _issue(linked_deal, world_a, company, invoice_number="INV-1")
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


# --------------------------------------------------------------------------- a worker that dies mid-POST


class WorkerKilled(Exception):
    """The worker process dies (SIGKILL, OOM): nothing after this point of the push runs."""


def _die_in_the_post(monkeypatch, *, after_freee_created_it: bool) -> None:
    real_create = FreeeClient.invoice_create

    def dying(self, body):
        if after_freee_created_it:
            real_create(self, body)
        raise WorkerKilled

    monkeypatch.setattr(FreeeClient, "invoice_create", dying)


def _invoice_calls(tenant) -> list[str]:
    calls = ApiCallLog.objects.filter(tenant=tenant, path="/iv/invoices").order_by("pk")
    return [call.method for call in calls]


def _sweep_and_run(monkeypatch, settings, invoice) -> None:
    """Time passes with no heartbeat; the beat's abandoned-job sweeper re-sends the job's task, which runs."""
    past = timezone.now() - timedelta(seconds=settings.JOB_ABANDONED_AFTER_SECONDS + 1)
    Invoice.objects.filter(pk=invoice.pk).update(updated_at=past)
    Job.objects.filter(pk=invoice.job_id).update(updated_at=past)
    resent = []
    monkeypatch.setattr(jobs, "send_task", lambda task, *args, _options=None: resent.append((task, args)) or True)
    assert jobs_fail_abandoned_task() == {"recovered": 1, "failed": 0}
    assert [(task.name, args) for task, args in resent] == [("invoices.invoice_push", (invoice.pk,))]
    for task, args in resent:
        task(*args)


def _issued_by_a_worker_killed_mid_post(deal, world, company, monkeypatch, *, after_freee_created_it: bool):
    """Issue, and let the worker die inside the POST (before or after freee stored the invoice)."""
    invoice = _issue(deal, world, company)
    _die_in_the_post(monkeypatch, after_freee_created_it=after_freee_created_it)
    with pytest.raises(WorkerKilled):
        services.invoice_push(invoice_id=invoice.pk)
    monkeypatch.undo()
    return invoice


@pytest.mark.parametrize("after_freee_created_it", [True, False], ids=["created-in-freee", "not-in-freee"])
def test_a_worker_dying_mid_post_is_recovered_by_the_sweeper_with_exactly_one_invoice(
        sandbox, linked_deal, world_a, monkeypatch, settings, after_freee_created_it):
    company, _connection = sandbox
    invoice = _issued_by_a_worker_killed_mid_post(linked_deal, world_a, company, monkeypatch,
                                                  after_freee_created_it=after_freee_created_it)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.post_attempts) == (Invoice.State.ISSUING, 1)
    assert Job.objects.get(pk=invoice.job_id).status == Job.Status.RUNNING
    assert len(sandbox_invoices(company)) == (1 if after_freee_created_it else 0)

    services.invoice_push(invoice_id=invoice.pk)  # a duplicate message while the claim is fresh: left alone
    assert Invoice.objects.get(pk=invoice.pk).state == Invoice.State.ISSUING
    calls_before = _invoice_calls(world_a.tenant)

    _sweep_and_run(monkeypatch, settings, invoice)

    invoice.refresh_from_db()
    (remote,) = sandbox_invoices(company)
    assert invoice.state == Invoice.State.ISSUED and invoice.freee_invoice_id == remote["id"]
    assert invoice.reference in remote["memo"]
    # the outcome of the dead worker's POST was unknown: freee is searched first, and POSTed to only if empty
    assert _invoice_calls(world_a.tenant)[len(calls_before):] == (["GET"] if after_freee_created_it
                                                                  else ["GET", "POST"])
    assert Job.objects.get(pk=invoice.job_id).status == Job.Status.SUCCEEDED
    linked_deal.refresh_from_db()
    assert linked_deal.freee_latest_status == "unsettled"


def test_retry_on_an_abandoned_issuing_row_reconciles_instead_of_posting_again(
        sandbox, linked_deal, world_a, monkeypatch, settings):
    company, _connection = sandbox
    invoice = _issued_by_a_worker_killed_mid_post(linked_deal, world_a, company, monkeypatch,
                                                  after_freee_created_it=True)
    Invoice.objects.filter(pk=invoice.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1))
    with pytest.raises(ApplicationError, match="再試行"):  # a new 発行 is refused meanwhile
        _issue(linked_deal, world_a, company)

    services.invoice_retry(invoice=invoice, membership=world_a.member_membership)  # 再試行 in the tab
    services.invoice_push(invoice_id=invoice.pk)

    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED and len(sandbox_invoices(company)) == 1
    assert _invoice_calls(world_a.tenant).count("POST") == 1


# --------------------------------------------------------------------------- the admin's defaults in freee


@pytest.mark.parametrize(("defaults", "expected"), [
    ({"billing_date_rule": "today", "payment_term": "days_30", "subject_template": "{deal_name} のご請求",
      "tax_entry_method": "in", "tax_fraction": "round_up", "partner_title": "様"},
     {"subject": "ホームページ制作 のご請求", "partner_title": "様", "tax_entry_method": "in",
      "tax_fraction": "round_up", "billing": "today", "payment": "today+30", "total_amount": 1006, "amount_tax": 92}),
    ({"billing_date_rule": "deal", "payment_term": "end_of_month", "subject_template": "【請求】{deal_name}",
      "tax_entry_method": "out", "tax_fraction": "round", "partner_title": "(空白)"},
     {"subject": "【請求】ホームページ制作", "partner_title": "(空白)", "tax_entry_method": "out",
      "tax_fraction": "round", "billing": "2030-01-15", "payment": "2030-01-31", "total_amount": 1107,
      "amount_tax": 101}),
], ids=["inclusive-round-up-sama-30-days", "exclusive-round-blank-deal-date-end-of-month"])
def test_the_admins_invoice_defaults_reach_the_freee_invoice(sandbox, linked_deal, world_a, defaults, expected):
    company, _connection = sandbox
    assert world_a.client("admin").post("/settings/invoices/", defaults).status_code == 302  # 請求書の設定
    linked_deal.amount, linked_deal.expected_billing_date = 1006, date(2030, 1, 15)
    linked_deal.save()

    invoice = _issue(linked_deal, world_a, company)
    services.invoice_push(invoice_id=invoice.pk)

    (remote,) = sandbox_invoices(company)
    today = timezone.localdate()
    dates = {"today": today.isoformat(), "today+30": (today + timedelta(days=30)).isoformat()}
    assert {key: remote[key] for key in ("subject", "partner_title", "tax_entry_method", "tax_fraction",
                                         "total_amount", "amount_tax")} == {
        key: expected[key] for key in ("subject", "partner_title", "tax_entry_method", "tax_fraction",
                                       "total_amount", "amount_tax")}
    assert (remote["billing_date"], remote["payment_date"]) == (
        dates.get(expected["billing"], expected["billing"]), dates.get(expected["payment"], expected["payment"]))
    invoice.refresh_from_db()
    assert (invoice.total_amount, invoice.amount_tax) == (expected["total_amount"], expected["amount_tax"])
