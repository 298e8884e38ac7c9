"""Fake freee会計 master-data endpoints (/api/1/companies, users/me, partners, account_items, taxes, ...)."""

from __future__ import annotations

import re
from datetime import date

from django.http import HttpResponse

from integrations.sandbox.api.base import ACCOUNTING, ApiContext, bad_request, freee_endpoint, json_response, page
from integrations.sandbox.models import SandboxCompany

KEYWORD_SPLIT = re.compile(r"[ \u3000\t]+")
KEYWORD_FIELDS = ("code", "name", "long_name", "name_kana", "shortcut1", "shortcut2")


def _company_summary(company: SandboxCompany) -> dict:
    return {"id": company.company_id, "name": company.name, "name_kana": None, "display_name": company.display_name,
            "company_number": f"{company.company_id:010x}"[-10:], "role": "admin"}


def _fiscal_year(company: SandboxCompany) -> dict:
    year = date.today().year
    return {"id": company.company_id * 10 + 1, "use_industry_template": False, "indirect_write_off_method": False,
            "start_date": f"{year}-04-01" if date.today().month >= 4 else f"{year - 1}-04-01",
            "end_date": f"{year + 1}-03-31" if date.today().month >= 4 else f"{year}-03-31",
            "depreciation_record_method": 0, "tax_method": 0, "sales_tax_business_code": 0, "tax_fraction": 0,
            "tax_account_method": 2, "return_code": 0, "is_closed": False, "month_end_date": None,
            "temp_month_end_date": None}


def _company_detail(company: SandboxCompany) -> dict:
    return {
        **_company_summary(company), "tax_at_source_calc_type": 0, "contact_name": "サンドボックス 太郎",
        "head_count": 12, "corporate_number": "1234567890123", "txn_number_format": "not_used",
        "default_wallet_account_id": None, "private_settlement": False, "minus_format": 0, "org_code": 1,
        "phone1": "03-1234-5678", "phone2": None, "fax": None, "zipcode": "100-0005", "prefecture_code": 12,
        "street_name1": "千代田区丸の内1-1-1", "street_name2": "サンドボックスビル 5F",
        "invoice_layout": "default_modern",
        "amount_fraction": 0, "use_partner_code": True, "industry_class": "it", "industry_code": "",
        "workflow_setting": "enable", "fiscal_years": [_fiscal_year(company)],
    }


@freee_endpoint(ACCOUNTING, company_required=False)
def companies(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/companies: the one company the token was granted (prompt=select_company)."""
    return json_response({"companies": [_company_summary(ctx.company)]})


def _detail_extras(ctx: ApiContext) -> dict:
    extras = {}
    flags = {name for name in ("account_items", "taxes", "partners", "walletables", "items", "sections", "tags")
             if ctx.params.get(name) == "true"}
    if "account_items" in flags:
        extras["account_items"] = [{"id": a["id"], "name": a["name"], "shortcut": a["shortcut"],
                                    "categories": a["categories"]} for a in ctx.resources("account_item")]
    if "taxes" in flags:
        extras["tax_codes"] = [{k: t[k] for k in ("code", "name", "name_ja")} for t in ctx.resources("tax")]
    if "partners" in flags:
        extras["partners"] = [{k: p.get(k) for k in ("id", "code", "name", "shortcut1", "shortcut2")}
                              for p in ctx.resources("partner")]
    if "walletables" in flags:
        extras["walletables"] = [{k: w[k] for k in ("id", "name", "type")} for w in ctx.resources("walletable")]
    if "tags" in flags:
        extras["tags"] = [{k: t.get(k) for k in ("id", "name", "shortcut1", "shortcut2")} for t in ctx.resources("tag")]
    extras.update({name: [] for name in ("items", "sections") if name in flags})
    return extras


@freee_endpoint(ACCOUNTING, company_kwarg="company_id")
def company_detail(ctx: ApiContext, company_id: int) -> HttpResponse:
    """GET /api/1/companies/{id} with the optional include flags."""
    return json_response({"company": {**_company_detail(ctx.company), **_detail_extras(ctx)}})


@freee_endpoint(ACCOUNTING, company_required=False)
def users_me(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/users/me (companies=true adds the company list)."""
    user = dict(company_users(ctx)[0])
    if ctx.params.get("companies") == "true":
        user["companies"] = [{"id": ctx.company.company_id, "display_name": ctx.company.display_name,
                              "role": "admin", "use_custom_role": False, "advisor_id": None}]
    return json_response({"user": user})


def company_users(ctx: ApiContext) -> list[dict]:
    """The company's users by id; the first is the owner the sandbox tokens act as."""
    return sorted(ctx.resources("user"), key=lambda u: u["id"])


@freee_endpoint(ACCOUNTING)
def users(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/users: the company's members (limit default 50, max 3000)."""
    return json_response({"users": page(company_users(ctx), ctx, default_limit=50, max_limit=3000)})


def _keyword_match(partner: dict, keywords: list[str]) -> bool:
    texts = [str(partner.get(name) or "") for name in KEYWORD_FIELDS]
    return all(any(word in text for text in texts) for word in keywords)


def _date_filter(rows: list[dict], ctx: ApiContext) -> list[dict]:
    start, end = ctx.params.get("start_update_date"), ctx.params.get("end_update_date")
    return [r for r in rows if (not start or r["update_date"] >= start) and (not end or r["update_date"] <= end)]


@freee_endpoint(ACCOUNTING)
def partners(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/partners: keyword (space = AND, partial match), offset, limit (default 50, max 3000), by id."""
    keywords = [word for word in KEYWORD_SPLIT.split(ctx.params.get("keyword", "").strip()) if word]
    rows = [p for p in ctx.resources("partner") if p.get("available", True) and _keyword_match(p, keywords)]
    rows = sorted(_date_filter(rows, ctx), key=lambda p: p["id"])
    return json_response({"partners": page(rows, ctx, default_limit=50, max_limit=3000)})


@freee_endpoint(ACCOUNTING)
def account_items(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/account_items."""
    return json_response({"account_items": _date_filter(ctx.resources("account_item"), ctx)})


@freee_endpoint(ACCOUNTING, company_kwarg="company_id")
def company_taxes(ctx: ApiContext, company_id: int) -> HttpResponse:
    """GET /api/1/taxes/companies/{company_id} (display_category and available filters)."""
    taxes = sorted(ctx.resources("tax"), key=lambda t: t["code"])
    category, available = ctx.params.get("display_category"), ctx.params.get("available")
    if category:
        taxes = [t for t in taxes if t["display_category"] == category]
    if available in ("true", "false"):
        taxes = [t for t in taxes if t["available"] == (available == "true")]
    return json_response({"taxes": taxes})


@freee_endpoint(ACCOUNTING)
def walletables(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/walletables (type filter)."""
    kind = ctx.params.get("type")
    if kind and kind not in ("bank_account", "credit_card", "wallet"):
        raise bad_request(ACCOUNTING, "type の値が不正です。")
    rows = [w for w in ctx.resources("walletable") if not kind or w["type"] == kind]
    return json_response({"walletables": rows, "meta": {"up_to_date": True}})


@freee_endpoint(ACCOUNTING)
def approval_flow_routes(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/approval_flow_routes (usage filter; no steps in the list)."""
    from integrations.sandbox.api.payment_requests import check_available

    if ctx.params.get("usage") == "PaymentRequest":
        check_available(ctx)
    usage = ctx.params.get("usage")
    routes = [r for r in ctx.resources("approval_flow_route") if not usage or usage in r["usages"]]
    return json_response({"approval_flow_routes": [
        {key: value for key, value in route.items() if key != "steps"} for route in routes]})


@freee_endpoint(ACCOUNTING)
def approval_flow_route(ctx: ApiContext, route_id: int) -> HttpResponse:
    """GET /api/1/approval_flow_routes/{id} with its steps."""
    return json_response({"approval_flow_route": ctx.resource("approval_flow_route", route_id).data})
