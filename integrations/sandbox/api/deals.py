"""Fake freee会計 取引 endpoints (/api/1/deals...)."""

from __future__ import annotations

import time
from decimal import Decimal

from django.db import transaction
from django.http import HttpResponse

from integrations.sandbox.api.base import (
    ACCOUNTING,
    ApiContext,
    bad_request,
    freee_endpoint,
    json_response,
    not_found,
    page,
)
from integrations.sandbox.invoicing import _is_date, round_amount
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import next_ids, resource_delete, resource_save, sandbox_fault_consume

WALLETABLE_TYPES = {"bank_account", "credit_card", "wallet", "private_account_item"}


def _tax_rate(ctx: ApiContext, tax_code: int) -> Decimal | None:
    tax = next((t for t in ctx.resources("tax") if t["code"] == tax_code), None)
    if tax is None:
        return None
    category = tax["display_category"] or ""
    return Decimal(10 if category.startswith("tax_10") else 8 if category.startswith(("tax_8", "tax_r8")) else 0)


def _detail_errors(ctx: ApiContext, details: object) -> list[str]:
    if not isinstance(details, list) or not details:
        return ["details を入力してください。"]
    if len(details) > 100:
        return ["details は100件以内で指定してください。"]
    accounts = {a["id"] for a in ctx.resources("account_item")}
    tags = {t["id"] for t in ctx.resources("tag")}
    errors = []
    for index, detail in enumerate(details, start=1):
        if not isinstance(detail, dict) or detail.get("amount") in (None, "") or detail.get("tax_code") in (None, ""):
            errors.append(f"details[{index}]: tax_code と amount を入力してください。")
        elif _int(detail.get("account_item_id")) not in accounts:
            errors.append(f"details[{index}]: 勘定科目が見つかりません。")
        elif _tax_rate(ctx, _int(detail["tax_code"])) is None:
            errors.append(f"details[{index}]: 税区分が見つかりません。")
        elif not isinstance(detail.get("tag_ids") or [], list) or any(
                _int(tag_id) not in tags for tag_id in detail.get("tag_ids") or []):
            errors.append(f"details[{index}]: メモタグが見つかりません。")
    return errors


def _int(value: object) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _validate(ctx: ApiContext, body: dict) -> None:
    errors = [f"{name} を入力してください。" for name in ("issue_date", "type") if not body.get(name)]
    if body.get("issue_date") and not _is_date(body["issue_date"]):
        errors.append("issue_date は不正な日付フォーマットです。入力例：2019-12-17")
    if body.get("type") and body["type"] not in ("income", "expense"):
        errors.append("type の値が不正です。")
    if body.get("partner_id") and _int(body["partner_id"]) not in {p["id"] for p in ctx.resources("partner")}:
        errors.append("取引先が見つかりません。")
    for payment in body.get("payments") or []:
        if payment.get("from_walletable_type") not in WALLETABLE_TYPES or not payment.get("date"):
            errors.append("payments の値が不正です。")
    errors += _detail_errors(ctx, body.get("details"))
    if errors:
        raise bad_request(ACCOUNTING, *errors)


def _detail(ctx: ApiContext, detail: dict, detail_id: int, entry_side: str) -> dict:
    amount = int(detail["amount"])
    rate = _tax_rate(ctx, int(detail["tax_code"]))
    vat = int(detail["vat"]) if detail.get("vat") not in (None, "") else int(
        round_amount(Decimal(amount) * rate / (100 + rate), "omit"))
    return {"id": detail_id, "account_item_id": int(detail["account_item_id"]), "tax_code": int(detail["tax_code"]),
            "partner_id": None, "item_id": detail.get("item_id"), "section_id": detail.get("section_id"),
            "tag_ids": detail.get("tag_ids") or [], "amount": amount, "vat": vat,
            "description": detail.get("description") or "", "entry_side": entry_side}


def _payments(ctx: ApiContext, payments: list[dict]) -> list[dict]:
    ids = next_ids(ctx.company, "deal_payment", len(payments)) if payments else []
    return [{"id": pid, "date": p["date"], "from_walletable_type": p["from_walletable_type"],
             "from_walletable_id": int(p["from_walletable_id"]), "amount": int(p["amount"])}
            for p, pid in zip(payments, ids, strict=True)]


def _partner_code(ctx: ApiContext, partner_id: int | None) -> str | None:
    return next((p.get("code") for p in ctx.resources("partner") if p["id"] == partner_id), None)


def _deal_object(ctx: ApiContext, body: dict, deal_id: int, payments: list[dict]) -> dict:
    entry_side = "credit" if body["type"] == "income" else "debit"
    old_ids = [_int(d.get("id")) for d in body["details"]]
    new_ids = iter(next_ids(ctx.company, "deal_detail", sum(1 for i in old_ids if not i)) or [])
    details = [_detail(ctx, d, i or next(new_ids), entry_side) for d, i in zip(body["details"], old_ids, strict=True)]
    amount = sum(d["amount"] for d in details)
    paid = sum(p["amount"] for p in payments)
    partner_id = _int(body.get("partner_id"))
    return {"id": deal_id, "company_id": ctx.company.company_id, "issue_date": body["issue_date"],
            "due_date": body.get("due_date"), "amount": amount, "due_amount": max(0, amount - paid),
            "type": body["type"], "partner_id": partner_id, "partner_code": _partner_code(ctx, partner_id),
            "ref_number": body.get("ref_number"), "status": "settled" if paid >= amount else "unsettled",
            "deal_origin_name": "API", "details": details, "payments": payments, "receipts": []}


@freee_endpoint(ACCOUNTING)
def deal_create(ctx: ApiContext) -> HttpResponse:
    """POST /api/1/deals (no idempotency key, like freee). The timeout_after_create fault stores the deal,
    then keeps the caller waiting past its timeout: the outcome is unknown to the caller."""
    _validate(ctx, ctx.body)
    deal_id = next_ids(ctx.company, "deal")[0]
    deal = _deal_object(ctx, ctx.body, deal_id, _payments(ctx, ctx.body.get("payments") or []))
    resource_save(company=ctx.company, kind="deal", data=deal)
    fault = sandbox_fault_consume(ctx.company, "timeout_after_create")
    if fault:
        time.sleep(float(fault.get("timeout_seconds", 30)))
    return json_response({"deal": deal}, status=201)


def _in_range(value: str | None, start: str | None, end: str | None) -> bool:
    if not start and not end:
        return True
    return value is not None and (not start or value >= start) and (not end or value <= end)


def _deal_matches(deal: dict, params) -> bool:
    """GET /api/1/deals filters (freee's list: no ref_number filter)."""
    for name in ("status", "type"):
        if params.get(name) and deal[name] != params[name]:
            return False
    if params.get("partner_id") and deal["partner_id"] != _int(params["partner_id"]):
        return False
    if params.get("partner_code") and deal.get("partner_code") != params["partner_code"]:
        return False
    if params.get("account_item_id") and all(
            d["account_item_id"] != _int(params["account_item_id"]) for d in deal["details"]):
        return False
    return (_in_range(deal["issue_date"], params.get("start_issue_date"), params.get("end_issue_date"))
            and _in_range(deal.get("due_date"), params.get("start_due_date"), params.get("end_due_date")))


def _check_list_params(ctx: ApiContext) -> None:
    if ctx.params.get("partner_id") and ctx.params.get("partner_code"):
        raise bad_request(ACCOUNTING, "partner_id と partner_code は同時に指定できません。")
    for name in ("start_issue_date", "end_issue_date", "start_due_date", "end_due_date"):
        if ctx.params.get(name) and not _is_date(ctx.params[name]):
            raise bad_request(ACCOUNTING, f"{name} は不正な日付フォーマットです。入力例：2019-12-17")
    if ctx.params.get("status") and ctx.params["status"] not in ("settled", "unsettled"):
        raise bad_request(ACCOUNTING, "status の値が不正です。")
    if ctx.params.get("type") and ctx.params["type"] not in ("income", "expense"):
        raise bad_request(ACCOUNTING, "type の値が不正です。")


@freee_endpoint(ACCOUNTING)
def deal_list(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/deals: filters, offset/limit (default 20, max 100) and meta.total_count."""
    _check_list_params(ctx)
    rows = [d for d in ctx.resources("deal") if _deal_matches(d, ctx.params)]
    return json_response({"deals": page(rows, ctx, default_limit=20, max_limit=100),
                          "meta": {"total_count": len(rows)}})


@freee_endpoint(ACCOUNTING)
def deal_show(ctx: ApiContext, deal_id: int) -> HttpResponse:
    """GET /api/1/deals/{id}."""
    return json_response({"deal": ctx.resource("deal", deal_id).data})


@freee_endpoint(ACCOUNTING)
def deal_update(ctx: ApiContext, deal_id: int) -> HttpResponse:
    """PUT /api/1/deals/{id}: details not listed are deleted; payments are kept; type cannot change."""
    current = ctx.resource("deal", deal_id).data
    _validate(ctx, ctx.body)
    if ctx.body["type"] != current["type"]:
        raise bad_request(ACCOUNTING, "収支区分は変更できません。")
    deal = _deal_object(ctx, ctx.body, deal_id, current["payments"])
    resource_save(company=ctx.company, kind="deal", data=deal)
    return json_response({"deal": deal})


@freee_endpoint(ACCOUNTING)
def deal_delete(ctx: ApiContext, deal_id: int) -> HttpResponse:
    """DELETE /api/1/deals/{id}."""
    ctx.resource("deal", deal_id)
    resource_delete(company=ctx.company, kind="deal", resource_id=deal_id)
    return HttpResponse(status=204)


@freee_endpoint(ACCOUNTING)
def deal_payment_create(ctx: ApiContext, deal_id: int) -> HttpResponse:
    """POST /api/1/deals/{id}/payments: register a later 入金/支払; 201 with the whole deal."""
    with transaction.atomic():
        ctx.resource("deal", deal_id)  # 404 in freee's shape
        resource = SandboxResource.objects.select_for_update().get(company=ctx.company, kind="deal",
                                                                    resource_id=deal_id)
        body, deal = ctx.body, resource.data
        amount = _int(body.get("amount"))
        if (body.get("from_walletable_type") not in WALLETABLE_TYPES or not _int(body.get("from_walletable_id"))
                or not body.get("date") or not _is_date(body["date"]) or not amount or amount < 1):
            raise bad_request(ACCOUNTING, "payments の値が不正です。")
        if amount > deal["due_amount"]:
            raise bad_request(ACCOUNTING, "支払金額が未決済金額を超えています。")
        deal["payments"] = deal["payments"] + _payments(ctx, [body])
        deal["due_amount"] -= amount
        deal["status"] = "settled" if deal["due_amount"] <= 0 else "unsettled"
        resource.save(update_fields=["data", "updated_at"])
    return json_response({"deal": deal}, status=201)


@freee_endpoint(ACCOUNTING)
def deal_payment_delete(ctx: ApiContext, deal_id: int, payment_id: int) -> HttpResponse:
    """DELETE /api/1/deals/{id}/payments/{payment_id}: 204; the amount is due again (unsettled)."""
    with transaction.atomic():
        ctx.resource("deal", deal_id)  # 404 in freee's shape
        resource = SandboxResource.objects.select_for_update().get(company=ctx.company, kind="deal",
                                                                    resource_id=deal_id)
        deal = resource.data
        removed = [p for p in deal["payments"] if p["id"] == payment_id]
        if not removed:
            raise not_found(ACCOUNTING)
        deal["payments"] = [p for p in deal["payments"] if p["id"] != payment_id]
        deal["due_amount"] = max(0, deal["amount"] - sum(p["amount"] for p in deal["payments"]))
        deal["status"] = "settled" if deal["due_amount"] <= 0 else "unsettled"
        resource.save(update_fields=["data", "updated_at"])
    return HttpResponse(status=204)
