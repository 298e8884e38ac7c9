"""issue 14 item 6: ステータス更新 on the 請求書 tab swaps its row in place and says what changed (or that nothing
did); a failed invoice whose deal was issued again afterwards is closed — kept in the tab's history, marked, and
never retried into a second freee invoice, whether from the page or through the API.

Against the sandbox over real HTTP where freee answers; the refusals happen before any call.
"""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from integrations.sandbox.services import sandbox_invoice_status_set
from invoices import services
from invoices.models import Invoice
from tests.factories import InvoiceFactory
from tests.invoices.conftest import first_partner, sandbox_invoices

HTMX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
MISSING_PARTNER_ID = 987_654_321


class _TopLevel(HTMLParser):
    """The top-level elements of an htmx partial: what an outerHTML swap puts in the target's place."""

    def __init__(self):
        super().__init__()
        self.depth, self.elements = 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1


def top_level(html: str) -> list[tuple[str, dict]]:
    parser = _TopLevel()
    parser.feed(html)
    return parser.elements


def _issue(world, deal, *, partner_id: int, partner_name: str) -> Invoice:
    """発行 the product's way: the row is written, then the task's work posts it to the sandbox."""
    invoice = services.invoice_issue(
        deal=deal, membership=world.member_membership, partner_id=partner_id, partner_name=partner_name
    )
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    return invoice


def _issued(world, deal, company) -> Invoice:
    partner = first_partner(company)
    invoice = _issue(world, deal, partner_id=partner["id"], partner_name=partner["name"])
    assert invoice.state == Invoice.State.ISSUED
    return invoice


def _refresh(client, invoice):
    return client.post(reverse("invoices:refresh", args=[invoice.public_id]), headers=HTMX)


def _swap_target(page: str, invoice) -> str:
    """The id the ステータス更新 button of `invoice` swaps (its hx-target)."""
    marker = f'hx-post="{reverse("invoices:refresh", args=[invoice.public_id])}" hx-target="#'
    assert marker in page, page
    return page.split(marker, 1)[1].split('"', 1)[0]


# ----------------------------------------------------------------- ステータス更新: in place, and what changed


@pytest.mark.django_db(transaction=True)
def test_status_refresh_answers_exactly_the_element_it_replaces_so_no_row_is_added(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    invoice = _issued(world_a, linked_deal, company)
    client = world_a.client()
    tab = client.get(reverse("invoices:deal_tab", args=[linked_deal.public_id])).content.decode()
    target = _swap_target(tab, invoice)

    for _click in range(3):
        response = _refresh(client, invoice)
        page = response.content.decode()
        assert response.status_code == 200
        # An outerHTML swap puts every top-level element where the target was: anything beyond the one element
        # carrying the target's id is a row added per click.
        assert [attrs.get("id") for _tag, attrs in top_level(page)] == [target], page
        assert _swap_target(page, invoice) == target


@pytest.mark.django_db(transaction=True)
def test_status_refresh_with_nothing_changed_in_freee_says_so(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    invoice = _issued(world_a, linked_deal, company)

    page = _refresh(world_a.client(), invoice).content.decode()

    assert "変更はありません" in page and 'role="status"' in page


@pytest.mark.django_db(transaction=True)
def test_status_refresh_names_each_status_that_changed_from_before_to_after(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    invoice = _issued(world_a, linked_deal, company)
    sandbox_invoice_status_set(
        company=company, invoice_id=invoice.freee_invoice_id, field="payment_status", value="settled"
    )
    sandbox_invoice_status_set(
        company=company, invoice_id=invoice.freee_invoice_id, field="sending_status", value="sent"
    )

    page = _refresh(world_a.client(), invoice).content.decode()

    assert "変更はありません" not in page
    assert "決済: 決済待ち → 決済済み" in page and "送付: 送付待ち → 送付済み" in page
    invoice.refresh_from_db()
    assert invoice.payment_status == "settled"


@pytest.mark.django_db(transaction=True)
def test_the_service_returns_the_changes_it_copied(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    invoice = _issued(world_a, linked_deal, company)
    assert services.invoice_refresh(invoice=invoice) == []
    sandbox_invoice_status_set(
        company=company, invoice_id=invoice.freee_invoice_id, field="payment_status", value="settled"
    )

    changes = services.invoice_refresh(invoice=invoice)

    assert [(c.label, c.before, c.after) for c in changes] == [("決済", "決済待ち", "決済済み")]


# ----------------------------------------------------------------- failed rows closed by a later good invoice


def _failed_then_reissued(world, deal, company) -> tuple[Invoice, Invoice]:
    """The user's story: 発行 to a partner freee no longer has fails; 発行 again to a real one succeeds."""
    failed = _issue(world, deal, partner_id=MISSING_PARTNER_ID, partner_name="削除された取引先")
    assert failed.state == Invoice.State.FAILED
    good = _issued(world, deal, company)
    assert len(sandbox_invoices(company)) == 1
    return failed, good


@pytest.mark.django_db(transaction=True)
def test_a_failure_closed_by_a_later_good_invoice_cannot_be_retried_by_the_service(
    sandbox, world_a, linked_deal, django_capture_on_commit_callbacks
):
    company, _connection = sandbox
    failed, good = _failed_then_reissued(world_a, linked_deal, company)

    with django_capture_on_commit_callbacks() as queued, pytest.raises(ApplicationError) as refused:
        services.invoice_retry(invoice=failed, membership=world_a.member_membership)

    assert refused.value.http_status == 409 and refused.value.code == "invoice_superseded"
    assert good.invoice_number in refused.value.message and "再試行できません" in refused.value.message
    assert queued == []
    failed.refresh_from_db()
    assert failed.state == Invoice.State.FAILED  # kept in the history as it was
    services.invoice_push(invoice_id=failed.pk)  # even a stray task run finds nothing to claim
    assert len(sandbox_invoices(company)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_tab_keeps_the_closed_failure_marked_and_offers_no_retry(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    failed, good = _failed_then_reissued(world_a, linked_deal, company)
    retry_url = reverse("invoices:retry", args=[failed.public_id])

    tab = world_a.client().get(reverse("invoices:deal_tab", args=[linked_deal.public_id])).content.decode()
    row = world_a.client().get(reverse("invoices:row", args=[failed.public_id])).content.decode()

    for page in (tab, row):
        assert f'id="invoice-{failed.public_id}"' in page and failed.last_error in page
        assert f"終了（{good.invoice_number} で発行済み）" in page
        assert retry_url not in page


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_closed_failure_from_the_page_is_409_with_the_reason(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    failed, good = _failed_then_reissued(world_a, linked_deal, company)

    response = world_a.client().post(reverse("invoices:retry", args=[failed.public_id]), headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 409 and 'role="alert"' in page and "再試行できません" in page
    assert [attrs.get("id") for _tag, attrs in top_level(page)] == [f"invoice-group-{failed.public_id}"]
    assert Invoice.objects.get(pk=failed.pk).state == Invoice.State.FAILED
    assert len(sandbox_invoices(company)) == 1


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_closed_failure_through_the_api_is_409_in_the_error_format(sandbox, world_a, linked_deal):
    company, _connection = sandbox
    failed, good = _failed_then_reissued(world_a, linked_deal, company)
    api = world_a.client()

    response = api.post(f"/api/v1/invoices/{failed.public_id}/retry/", {}, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invoice_superseded"
    assert "再試行できません" in response.json()["error"]["message"]
    shown = api.get(f"/api/v1/invoices/{failed.public_id}/").json()
    assert shown["state"] == "failed" and shown["superseded_by"] == str(good.public_id)
    assert shown["retryable"] is False
    assert api.get(f"/api/v1/invoices/{good.public_id}/").json()["superseded_by"] is None
    assert len(sandbox_invoices(company)) == 1


def test_a_failure_after_the_good_invoice_is_a_new_attempt_and_stays_retryable(
    world_a, linked_deal, django_capture_on_commit_callbacks
):
    """A second invoice the user asked for later (e.g. a split bill) failed: that one is still theirs to retry."""
    InvoiceFactory(deal=linked_deal, issued_at=timezone.now() - timedelta(hours=1))
    later = InvoiceFactory(
        deal=linked_deal,
        state=Invoice.State.FAILED,
        freee_invoice_id=None,
        report_url="",
        last_error="請求書の登録に失敗しました。",
    )

    tab = world_a.client().get(reverse("invoices:deal_tab", args=[linked_deal.public_id])).content.decode()
    assert reverse("invoices:retry", args=[later.public_id]) in tab
    with django_capture_on_commit_callbacks() as queued:
        services.invoice_retry(invoice=later, membership=world_a.member_membership)

    assert len(queued) == 1 and Invoice.objects.get(pk=later.pk).state == Invoice.State.NEEDS_CHECK


def test_a_failure_is_not_retried_while_another_invoice_of_the_deal_is_in_progress(world_a, linked_deal):
    failed = InvoiceFactory(deal=linked_deal, state=Invoice.State.FAILED, freee_invoice_id=None, report_url="")
    InvoiceFactory(deal=linked_deal, state=Invoice.State.PENDING, freee_invoice_id=None, report_url="")

    with pytest.raises(ApplicationError) as refused:
        services.invoice_retry(invoice=failed, membership=world_a.member_membership)

    assert refused.value.http_status == 409 and refused.value.code == "invoice_in_progress"
    assert Invoice.objects.get(pk=failed.pk).state == Invoice.State.FAILED


def test_the_invoice_list_marks_a_closed_failure_too(world_a, linked_deal):
    failed = InvoiceFactory(deal=linked_deal, state=Invoice.State.FAILED, freee_invoice_id=None, report_url="")
    InvoiceFactory(deal=linked_deal, invoice_number="INV-0000042", issued_at=timezone.now() + timedelta(seconds=1))
    open_failure = InvoiceFactory(deal=linked_deal, state=Invoice.State.FAILED, freee_invoice_id=None, report_url="")
    Invoice.objects.filter(pk=open_failure.pk).update(created_at=timezone.now() + timedelta(minutes=1))

    page = world_a.client().get(reverse("invoices:list")).content.decode()

    assert page.count("終了（INV-0000042 で発行済み）") == 1 and failed.partner_name in page
