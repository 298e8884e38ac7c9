"""The htmx progress bar: htmx comes from our own static files and polls until the job has finished."""

import re

import pytest
from playwright.sync_api import expect

from core.models import Job
from tests.factories import JobFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def test_progress_bar_polls_until_the_job_finishes(page, log_in, live_server):
    membership = MembershipFactory(user=UserFactory(username="watcher"))
    job = JobFactory(tenant=membership.tenant, kind="deals.bulk_refresh", total=4, status="running")
    log_in("watcher")

    page.goto("/jobs/")
    bar = page.locator(f"#job-{job.public_id}")
    expect(bar).to_contain_text("実行中")
    expect(bar.locator(".job-count")).to_have_text("0 / 4")
    expect(bar).to_have_attribute("hx-get", f"/jobs/{job.public_id}/progress/")
    # htmx is served by the app itself (no CDN), and it is loaded.
    expect(page.locator("script[src*='htmx']")).to_have_attribute("src", re.compile(r"^/static/"))
    assert page.evaluate("typeof window.htmx") == "object"
    page.evaluate("window.__noReload = true")

    Job.objects.filter(pk=job.pk).update(done=4, status=Job.Status.SUCCEEDED)

    expect(bar).to_contain_text("完了")
    expect(bar.locator(".job-count")).to_have_text("4 / 4")
    expect(bar.locator("progress")).to_have_attribute("value", "100")
    expect(bar).not_to_have_attribute("hx-get", re.compile(".*"))  # finished: polling stops
    assert page.evaluate("window.__noReload") is True, "the page was reloaded instead of swapped by htmx"
