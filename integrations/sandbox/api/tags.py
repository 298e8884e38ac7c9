"""Fake freee会計 メモタグ endpoints (/api/1/tags)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from integrations.sandbox.api.base import ACCOUNTING, ApiContext, bad_request, freee_endpoint, json_response, page
from integrations.sandbox.models import SandboxCompany
from integrations.sandbox.services import next_ids, resource_save

NAME_MAX, SHORTCUT_MAX = 30, 20


@freee_endpoint(ACCOUNTING)
def tag_list(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/tags: offset/limit (default 50, max 3000), oldest first, no total count."""
    rows = sorted(ctx.resources("tag"), key=lambda tag: tag["id"])
    return json_response({"tags": page(rows, ctx, default_limit=50, max_limit=3000)})


def _errors(body: dict) -> list[str]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        return ["name を入力してください。"]
    errors = [] if len(name) <= NAME_MAX else [f"name は{NAME_MAX}文字以内で入力してください。"]
    for field in ("shortcut1", "shortcut2"):
        value = body.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > SHORTCUT_MAX):
            errors.append(f"{field} は{SHORTCUT_MAX}文字以内で入力してください。")
    return errors


@freee_endpoint(ACCOUNTING)
def tag_create(ctx: ApiContext) -> HttpResponse:
    """POST /api/1/tags: 201 with the new メモタグ; a name already in use is refused, as freee does."""
    errors = _errors(ctx.body)
    if errors:
        raise bad_request(ACCOUNTING, *errors)
    with transaction.atomic():
        SandboxCompany.objects.select_for_update().filter(pk=ctx.company.pk).first()  # one name check at a time
        if any(tag["name"] == ctx.body["name"] for tag in ctx.resources("tag")):
            raise bad_request(ACCOUNTING, "同じ名前のメモタグが既に登録されています。")
        tag = {"id": next_ids(ctx.company, "tag")[0], "company_id": ctx.company.company_id,
               "name": ctx.body["name"], "update_date": timezone.localdate().isoformat(),
               "shortcut1": ctx.body.get("shortcut1"), "shortcut2": ctx.body.get("shortcut2")}
        resource_save(company=ctx.company, kind="tag", data=tag)
    return json_response({"tag": tag}, status=201)
