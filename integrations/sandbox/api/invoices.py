"""Fake freee請求書 invoice endpoints (/iv/invoices...)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from integrations.sandbox import invoicing
from integrations.sandbox.api.base import (
    INVOICE,
    ApiContext,
    bad_request,
    freee_endpoint,
    iv_page,
    json_response,
)
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.ratelimit import JST
from integrations.sandbox.services import next_ids, resource_save, sandbox_fault_consume

INDEX_FIELDS = [
    "id", "company_id", "invoice_number", "subject", "template_id", "billing_date", "issue_date", "payment_date",
    "payment_type", "memo", "sending_status", "payment_status", "cancel_status", "deal_status", "deal_id",
    "total_amount", "amount_withholding_tax", "amount_including_tax", "amount_excluding_tax", "amount_tax",
    "amount_brought_forward", "partner_id", "partner_code", "partner_name", "partner_display_name",
    "company_contact_name", "email_url_file_downloaded_at", "email_url_file_downloaded_status", "report_url",
    "sales_management_origin",
]
SHOW_LINE_FIELDS = ["id", "type", "description", "sales_date", "unit", "quantity", "unit_price", "tax_rate",
                    "reduced_tax_rate", "withholding", "amount_excluding_tax"]
CREATE_ONLY_FIELDS = {"email_url_file_downloaded_at", "email_url_file_downloaded_status", "sales_management_origin"}
DEFAULT_NOTE = "恐れ入りますが、お振込手数料は貴社にてご負担くださいますようお願い申し上げます。"
STATUS_FILTERS = ["payment_status", "sending_status", "cancel_status", "deal_status"]
INITIAL_STATUSES = {"sending_status": "unsent", "payment_status": "unsettled", "cancel_status": "uncanceled",
                    "deal_status": "unregistered", "deal_id": None, "email_url_file_downloaded_at": None,
                    "email_url_file_downloaded_status": "undownloaded", "sales_management_origin": False}


def report_url(invoice_id: int) -> str:
    return f"{settings.SITE_URL}/sandbox/freee/iv/reports/invoices/{invoice_id}"


# ---------------------------------------------------------------- building the invoice object

def _partner(ctx: ApiContext, body: dict) -> dict:
    partners = ctx.resources("partner")
    if body.get("partner_id"):
        found = next((p for p in partners if p["id"] == _int(body["partner_id"])), None)
    else:
        found = next((p for p in partners if p.get("code") == body.get("partner_code")), None)
    if found is None:
        raise bad_request(INVOICE, "指定された取引先が見つかりません。")
    return found


def _template(ctx: ApiContext, body: dict) -> dict:
    templates = ctx.resources("invoice_template")
    if not body.get("template_id"):
        return templates[0]
    found = next((t for t in templates if t["id"] == _int(body["template_id"])), None)
    if found is None:
        raise bad_request(INVOICE, "指定された帳票テンプレートが見つかりません。")
    return found


def _int(value: object) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _partner_fields(partner: dict, body: dict) -> dict:
    address = partner.get("address_attributes") or {}
    title = "(空白)" if body["partner_title"] == "（空白）" else body["partner_title"]
    return {
        "partner_id": partner["id"], "partner_code": partner.get("code"), "partner_name": partner["name"],
        "partner_title": title,
        "partner_display_name": body.get("partner_display_name") or partner.get("long_name") or partner["name"],
        "partner_address_zipcode": body.get("partner_address_zipcode") or address.get("zipcode") or "",
        "partner_address_prefecture_code": _int(body.get("partner_address_prefecture_code"))
        if body.get("partner_address_prefecture_code") not in (None, "") else (address.get("prefecture_code") or -1),
        "partner_address_street_name1": body.get("partner_address_street_name1") or address.get("street_name1") or "",
        "partner_address_street_name2": body.get("partner_address_street_name2") or address.get("street_name2") or "",
        "partner_contact_department": body.get("partner_contact_department") or "",
        "partner_contact_name": body.get("partner_contact_name") or partner.get("contact_name") or "",
        "partner_contact_email_to": body.get("partner_contact_email_to") or partner.get("email") or "",
        "partner_contact_email_cc": body.get("partner_contact_email_cc") or "",
        "partner_bank_account": body.get("partner_bank_account") or "",
        "partner_sending_method": body.get("partner_sending_method") or "email",
    }


def _company_fields(ctx: ApiContext, body: dict, template: dict) -> dict:
    company_name = body.get("company_name") or ctx.company.name
    bank = body.get("bank_account_to_transfer") or "みずほ銀行 本店営業部 普通 1234567 カ）サンドボックス"
    description = body.get("company_description") or "〒100-0005 東京都千代田区丸の内1-1-1"
    return {
        "company_contact_name": body.get("company_contact_name") or "", "company_name": company_name,
        "company_description": description, "bank_account_to_transfer": bank,
        "template_id": template["id"], "template_name": template["name"],
        "template": {"title": "請求書", "invoice_registration_number": "T1234567890123", "company_name": company_name,
                     "company_description": description, "bank_account_to_transfer": bank,
                     "message": "下記のとおりご請求申し上げます。"},
    }


def _lines(ctx: ApiContext, body: dict) -> list[dict]:
    ids = next_ids(ctx.company, "invoice_line", len(body["lines"]))
    return [invoicing.response_line(line, line_id, tax_entry_method=body["tax_entry_method"],
                                    line_fraction=body.get("line_amount_fraction"))
            for line, line_id in zip(body["lines"], ids, strict=True)]


def _invoice_object(ctx: ApiContext, body: dict, *, invoice_id: int, number: str, base: dict) -> dict:
    template = _template(ctx, body)
    invoice = {
        **base, "id": invoice_id, "company_id": ctx.company.company_id, "invoice_number": number,
        "branch_no": _int(body.get("branch_no")), "subject": body.get("subject") or "",
        "billing_date": body["billing_date"], "issue_date": body.get("issue_date") or body["billing_date"],
        "payment_date": body.get("payment_date") or None, "payment_type": body.get("payment_type") or "transfer",
        "invoice_note": body.get("invoice_note", DEFAULT_NOTE) or "",  # key omitted: the default 備考
        "memo": body.get("memo") or "", "tax_entry_method": body["tax_entry_method"],
        "tax_fraction": body["tax_fraction"], "line_amount_fraction": body.get("line_amount_fraction"),
        "withholding_tax_entry_method": body["withholding_tax_entry_method"],
        **invoicing.amount_fields(body), **_partner_fields(_partner(ctx, body), body),
        **_company_fields(ctx, body, template), "lines": _lines(ctx, body), "report_url": report_url(invoice_id),
    }
    return invoice


def _validated(ctx: ApiContext) -> dict:
    errors = invoicing.validate(ctx.body, auto_numbering=ctx.company.invoice_auto_numbering)
    if errors:
        raise bad_request(INVOICE, *errors)
    return ctx.body


def _create_response(invoice: dict, status: int) -> HttpResponse:
    body = {key: value for key, value in invoice.items() if key not in CREATE_ONLY_FIELDS}
    return json_response({"invoice": body}, status=status)


# ---------------------------------------------------------------- endpoints

@freee_endpoint(INVOICE)
def invoice_create(ctx: ApiContext) -> HttpResponse:
    """POST /iv/invoices: create; auto-numbered when the company's 採番設定 says so."""
    body = _validated(ctx)
    _partner(ctx, body), _template(ctx, body)  # fail before allocating any id
    invoice_id = next_ids(ctx.company, "invoice")[0]
    number = body.get("invoice_number") or f"INV-{next_ids(ctx.company, 'invoice_number')[0]:07d}"
    created_at = timezone.now().astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")
    invoice = _invoice_object(ctx, body, invoice_id=invoice_id, number=number,
                              base={**INITIAL_STATUSES, "created_at": created_at})
    resource_save(company=ctx.company, kind="invoice", data=invoice)
    fault = sandbox_fault_consume(ctx.company, "timeout_after_create")
    if fault:  # the invoice exists, but the caller gives up waiting
        time.sleep(float(fault.get("timeout_seconds", 30)))
    return _create_response(invoice, 201)


@freee_endpoint(INVOICE)
def invoice_update(ctx: ApiContext, invoice_id: int) -> HttpResponse:
    """PUT /iv/invoices/{id}: replace the invoice (same body as POST); statuses are kept."""
    with transaction.atomic():
        resource = _locked_invoice(ctx, invoice_id)
        if resource.data["cancel_status"] == "canceled":
            raise bad_request(INVOICE, "取り消された請求書は更新できません。")
        body = _validated(ctx)
        number = body.get("invoice_number") or resource.data["invoice_number"]
        status_keys = list(INITIAL_STATUSES) + ["created_at"]
        base = {key: resource.data.get(key) for key in status_keys}
        resource.data = _invoice_object(ctx, body, invoice_id=invoice_id, number=number, base=base)
        resource.save(update_fields=["data", "updated_at"])
    return _create_response(resource.data, 200)


def _locked_invoice(ctx: ApiContext, invoice_id: int) -> SandboxResource:
    ctx.resource("invoice", invoice_id)  # 404 in freee's shape
    return SandboxResource.objects.select_for_update().get(company=ctx.company, kind="invoice",
                                                            resource_id=invoice_id)


@freee_endpoint(INVOICE)
def invoice_show(ctx: ApiContext, invoice_id: int) -> HttpResponse:
    """GET /iv/invoices/{id}."""
    invoice = dict(ctx.resource("invoice", invoice_id).data)
    invoice["lines"] = [{key: line.get(key) for key in SHOW_LINE_FIELDS} for line in invoice["lines"]]
    invoice.pop("partner_contact_email_to", None), invoice.pop("partner_contact_email_cc", None)
    invoice.pop("partner_sending_method", None)
    return json_response({"invoice": invoice})


def _matches(invoice: dict, ctx: ApiContext, partner_ids: set[int]) -> bool:
    params = ctx.params
    if params.get("invoice_number") and params["invoice_number"] not in invoice["invoice_number"]:
        return False
    if params.get("subject") and params["subject"] not in invoice["subject"]:
        return False
    if partner_ids and invoice["partner_id"] not in partner_ids:
        return False
    if any(params.get(name) and invoice[name] != params[name] for name in STATUS_FILTERS):
        return False
    return _in_range(invoice["billing_date"], ctx, "billing_date") and _in_range(
        invoice["payment_date"], ctx, "payment_date")


def _candidates(ctx: ApiContext):
    """The company's invoices, narrowed by origin and billing date in SQL (ISO dates compare as strings); the
    rest of the filters run in Python on what is left, so a large sandbox company stays quick to page through."""
    rows = SandboxResource.objects.filter(company=ctx.company, kind="invoice").order_by("resource_id")
    if ctx.params.get("sales_management_origin") != "true":  # freee販売's invoices only when asked for
        rows = rows.exclude(data__sales_management_origin=True)
    if ctx.params.get("start_billing_date"):
        rows = rows.filter(data__billing_date__gte=ctx.params["start_billing_date"])
    if ctx.params.get("end_billing_date"):
        rows = rows.filter(data__billing_date__lte=ctx.params["end_billing_date"])
    return rows


def _sql_filters_only(ctx: ApiContext, partner_ids: set[int]) -> bool:
    python_only = ["invoice_number", "subject", "start_payment_date", "end_payment_date", *STATUS_FILTERS]
    return not partner_ids and not any(ctx.params.get(name) for name in python_only)


def _in_range(value: str | None, ctx: ApiContext, name: str) -> bool:
    start, end = ctx.params.get(f"start_{name}"), ctx.params.get(f"end_{name}")
    if not start and not end:
        return True
    return value is not None and (not start or value >= start) and (not end or value <= end)


def _partner_ids(ctx: ApiContext) -> set[int]:
    raw = [part for part in (ctx.params.get("partner_ids") or "").split(",") if part.strip()]
    if len(raw) > 3:
        raise bad_request(INVOICE, "partner_ids は3件まで指定できます。")
    ids = {_int(part) for part in raw}
    if None in ids:
        raise bad_request(INVOICE, "partner_ids の値が不正です。")
    return ids


def _check_filter_values(ctx: ApiContext) -> None:
    for name in ("start_billing_date", "end_billing_date", "start_payment_date", "end_payment_date"):
        value = ctx.params.get(name)
        if value and not invoicing._is_date(value):
            raise bad_request(INVOICE, f"{name} は不正な日付フォーマットです。入力例：2019-12-17")
    if ctx.params.get("sales_management_origin") not in (None, "true", "false"):
        raise bad_request(INVOICE, "sales_management_origin の値が不正です。")


@freee_endpoint(INVOICE)
def invoice_list(ctx: ApiContext) -> HttpResponse:
    """GET /iv/invoices: filters, limit (default 20, max 100) and offset (limit + offset ≤ 10,000); sorted by id,
    no total count."""
    _check_filter_values(ctx)
    partner_ids = _partner_ids(ctx)
    candidates = _candidates(ctx).values_list("data", flat=True)
    if _sql_filters_only(ctx, partner_ids):  # page in SQL: a 20,000-invoice company stays quick
        found = list(iv_page(candidates, ctx))
    else:
        found = iv_page([data for data in candidates if _matches(data, ctx, partner_ids)], ctx)
    rows = [{key: invoice.get(key) for key in INDEX_FIELDS} for invoice in found]
    return json_response({"invoices": rows})


def _set_cancel(ctx: ApiContext, invoice_id: int, status: str) -> HttpResponse:
    with transaction.atomic():
        resource = _locked_invoice(ctx, invoice_id)
        if resource.data["cancel_status"] == status:
            message = "すでに取り消されています。" if status == "canceled" else "取り消されていない請求書です。"
            raise bad_request(INVOICE, message)
        resource.data["cancel_status"] = status
        if status == "canceled" and resource.data.get("deal_id"):
            # freee: 「取引が紐づいている場合は取引も削除されます」; uncancel does not bring it back
            SandboxResource.objects.filter(company=ctx.company, kind="deal",
                                           resource_id=resource.data["deal_id"]).delete()
            resource.data.update(deal_id=None, deal_status="unregistered")
        resource.save(update_fields=["data", "updated_at"])
    return json_response({"invoice": {"id": invoice_id, "cancel_status": status}})


@freee_endpoint(INVOICE)
def invoice_cancel(ctx: ApiContext, invoice_id: int) -> HttpResponse:
    """PUT /iv/invoices/{id}/cancel."""
    return _set_cancel(ctx, invoice_id, "canceled")


@freee_endpoint(INVOICE)
def invoice_uncancel(ctx: ApiContext, invoice_id: int) -> HttpResponse:
    """PUT /iv/invoices/{id}/uncancel."""
    return _set_cancel(ctx, invoice_id, "uncanceled")


@freee_endpoint(INVOICE)
def invoice_templates(ctx: ApiContext) -> HttpResponse:
    """GET /iv/invoices/templates."""
    return json_response({"templates": ctx.resources("invoice_template")})
