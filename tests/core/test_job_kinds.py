"""Issue 14 item 10: the job list and the job API name a job's kind in words (Japanese, or English with the
language cookie), not by its task name; an unlabelled kind is shown as it is; every kind the code creates has a
label."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.job_kinds import JOB_KINDS, job_kind_label
from tests.factories import JobFactory

PROJECT_APPS = ("core", "deals", "integrations", "invoices", "journals", "notifications", "payment_requests",
                "tenancy")


def test_the_job_list_shows_the_japanese_label_not_the_task_name(world_a):
    JobFactory(tenant=world_a.tenant, kind="invoices.bulk_refresh")
    html = world_a.client().get(reverse("core:job_list")).content.decode()
    assert "freee請求ステータスの一括更新" in html
    assert "invoices.bulk_refresh" not in html


def test_the_job_list_shows_the_english_label_with_the_english_ui(world_a):
    JobFactory(tenant=world_a.tenant, kind="journals.sync.export")
    client = world_a.client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("core:job_list")).content.decode()
    assert "Sync to freee Accounting" in html
    assert "会計freeeへの連携" not in html and "journals.sync.export" not in html


def test_an_unlabelled_kind_is_shown_as_it_is(world_a):
    JobFactory(tenant=world_a.tenant, kind="tests.no_label")
    assert "tests.no_label" in world_a.client().get(reverse("core:job_list")).content.decode()
    assert job_kind_label("tests.no_label") == "tests.no_label"


def test_the_job_api_keeps_kind_and_adds_kind_label(world_a):
    job = JobFactory(tenant=world_a.tenant, kind="invoices.issue")
    body = world_a.client().get(reverse("api:job-detail", args=[job.public_id])).json()
    assert body["kind"] == "invoices.issue" and body["kind_label"] == "freee請求書の発行"
    client = world_a.client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get(reverse("api:job-detail", args=[job.public_id])).json()["kind_label"] == "Issue freee invoice"


def test_the_api_labels_an_unlabelled_kind_with_the_kind(world_a):
    job = JobFactory(tenant=world_a.tenant, kind="tests.no_label")
    body = world_a.client().get(reverse("api:job-detail", args=[job.public_id])).json()
    assert body["kind_label"] == "tests.no_label"


# --------------------------------------------------------------------------- every kind in the code is labelled


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` (also `A, B = "text", 1`) constants of one file."""
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = ([(target, node.value)] if isinstance(target, ast.Name) else
                     list(zip(target.elts, node.value.elts, strict=False))
                     if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) else [])
            for name, value in pairs:
                if isinstance(name, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[name.id] = value.value
    return found


def _kinds_created_in_the_code() -> set[str]:
    """The `kind=` of every job_create(...) call and the first argument of every register_job_task(...) call in
    the apps, a constant resolved by its name (in the same file first, then in any file); tests register their own."""
    trees = {path: ast.parse(path.read_text()) for app in PROJECT_APPS
             for path in (Path(settings.BASE_DIR) / app).rglob("*.py")}
    everywhere: dict[str, str] = {}
    for tree in trees.values():
        everywhere.update(_module_strings(tree))
    kinds: set[str] = set()
    for tree in trees.values():
        local = _module_strings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "job_create":
                expr = next((k.value for k in node.keywords if k.arg == "kind"), None)
            elif name == "register_job_task" and node.args:
                expr = node.args[0]
            else:
                continue
            if isinstance(expr, ast.Constant):
                kinds.add(expr.value)
            elif isinstance(expr, ast.Name | ast.Attribute):
                key = expr.id if isinstance(expr, ast.Name) else expr.attr
                if key in local or key in everywhere:  # not a variable passed on (register_job_task's `kind`)
                    kinds.add(local.get(key) or everywhere[key])
    return kinds


def test_the_scan_finds_the_kinds_we_know():
    assert {"invoices.bulk_refresh", "invoices.issue", "journals.sync.export",
            "journals.masters_import"} <= _kinds_created_in_the_code()


@pytest.mark.parametrize("kind", sorted(_kinds_created_in_the_code()))
def test_every_job_kind_the_code_creates_has_a_label(kind):
    assert kind in JOB_KINDS, f"add a label for the job kind {kind!r} to core.job_kinds.JOB_KINDS"
