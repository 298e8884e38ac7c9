"""Locust clients for bench_load.py: logged-in members reading the deal list (案件一覧) and deal pages.

Started by benchmarks/bench_load.py as `locust --headless` (not meant to be run by hand): the benchmark seeds
the tenant, logs every client in through the login form and hands over two files by environment:

    LOAD_SESSIONS  one sessionid per line, one per simulated client (each client keeps its own session)
    LOAD_DEALS     the public ids of the tenant's deals, one per line (deal pages are picked at random)

A client has no think time: it sends its next request as soon as the previous answer arrived (a closed loop,
as wrk does), so the figures show what the server sustains. A page counts as an error unless it answers 200
with the content it should have: a redirect to the login page or an empty list is an error too.
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

from locust import FastHttpUser, constant, task

SESSIONS = itertools.cycle(Path(os.environ["LOAD_SESSIONS"]).read_text().split())
DEALS = Path(os.environ["LOAD_DEALS"]).read_text().split()
SORTS = ["name", "-name", "amount", "-amount", "billing", "-billing", "updated", "-updated"]
LATEST_STATUSES = ["none", "unsent", "sent", "unsettled", "settled", "failed", "canceled"]  # the filter's values
DEEPEST_PAGE = 200  # of 2,000 pages of 50: people page forward a little, rarely to the end
HTMX = {"HX-Request": "true"}


class Member(FastHttpUser):
    """A tenant member with a session of their own, moving between the deal list and deal pages."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.cookie = {"Cookie": f"sessionid={next(SESSIONS)}"}

    @task(3)
    def deal_list_newest_first(self) -> None:
        self._deal_list("", "deal list: newest first")

    @task(3)
    def deal_list_sorted(self) -> None:
        self._deal_list(f"?sort={random.choice(SORTS)}", "deal list: sorted by a column")

    @task(2)
    def deal_list_by_latest_status(self) -> None:
        self._deal_list(f"?freee_latest_status={random.choice(LATEST_STATUSES)}", "deal list: latest-status filter")

    @task(2)
    def deal_list_later_page(self) -> None:
        self._deal_list(f"?page={random.randint(2, DEEPEST_PAGE)}", "deal list: pages 2-200")

    @task(10)
    def deal_page(self) -> None:
        public_id = random.choice(DEALS)
        self._get(f"/deals/{public_id}/", "deal page", expect=f"/deals/{public_id}/edit/")
        self._get(f"/deals/{public_id}/invoices/", "deal page: invoice tab (htmx)", expect='id="invoice-tab"',
                  headers=HTMX)

    def _deal_list(self, query: str, name: str) -> None:
        self._get(f"/deals/{query}", name, expect='class="table deal-list"')
        self._get("/invoices/bulk-refresh/panel/", "deal list: bulk-refresh panel (htmx)", expect='id="bulk-refresh"',
                  headers=HTMX)

    def _get(self, path: str, name: str, *, expect: str, headers: dict[str, str] | None = None) -> None:
        with self.client.get(path, name=name, headers={**self.cookie, **(headers or {})}, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif expect not in (response.text or ""):
                response.failure(f"answered 200 without {expect!r}")
