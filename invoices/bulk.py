"""freee請求ステータス更新: refresh the statuses of every freee-linked invoice of a tenant as one Job.

Only invoices we already hold (issued, with a freee id) are refreshed: invoices created in freee are never
imported. Our invoices are grouped into billing-date windows (runs of billing dates without a long gap) and
each window is read the cheaper way: freee's list endpoint (100 per page, filtered to the window) or one GET
per invoice. The estimate for the list is ceil(n / 100), plus one when n is a multiple of 100 (the short
page that proves the end); paging also stops as soon as every invoice of ours in the window has been seen.

A run can stop half-way (rate limit, a transient error, its time slice): rows are written batch by batch and
stamped with last_synced_at, so the next run of the same Job continues with the rows not yet synced since
the Job started. Scheduled runs get a call budget so that they never eat the tenant's daily freee quota.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core import jobs, spread
from core.errors import ApplicationError
from core.models import Job
from core.retry import RetryLater, SliceSpent
from core.sql import update_rows
from integrations.freee import endpoints
from integrations.freee import messages as freee_messages
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError, Permanent, RateLimited, Transient
from integrations.freee.services import connection_for
from integrations.models import FreeeConnection
from invoices import ledger
from invoices.models import Invoice, PaymentStatus
from invoices.services import deals_latest_status_update
from tenancy.models import Tenant

BULK_KIND = "invoices.bulk_refresh"
PAGE_SIZE = 100  # freee請求書's maximum `limit` for GET /iv/invoices
WINDOW_GAP_DAYS = 31  # a longer gap between our billing dates most likely holds only invoices that are not ours
PER_ID_FLUSH = 25  # per-id results are written in batches of this size
MAX_WAIT_SECONDS = 5.0  # how long one call may wait for budget before the task reschedules instead
QUEUED_STALE_AFTER = timedelta(minutes=30)  # a queued job this old lost its message: it no longer blocks
SCHEDULE_INTERVAL = timedelta(minutes=30)  # each tenant's; the schedule task itself ticks every minute
SCHEDULE_DAILY_SHARE = 0.5  # scheduled refreshes may use at most this share of the daily cap
SCHEDULE_FRESH_FOR = timedelta(hours=2)  # a scheduled refresh skips invoices synced more recently than this
SYNCED_FIELDS = ["sending_status", "payment_status", "cancel_status", "deal_status", "billing_date",
                 "total_amount", "amount_tax", "invoice_number"]
LOAD_FIELDS = ["id", "public_id", "deal_id", "freee_invoice_id", "partner_id", "last_synced_at", "state", "payment_date", "settled_on",
               "reference", *SYNCED_FIELDS]


POPULATION_FIELDS = ["id", "freee_invoice_id", "billing_date", "payment_date", "partner_id"]


class _OutOfBudget(Exception):
    """The run has used its call budget or its time slice."""


# --------------------------------------------------------------------------- start


def bulk_refresh_in_progress(*, tenant: Tenant) -> Job | None:
    """The tenant's queued or running bulk refresh, if any (a long-queued job whose message was lost is not)."""
    fresh_queue = Q(status=Job.Status.QUEUED, updated_at__gte=timezone.now() - QUEUED_STALE_AFTER)
    return (Job.objects.for_tenant(tenant).filter(kind=BULK_KIND)
            .filter(Q(status=Job.Status.RUNNING) | fresh_queue).first())


def bulk_refresh_latest(*, tenant: Tenant) -> Job | None:
    """The tenant's newest bulk refresh (running or finished), for the deal list's panel."""
    return Job.objects.for_tenant(tenant).filter(kind=BULK_KIND).order_by("-created_at", "-id").first()


def bulk_refresh_start(*, tenant: Tenant, actor, max_calls: int | None = None) -> Job:
    """Save a bulk-refresh Job and enqueue its task after commit; refuses while another one is under way."""
    from invoices.tasks import bulk_refresh_task

    connection_for(tenant=tenant)
    with transaction.atomic():
        Tenant.objects.select_for_update().get(pk=tenant.pk)  # two clicks at once start one job
        if bulk_refresh_in_progress(tenant=tenant):
            raise ApplicationError(_("freee請求ステータスの更新はすでに実行中です。完了してから再度お試しください。"),
                                   code="bulk_refresh_running", http_status=409)
        job = jobs.job_create(tenant=tenant, actor=actor, kind=BULK_KIND)
        extra = {"max_calls": max_calls} if max_calls else {}
        jobs.enqueue_on_commit(bulk_refresh_task, job.pk, **extra)
    return job


# --------------------------------------------------------------------------- plan

# The filters a window may add to narrow freee's list, coarsest first: billing dates (always), then one
# billing date cut by 期日 (payment_date), then by partner (freee takes at most 3 partner_ids).
PAYMENT_CUT, PARTNER_CUT = "payment", "partners"


def max_list_rows() -> int:
    """freee請求書's cap on limit + offset (10,000): one window is read in at most this many rows."""
    return endpoints.IV_LIST_MAX_ROWS


@dataclass
class Window:
    """Our invoices whose billing dates form one run, and how to read them from freee.

    `cuts` are the extra list filters (PAYMENT_CUT, PARTNER_CUT) that keep a window under freee's
    10,000-row cap when one billing date alone holds more; `per_id` marks invoices no filter can separate."""

    invoices: list[Invoice]
    cuts: frozenset[str] = frozenset()
    per_id: bool = False
    # A run that continues (time slice, rate limit) reads only the invoices not yet synced, but freee lists every
    # invoice of the window: `rows` counts all of ours there and `query` keeps the window cut for all of them.
    rows: int | None = None
    query: dict | None = None

    @property
    def start(self) -> date:
        return min(i.billing_date for i in self.invoices)

    @property
    def end(self) -> date:
        return max(i.billing_date for i in self.invoices)

    @property
    def list_calls(self) -> int:
        return list_calls_estimate(len(self.invoices) if self.rows is None else self.rows)

    @property
    def uses_list(self) -> bool:
        """The list endpoint only when it needs fewer calls; on a tie per-id GETs, which are exact."""
        return not self.per_id and self.list_calls < len(self.invoices)

    @property
    def calls(self) -> int:
        return self.list_calls if self.uses_list else len(self.invoices)

    @property
    def stalest(self) -> float:
        synced = [i.last_synced_at.timestamp() for i in self.invoices if i.last_synced_at]
        return min(synced) if len(synced) == len(self.invoices) else float("-inf")

    def filters(self) -> dict:
        """The list query that returns (at least) this window's invoices, as JSON-friendly strings."""
        if self.query is not None:
            return dict(self.query)
        query = {"start_billing_date": self.start.isoformat(), "end_billing_date": self.end.isoformat()}
        if PAYMENT_CUT in self.cuts:
            dates = [i.payment_date for i in self.invoices]
            query.update(start_payment_date=min(dates).isoformat(), end_payment_date=max(dates).isoformat())
        if PARTNER_CUT in self.cuts:
            query["partner_ids"] = sorted({i.partner_id for i in self.invoices})
        return query


def list_calls_estimate(count: int) -> int:
    """ceil(count / 100), plus the short page that proves the end when count is a multiple of 100 — except at
    freee's cap, where paging stops once every invoice of ours has been seen (no page may pass 10,000 rows)."""
    if not count:
        return 0
    return min(count // PAGE_SIZE + 1, max(1, max_list_rows() // PAGE_SIZE)) if count <= max_list_rows() \
        else count // PAGE_SIZE + 1


def windows_of(invoices: Iterable[Invoice]) -> list[Window]:
    """Split invoices (any order) into billing-date windows wherever consecutive dates are far apart, then
    cut each so that none needs a list page past freee's 10,000 rows (the fewest windows that do)."""
    windows: list[Window] = []
    for invoice in sorted(invoices, key=lambda i: (i.billing_date, i.freee_invoice_id)):
        if windows and (invoice.billing_date - windows[-1].invoices[-1].billing_date).days <= WINDOW_GAP_DAYS:
            windows[-1].invoices.append(invoice)
        else:
            windows.append(Window([invoice]))
    return [part for window in windows for part in _within_cap(window.invoices)]


def _within_cap(invoices: list[Invoice], cuts: frozenset[str] = frozenset()) -> list[Window]:
    """Windows of at most max_list_rows() invoices each: consecutive billing dates packed greedily (fewest
    windows, so fewest partial pages); a billing date over the cap is cut by payment date, then by partner."""
    if len(invoices) <= max_list_rows():
        return [Window(invoices, cuts=cuts)]
    if len({i.billing_date for i in invoices}) > 1:
        return _packed(invoices, key=lambda i: i.billing_date, cuts=cuts, over=lambda run: _within_cap(run, cuts))
    return _one_billing_date(invoices, cuts)


def _one_billing_date(invoices: list[Invoice], cuts: frozenset[str]) -> list[Window]:
    """More than the cap on one billing date: windows of payment dates, each cut by partner when needed.

    An invoice without a payment date escapes every payment-date filter, so those are read by partner."""
    undated = [i for i in invoices if i.payment_date is None]
    dated = sorted((i for i in invoices if i.payment_date is not None), key=lambda i: (i.payment_date, i.freee_invoice_id))
    by_payment = cuts | {PAYMENT_CUT}
    windows = _partner_windows(undated, cuts | {PARTNER_CUT}) if undated else []
    return windows + _packed(dated, key=lambda i: i.payment_date, cuts=by_payment,
                             over=lambda run: _partner_windows(run, by_payment | {PARTNER_CUT}))


def _packed(invoices: list[Invoice], *, key, cuts: frozenset[str], over) -> list[Window]:
    """Greedy packing of runs of equal `key` (invoices sorted by it) into windows under the cap; a run alone
    over the cap is handed to `over`, which cuts it by the next filter."""
    windows: list[Window] = []
    current: list[Invoice] = []
    for _value, run in groupby(invoices, key=key):
        run = list(run)
        if len(run) > max_list_rows():
            windows += [Window(current, cuts=cuts)] if current else []
            current = []
            windows += over(run)
        elif len(current) + len(run) > max_list_rows():
            windows.append(Window(current, cuts=cuts))
            current = run
        else:
            current += run
    return windows + ([Window(current, cuts=cuts)] if current else [])


def _partner_windows(invoices: list[Invoice], cuts: frozenset[str]) -> list[Window]:
    """Up to three partners per window (freee's partner_ids limit) under the cap; a partner alone over it (or an
    invoice without a partner id) cannot be narrowed by any list filter and is read by id."""
    windows: list[Window] = []
    current: list[Invoice] = []
    partners = 0
    by_partner = sorted(invoices, key=lambda i: (i.partner_id is None, i.partner_id or 0, i.freee_invoice_id))
    for partner_id, run in groupby(by_partner, key=lambda i: i.partner_id):
        run = list(run)
        if partner_id is None or len(run) > max_list_rows():
            windows.append(Window(run, cuts=cuts, per_id=True))
            continue
        if partners == endpoints.INVOICES_MAX_PARTNER_IDS or len(current) + len(run) > max_list_rows():
            windows.append(Window(current, cuts=cuts))
            current, partners = [], 0
        current, partners = current + run, partners + 1
    return windows + ([Window(current, cuts=cuts)] if current else [])


def plan(invoices: Iterable[Invoice], *, max_calls: int | None,
         population: Iterable[Invoice] | None = None, cursor: dict | None = None) -> list[Window]:
    """The windows to read, stalest first; with a call budget, only those whose estimate fits in it.

    `population` is every invoice of ours freee lists (synced or not): the windows are cut for all of them, so
    that a continuing run, which reads only `invoices`, still never pages past freee's cap. The pages a saved
    `cursor` has already read are not counted again."""
    windows = (windows_of(invoices) if population is None
               else _targets(windows_of(population), invoices, cursor=cursor))
    windows = sorted(windows, key=lambda w: w.stalest)
    if max_calls is None:
        return windows
    chosen, budget = [], max_calls
    for window in windows:
        fitted = _fit(window, budget)
        if fitted is not None:
            chosen.append(fitted)
            budget -= fitted.calls
    return chosen


def _targets(windows: list[Window], invoices: Iterable[Invoice], *, cursor: dict | None) -> list[Window]:
    """The population's windows, each holding only `invoices` (those still to read); empty ones dropped."""
    wanted = {invoice.pk: invoice for invoice in invoices}
    chosen = []
    for window in windows:
        targets = [wanted[i.pk] for i in window.invoices if i.pk in wanted]
        if not targets:
            continue
        rows = len(window.invoices)
        if cursor and all(_covered(i, _cursor_filters(cursor)) for i in targets):
            rows = max(len(targets), rows - cursor["offset"])  # the pages before the cursor were read
        chosen.append(Window(targets, cuts=window.cuts, per_id=window.per_id, rows=rows, query=window.filters()))
    return chosen


def _fit(window: Window, budget: int) -> Window | None:
    """The window, or its leading part whose estimate fits in the budget: the first invoices of a per-id window,
    or a list window cut between two billing dates (a window cut further, by payment date or partner, is not)."""
    if window.calls <= budget:
        return window
    if budget < 1:
        return None
    if not window.uses_list:
        return Window(window.invoices[:budget], cuts=window.cuts, per_id=True)
    if window.cuts:
        return None
    last_kept = min(budget * PAGE_SIZE, len(window.invoices)) - 1  # keep at most budget*100-1
    first_left_out = window.invoices[last_kept].billing_date
    head = [i for i in window.invoices if i.billing_date < first_left_out]
    return Window(head) if head else None


def _linked(job: Job) -> QuerySet[Invoice]:
    """The tenant's invoices a refresh reads: issued, with a freee id."""
    return Invoice.objects.for_tenant(job.tenant).filter(state=Invoice.State.ISSUED, freee_invoice_id__isnull=False)


def _fresh_cutoff(job: Job, *, scheduled: bool):
    return job.started_at - SCHEDULE_FRESH_FOR if scheduled else job.started_at


def _pending(job: Job, *, scheduled: bool) -> QuerySet[Invoice]:
    """Issued invoices of the job's tenant not synced since the job started (all of them on the first run).

    A scheduled (budgeted) run also skips recently synced ones, so that successive runs rotate through a
    tenant with more invoices than one run's budget covers.
    """
    cutoff = _fresh_cutoff(job, scheduled=scheduled)
    return _linked(job).filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=cutoff)).only(*LOAD_FIELDS)


def _skipped_fresh(job: Job) -> int:
    """Invoices a scheduled run left out because they were synced within SCHEDULE_FRESH_FOR before it started."""
    cutoff = _fresh_cutoff(job, scheduled=True)
    return _linked(job).filter(last_synced_at__gte=cutoff, last_synced_at__lt=job.started_at).count()


# --------------------------------------------------------------------------- run


@dataclass
class _Run:
    """One task run of a bulk-refresh Job: its client, budget, and the running tally kept in job.result."""

    job: Job
    client: FreeeClient
    max_calls: int | None
    deadline: float
    tally: dict = field(default_factory=dict)

    def call(self, fetch):
        """Make one freee call, unless the budget or the time slice is spent."""
        if self.max_calls is not None and self.tally["calls"] >= self.max_calls:
            raise _OutOfBudget
        if time.monotonic() > self.deadline:
            raise _OutOfBudget
        result = fetch()
        self.tally["calls"] += 1
        return result


def bulk_refresh(*, job: Job, max_calls: int | None = None, task_id: str = "") -> None:
    """The task's work: claim (or resume) the job, refresh its invoices, finish it with {updated, unchanged, calls}.

    Raises RetryLater when freee asks us to wait or answers with a transient error, and SliceSpent when the
    run's slice (settings.BULK_SLICE_SECONDS) is over; the job stays running and the next run resumes it.
    """
    job = jobs.job_take(job_id=job.pk, task_id=task_id)
    if job is None:
        return
    try:
        run = _Run(job=job, client=FreeeClient(connection_for(tenant=job.tenant), max_wait=MAX_WAIT_SECONDS),
                   max_calls=max_calls, deadline=time.monotonic() + settings.BULK_SLICE_SECONDS,
                   tally={"updated": 0, "unchanged": 0, "missing": 0, "calls": 0, **(job.result or {})})
        _refresh(run)
    except ApplicationError as error:
        jobs.job_fail(job=job, error=error.message)
    except RateLimited as error:
        # Long waits (freee's ~10-minute lock-out) are taken in hops no longer than the task time limit, with a
        # heartbeat at each hop, so the abandoned-job sweeper never mistakes a waiting job for a dead one.
        jobs.job_advance(job=job, by=0)
        raise RetryLater(min(error.retry_after, settings.CELERY_TASK_TIME_LIMIT)) from error
    except Transient as error:
        jobs.job_advance(job=job, by=0)
        raise RetryLater(30) from error
    except FreeeError as error:
        jobs.job_fail(job=job, error=freee_messages.call_error(error, invoice=True))


def _refresh(run: _Run) -> None:
    job = run.job
    pending = list(_pending(job, scheduled=run.max_calls is not None))
    population = list(_linked(job).only(*POPULATION_FIELDS))
    budget = None if run.max_calls is None else run.max_calls - run.tally["calls"]
    windows = plan(pending, max_calls=budget, population=population, cursor=run.tally.get("cursor"))
    if job.total == 0 and job.done == 0:
        jobs.job_set_total(job=job, total=sum(len(w.invoices) for w in windows))
    try:
        for window in windows:
            _read_window(run, window)
    except _OutOfBudget:
        if run.max_calls is None or run.tally["calls"] < run.max_calls:
            raise SliceSpent from None  # only the time slice is spent: the rest waits for its next turn
    if run.max_calls is not None:
        _note_what_the_schedule_left_out(run)
    jobs.job_succeed(job=job, result=run.tally)


def _note_what_the_schedule_left_out(run: _Run) -> None:
    """Keep in the result why a scheduled run read fewer invoices than the tenant has (the panel says it): those
    synced within SCHEDULE_FRESH_FOR before it started, and those its call budget left for the next run (still
    pending now: every invoice read or found missing was stamped after the job started)."""
    run.tally["scheduled"] = True
    skipped = _skipped_fresh(run.job)
    if skipped:
        run.tally.update(skipped_fresh=skipped, fresh_minutes=int(SCHEDULE_FRESH_FOR.total_seconds() // 60))
    deferred = _pending(run.job, scheduled=True).count()
    if deferred:
        run.tally["deferred"] = deferred


def _read_window(run: _Run, window: Window) -> None:
    unseen = _read_by_list(run, window) if window.uses_list else window.invoices
    # Not in the window's list: most likely its billing date was changed in freee; ask for it by id.
    _read_by_id(run, unseen)


def _read_by_list(run: _Run, window: Window) -> list[Invoice]:
    """Page through freee's invoices of the window; returns ours that did not appear.

    The next page is kept in the job (cursor), so a run that continues after a time slice or a rate limit
    reads on from there instead of paging from the start again: the remaining invoices form a window inside
    the cursor's, read with the cursor's filters so that the offsets still mean the same pages.

    No page passes freee's 10,000 rows: when freee holds more in the window than that (invoices made in freee,
    not ours) and some of ours were not on the pages allowed, those are read in narrower windows."""
    ours = {invoice.freee_invoice_id: invoice for invoice in window.invoices}
    filters, offset = _cursor_for(run, window)
    while ours:
        if offset + PAGE_SIZE > max_list_rows():
            run.tally.pop("cursor", None)
            for narrower in _narrower(sorted(ours.values(), key=_by_date), filters):
                _read_window(run, narrower)
            return []
        run.tally["cursor"] = {"filters": filters, "offset": offset}
        page = run.call(lambda offset=offset: run.client.invoices_list(**_list_query(filters), offset=offset,
                                                                       limit=PAGE_SIZE))
        run.tally["cursor"]["offset"] = offset = offset + PAGE_SIZE
        _apply(run, [(ours.pop(remote.id), remote) for remote in page if remote.id in ours])
        if len(page) < PAGE_SIZE:
            break
    run.tally.pop("cursor", None)
    return list(ours.values())


def _by_date(invoice: Invoice) -> tuple:
    return invoice.billing_date, invoice.freee_invoice_id


def _list_query(filters: dict) -> dict:
    """A window's saved filters as FreeeClient.invoices_list arguments."""
    query = {name: date.fromisoformat(value) for name, value in filters.items() if name.endswith("_date")}
    if "partner_ids" in filters:
        query["partner_ids"] = filters["partner_ids"]
    return query


def _cursor_for(run: _Run, window: Window) -> tuple[dict, int]:
    """Where to read the window from: the saved cursor when its filters cover the window, else its first page."""
    cursor = run.tally.get("cursor")
    if cursor:
        filters = _cursor_filters(cursor)
        if all(_covered(invoice, filters) for invoice in window.invoices):
            return filters, cursor["offset"]
    return window.filters(), 0


def _cursor_filters(cursor: dict) -> dict:
    """A saved cursor's list filters (cursors saved before issue 19 kept only the billing dates)."""
    return cursor.get("filters") or {"start_billing_date": cursor["start"], "end_billing_date": cursor["end"]}


def _covered(invoice: Invoice, filters: dict) -> bool:
    """Would freee's list with these filters return this invoice (as we last knew it)?"""
    def within(value: date | None, name: str) -> bool:
        start, end = filters.get(f"start_{name}"), filters.get(f"end_{name}")
        if start is None:
            return True
        return value is not None and start <= value.isoformat() <= end

    partners = filters.get("partner_ids")
    return (within(invoice.billing_date, "billing_date") and within(invoice.payment_date, "payment_date")
            and (partners is None or invoice.partner_id in partners))


def _narrower(invoices: list[Invoice], filters: dict) -> list[Window]:
    """Windows inside `filters` that together hold `invoices` (sorted by billing date), each narrower than it:
    halves of their billing dates; on one date, their payment dates (then halves); then their partners (then
    halves); by id when nothing separates them."""
    cuts = frozenset(cut for cut, name in ((PAYMENT_CUT, "start_payment_date"), (PARTNER_CUT, "partner_ids"))
                     if name in filters)
    halves = _halves(invoices, lambda i: i.billing_date)
    if halves:
        return [Window(half, cuts=cuts) for half in halves]
    if all(i.payment_date for i in invoices):
        if PAYMENT_CUT not in cuts:
            return [Window(invoices, cuts=cuts | {PAYMENT_CUT})]
        halves = _halves(invoices, lambda i: i.payment_date)
        if halves:
            return [Window(half, cuts=cuts) for half in halves]
    if all(i.partner_id for i in invoices):
        if PARTNER_CUT not in cuts:
            return _partner_windows(invoices, cuts | {PARTNER_CUT})
        halves = _halves(invoices, lambda i: i.partner_id)
        if halves:
            return [Window(half, cuts=cuts) for half in halves]
    return [Window(invoices, cuts=cuts, per_id=True)]


def _halves(invoices: list[Invoice], key) -> list[list[Invoice]] | None:
    """Two groups split at the middle distinct value of `key` (each sorted by billing date), or None."""
    values = sorted({key(i) for i in invoices})
    if len(values) < 2:
        return None
    middle = values[len(values) // 2]
    return [[i for i in invoices if key(i) < middle], [i for i in invoices if key(i) >= middle]]


def _read_by_id(run: _Run, invoices: list[Invoice]) -> None:
    batch: list[tuple[Invoice, object]] = []
    try:
        for invoice in invoices:
            try:
                batch.append((invoice, run.call(lambda i=invoice: run.client.invoice_show(i.freee_invoice_id))))
            except Permanent as error:
                if error.status != 404:
                    raise
                _mark_missing(run, invoice)
            if len(batch) >= PER_ID_FLUSH:
                _apply(run, batch)
                batch = []
    finally:
        _apply(run, batch)  # keep what was read before a rate limit or the end of the slice


# --------------------------------------------------------------------------- write


def _apply(run: _Run, pairs: list[tuple[Invoice, object]]) -> None:
    """Write a batch: changed rows with one UPDATE ... FROM unnest, the others' last_synced_at with one UPDATE."""
    if not pairs:
        return
    now = timezone.now()
    changed, unchanged, befores = [], [], []
    for invoice, remote in pairs:
        before = ledger.snapshot(invoice)
        if _copy_remote(invoice, remote):
            changed.append(invoice)
            befores.append(before)
        else:
            unchanged.append(invoice)
    for invoice, before in zip(changed, befores, strict=True):
        invoice.last_synced_at = invoice.updated_at = now
        if invoice.payment_status == PaymentStatus.SETTLED and before["payment_status"] != PaymentStatus.SETTLED:
            invoice.settled_on = timezone.localdate()
    with transaction.atomic():
        fields = [*SYNCED_FIELDS, "settled_on", "last_synced_at", "updated_at"]
        update_rows(Invoice, fields, [(i.pk, *(getattr(i, name) for name in fields)) for i in changed])
        Invoice.objects.filter(pk__in=[i.pk for i in unchanged]).update(last_synced_at=now)
        deals_latest_status_update(deal_ids={i.deal_id for i in changed})
        ledger.invoices_changed(tenant=run.job.tenant, changes=list(zip(befores, changed, strict=True)))
    run.tally["updated"] += len(changed)
    run.tally["unchanged"] += len(unchanged)
    _progress(run, len(pairs))


def _copy_remote(invoice: Invoice, remote) -> bool:
    """Copy freee's values onto the row; True when anything changed."""
    values = {
        "sending_status": remote.sending_status or "", "payment_status": remote.payment_status or "",
        "cancel_status": remote.cancel_status or "", "deal_status": remote.deal_status or "",
        "billing_date": remote.billing_date, "total_amount": remote.total_amount,
        "amount_tax": getattr(remote, "amount_tax", invoice.amount_tax),
        "invoice_number": remote.invoice_number or invoice.invoice_number,
    }
    changed = any(getattr(invoice, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(invoice, name, value)
    return changed


def _mark_missing(run: _Run, invoice: Invoice) -> None:
    """freee no longer has the invoice (404): say so on the row instead of failing the whole refresh."""
    Invoice.objects.filter(pk=invoice.pk).update(
        last_synced_at=timezone.now(), last_error=_("freeeにこの請求書が見つかりません（削除された可能性があります）。"))
    run.tally["missing"] += 1
    _progress(run, 1)


def _progress(run: _Run, count: int) -> None:
    job = run.job
    by = max(0, min(count, job.total - job.done)) if job.total else 0
    jobs.job_advance(job=job, by=by)
    Job.objects.filter(pk=job.pk).update(result=run.tally)


# --------------------------------------------------------------------------- result in words


def duration_in_words(duration: timedelta) -> str:
    """2時間, 90分: the freshness threshold as the panel says it."""
    minutes = int(duration.total_seconds() // 60)
    if minutes % 60 == 0:
        return _("%(hours)s時間") % {"hours": minutes // 60}
    return _("%(minutes)s分") % {"minutes": minutes}


def bulk_refresh_summary(job: Job) -> str:
    """What a finished bulk refresh did, in one sentence for the deal list (issue 14 item 7).

    A run that made no call says why (nothing linked, or every invoice refreshed recently, with the threshold
    the run used) instead of a row of zeros; otherwise the counts, then what a scheduled run left out."""
    result = job.result or {}
    counts = {name: result.get(name, 0) for name in ("updated", "unchanged", "missing", "calls")}
    skipped, deferred = result.get("skipped_fresh", 0), result.get("deferred", 0)
    fresh = duration_in_words(timedelta(minutes=result.get("fresh_minutes") or SCHEDULE_FRESH_FOR.total_seconds() // 60))
    if not any(counts.values()) and not deferred:
        if skipped:
            return _("freeeに連携した請求書 %(count)s件は、すべて直近%(fresh)s以内に更新済みのため確認不要でした"
                     "（freee APIの呼び出しなし）。") % {"count": skipped, "fresh": fresh}
        return _("freeeに連携した請求書がないため、更新する請求書はありませんでした。")
    parts = [_("変更あり %(updated)s件・変更なし %(unchanged)s件（freee API %(calls)s回）") % counts]
    if counts["missing"]:
        parts.append(_("freeeで見つからない請求書 %(missing)s件") % counts)
    if skipped:
        parts.append(_("直近%(fresh)s以内に更新済みのため確認不要 %(count)s件") % {"fresh": fresh, "count": skipped})
    if deferred:
        parts.append(_("freee APIの呼び出し上限のため次回の自動更新に回した請求書 %(count)s件") % {"count": deferred})
    return _("・").join(parts)


# --------------------------------------------------------------------------- schedule


def tenants_due_for_refresh(*, now: datetime | None = None) -> Iterator[Tenant]:
    """Connected tenants with freee-linked invoices and no bulk refresh under way whose minute of the
    interval it is (core.spread: every tenant refreshes every SCHEDULE_INTERVAL, never all at once)."""
    connected = FreeeConnection.objects.filter(status=FreeeConnection.Status.CONNECTED).exclude(access_token="")
    tenant_ids = (Invoice.objects.filter(tenant_id__in=connected.values("tenant_id"), state=Invoice.State.ISSUED,
                                         freee_invoice_id__isnull=False)
                  .values_list("tenant_id", flat=True).distinct())
    tenants = spread.due_now(Tenant.objects.filter(pk__in=tenant_ids), interval=SCHEDULE_INTERVAL, now=now)
    for tenant in tenants.order_by("pk"):
        if not bulk_refresh_in_progress(tenant=tenant):
            yield tenant


def scheduled_call_budget(connection: FreeeConnection) -> int:
    """Calls one scheduled refresh may make: a share of the daily cap spread over the day's runs."""
    runs_per_day = timedelta(days=1) / SCHEDULE_INTERVAL
    return max(1, int(connection.daily_cap * SCHEDULE_DAILY_SHARE / runs_per_day))


def bulk_refresh_schedule(*, now: datetime | None = None) -> int:
    """Start a budgeted bulk refresh for every tenant due this minute; returns how many were started."""
    started = 0
    for tenant in tenants_due_for_refresh(now=now):
        connection = FreeeConnection.objects.get(tenant=tenant)
        try:
            bulk_refresh_start(tenant=tenant, actor=None, max_calls=scheduled_call_budget(connection))
        except ApplicationError:
            continue  # disconnected or started by a user meanwhile
        started += 1
    return started
