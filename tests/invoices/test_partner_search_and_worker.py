"""Partner search live against the sandbox (cached briefly), and issuing end to end on a real Celery worker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from config.celery import app
from integrations.models import ApiCallLog
from invoices.models import Invoice
from tests.invoices.conftest import first_partner, sandbox_invoices

pytestmark = pytest.mark.django_db(transaction=True)


def test_partner_search_queries_freee_and_caches_briefly(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    name = first_partner(company)["name"]
    url = reverse("invoices:partner_search", args=[linked_deal.public_id])
    client = world_a.client()
    assert name in client.get(url, {"q": name[:2]}).content.decode()
    calls = ApiCallLog.objects.filter(path="/api/1/partners").count()
    assert name in client.get(url, {"q": name[:2]}).content.decode()
    assert ApiCallLog.objects.filter(path="/api/1/partners").count() == calls == 1


def test_an_unknown_partner_points_to_freees_partner_page(sandbox, linked_deal, world_a):
    page = world_a.client().get(reverse("invoices:partner_search", args=[linked_deal.public_id]),
                                {"q": "存在しない取引先ZZZ"}).content.decode()
    assert "一致する取引先がfreeeにありません" in page and "freeeの取引先ページ" in page


def test_issue_runs_on_a_real_worker_after_commit(sandbox, linked_deal, world_a):
    company, _connection = sandbox
    partner = first_partner(company)
    app.connection_for_write().default_channel.client.flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["interactive", "bulk", "default"]):
        response = world_a.client().post(reverse("invoices:issue", args=[linked_deal.public_id]),
                                         {"partner_id": partner["id"], "partner_name": partner["name"]})
        # The worker may already have picked the job up while the response was rendered.
        page = response.content.decode()
        assert response.status_code == 200 and any(label in page for label in ("発行待ち", "発行中", "発行済み"))
        invoice = Invoice.objects.get(deal=linked_deal)
        deadline = time.monotonic() + 20
        while Invoice.objects.get(pk=invoice.pk).state != Invoice.State.ISSUED and time.monotonic() < deadline:
            time.sleep(0.2)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED and len(sandbox_invoices(company)) == 1
    row = world_a.client().get(reverse("invoices:row", args=[invoice.public_id])).content.decode()
    assert invoice.invoice_number in row and invoice.report_url in row and "hx-trigger" not in row
