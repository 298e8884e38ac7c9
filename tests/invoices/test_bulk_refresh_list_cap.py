"""freee請求書's lists refuse limit + offset above 10,000 (issue 19 item 1): the bulk refresh cuts its windows so
that no page passes the cap, at the fewest calls; against the sandbox (which enforces the cap) with the cap and
the page size scaled down, and the planning rules at freee's real sizes."""

import math
from datetime import date, timedelta

import pytest

from integrations.freee import endpoints
from integrations.freee.client import FreeeClient
from integrations.sandbox.api import base as sandbox_base
from integrations.sandbox.services import sandbox_faults_set, sandbox_invoice_status_set
from invoices import bulk, services
from invoices.models import Invoice
from tests.factories import DealFactory
from tests.invoices.test_bulk_refresh import BILLING, _calls_since, _issued, _job, _mark

MONTH = date(2026, 10, 1)


@pytest.fixture
def small_cap(monkeypatch):
    """freee's rule at a size a test can reach: pages of 2, at most 6 rows (limit + offset) per list."""
    monkeypatch.setattr(bulk, "PAGE_SIZE", 2)
    monkeypatch.setattr(endpoints, "IV_LIST_MAX_ROWS", 6)
    monkeypatch.setattr(sandbox_base, "IV_LIST_CAP", 6)


def _settle_all(company, invoices) -> None:
    for invoice in invoices:
        sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                                   value="settled")


# --------------------------------------------------------------------------- against the sandbox


@pytest.mark.django_db(transaction=True)
def test_a_month_over_the_cap_is_read_in_windows_that_never_pass_it_at_the_fewest_calls(sandbox, world_a,
                                                                                         small_cap):
    company, _connection = sandbox
    sandbox_faults_set(company, rate_limits_off=True)
    days = [MONTH, MONTH + timedelta(days=1), MONTH + timedelta(days=2), MONTH + timedelta(days=3)]
    ours = [_issued(world_a, company, billing_date=day, name=f"十月の案件{day.day}-{n}")
            for day, count in zip(days, (2, 2, 2, 3), strict=True) for n in range(count)]
    _settle_all(company, ours)
    job, mark = _job(world_a), _mark()

    bulk.bulk_refresh(job=job)

    calls = _calls_since(mark, world_a.tenant)
    assert {c.status_code for c in calls} == {200}  # no page past the cap: freee would have answered 400
    # 9 invoices: windows of 6 + 3 rows, ceil(6/2) + ceil(3/2) = 5 = ceil(9/2) pages, no per-id GET at all
    assert [c.path for c in calls] == ["/iv/invoices"] * 5 == ["/iv/invoices"] * math.ceil(9 / 2)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["updated"] == 9 and job.result["calls"] == 5
    assert set(Invoice.objects.filter(tenant=world_a.tenant).values_list("payment_status", flat=True)) == {"settled"}


@pytest.mark.django_db(transaction=True)
def test_invoices_made_in_freee_that_fill_the_capped_pages_are_read_in_narrower_windows(sandbox, world_a,
                                                                                        small_cap):
    company, connection = sandbox
    sandbox_faults_set(company, rate_limits_off=True)
    deal = DealFactory(tenant=world_a.tenant, name="freeeで直接作成")
    strangers = []
    ours_first = _issued(world_a, company, billing_date=BILLING, name="先に発行した案件")
    partner_id = ours_first.partner_id
    for n in range(4):  # freee holds 4 more invoices of the same dates that are not ours
        stranger = Invoice(tenant=world_a.tenant, deal=deal, reference=f"made-in-freee-{n}", partner_id=partner_id,
                           partner_name="x", subject="freeeで直接作成", billing_date=BILLING, payment_date=BILLING)
        strangers.append(FreeeClient(connection).invoice_create(services.invoice_body(stranger, connection)))
    ours = [ours_first, _issued(world_a, company, billing_date=BILLING, name="後から発行した案件"),
            _issued(world_a, company, billing_date=BILLING + timedelta(days=1), name="翌日の案件")]
    _settle_all(company, ours)
    job, mark = _job(world_a), _mark()

    bulk.bulk_refresh(job=job)

    calls = _calls_since(mark, world_a.tenant)
    assert {c.status_code for c in calls} == {200}
    # 3 capped pages (6 rows: 1 of ours, 4 strangers, 1 of ours), then the day after on its own, by id
    assert [c.path for c in calls][:3] == ["/iv/invoices"] * 3
    assert [c.path for c in calls][3:] == [f"/iv/invoices/{ours[2].freee_invoice_id}"]
    assert Invoice.objects.filter(tenant=world_a.tenant).count() == 3  # the strangers were never imported
    assert set(Invoice.objects.filter(tenant=world_a.tenant).values_list("payment_status", flat=True)) == {"settled"}


# --------------------------------------------------------------------------- planning at freee's sizes


def _rows(count: int, *, days: int = 1, payment_days: int = 1, partners: int = 1, start: date = MONTH):
    return [Invoice(billing_date=start + timedelta(days=n % days), freee_invoice_id=1_000_000 + n,
                    payment_date=start + timedelta(days=40 + n % payment_days), partner_id=1 + n % partners)
            for n in range(count)]


def test_25000_invoices_of_one_month_need_ceil_of_n_over_100_calls_plus_the_splits():
    windows = bulk.windows_of(_rows(25_000, days=30))

    assert all(len(w.invoices) <= 10_000 and not w.cuts and w.uses_list for w in windows)
    assert len(windows) == 3  # the fewest windows of at most 10,000
    splits = len(windows) - 1
    assert math.ceil(25_000 / 100) <= sum(w.calls for w in windows) <= math.ceil(25_000 / 100) + splits
    assert sum(len(w.invoices) for w in windows) == 25_000


def test_a_window_of_exactly_10000_is_read_in_100_pages_without_the_page_past_the_cap():
    (window,) = bulk.windows_of(_rows(10_000, days=30))

    assert window.calls == 100


def test_one_billing_date_over_the_cap_is_cut_by_payment_date():
    windows = bulk.windows_of(_rows(25_000, payment_days=5))

    assert all(len(w.invoices) <= 10_000 and w.cuts == {bulk.PAYMENT_CUT} for w in windows)
    assert len(windows) == 3
    first = windows[0].filters()
    assert first["start_billing_date"] == first["end_billing_date"] == MONTH.isoformat()
    assert first["start_payment_date"] == (MONTH + timedelta(days=40)).isoformat()


def test_one_billing_and_payment_date_over_the_cap_is_cut_by_at_most_three_partners():
    windows = bulk.windows_of(_rows(12_000, partners=40))

    assert all(w.cuts == {bulk.PAYMENT_CUT, bulk.PARTNER_CUT} for w in windows)
    assert all(len(w.filters()["partner_ids"]) <= 3 and len(w.invoices) <= 10_000 for w in windows)
    assert len(windows) == math.ceil(40 / 3)
    assert sum(len(w.invoices) for w in windows) == 12_000


def test_one_partner_over_the_cap_on_one_date_is_read_by_id_since_no_filter_separates_them():
    (window,) = bulk.windows_of(_rows(10_001))

    assert window.per_id and not window.uses_list and window.calls == 10_001


def test_narrowing_after_a_full_capped_list_halves_dates_then_adds_the_payment_date():
    rows = _rows(10, days=2)
    two_days = bulk._narrower(sorted(rows, key=bulk._by_date), {"start_billing_date": MONTH.isoformat(),
                                                                 "end_billing_date": "2026-10-02"})
    assert [(w.start, w.end) for w in two_days] == [(MONTH, MONTH), (MONTH + timedelta(days=1),) * 2]

    one_day = [r for r in rows if r.billing_date == MONTH]
    (by_payment,) = bulk._narrower(one_day, {"start_billing_date": MONTH.isoformat(),
                                             "end_billing_date": MONTH.isoformat()})
    assert by_payment.cuts == {bulk.PAYMENT_CUT}


def test_the_cursor_of_a_cut_window_is_reused_only_for_invoices_its_filters_cover():
    rows = _rows(4, partners=4)
    filters = {"start_billing_date": MONTH.isoformat(), "end_billing_date": MONTH.isoformat(), "partner_ids": [1, 2]}
    assert [bulk._covered(r, filters) for r in rows] == [True, True, False, False]


def test_no_planned_list_call_passes_the_cap():
    for window in bulk.windows_of(_rows(25_000, days=3) + _rows(11_000, start=MONTH + timedelta(days=10))):
        if window.uses_list:
            assert (window.calls - 1) * bulk.PAGE_SIZE + bulk.PAGE_SIZE <= endpoints.IV_LIST_MAX_ROWS



def test_a_continuing_run_keeps_the_windows_cut_for_every_invoice_freee_lists_not_only_the_unread():
    """After a time slice only unsynced invoices are read, but freee still lists the synced ones of the window:
    packing the unread alone would make windows that pass the cap (20,000 rows over 24 days here)."""
    population = _rows(25_000, days=30)
    unread = [i for i in population if i.billing_date.day % 2 == 0]  # half of them still to read
    for n, invoice in enumerate(population):
        invoice.pk = n + 1

    windows = bulk.plan(unread, max_calls=None, population=population)

    for window in windows:
        in_window = [i for i in population if bulk._covered(i, window.filters())]
        assert len(in_window) <= 10_000
    assert sum(len(w.invoices) for w in windows) == len(unread)


def test_a_budget_smaller_than_a_per_id_window_takes_its_first_invoices():
    population = _rows(3_000, days=30)
    for n, invoice in enumerate(population):
        invoice.pk = n + 1
    few = population[:20]  # 20 unread among 3,000 listed: by id is cheaper than 31 pages

    (window,) = bulk.plan(few, max_calls=10, population=population)

    assert window.per_id and len(window.invoices) == 10
