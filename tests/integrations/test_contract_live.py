"""Contract, end to end: the production client talks to the sandbox over real HTTP for every endpoint it
has; every request it actually sent (path, query parameter names and values, JSON body) and every response
it got are validated, formats (date, date-time) included, against freee's published OpenAPI schemas
(../shared/reference/freee)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import requests
from django.utils import timezone

from integrations.freee import schemas as s
from integrations.freee.client import FreeeClient
from integrations.models import FreeeConnection
from integrations.sandbox.services import (
    sandbox_app_create,
    sandbox_company_create,
    sandbox_company_update,
    sandbox_tokens_issue,
)
from tests.sandbox import freee_schema

pytestmark = pytest.mark.django_db(transaction=True)
FORMAT_CHECKER = jsonschema.Draft7Validator.FORMAT_CHECKER

# Every endpoint the client has (method, freee's path template): the walk below must exercise exactly these.
ENDPOINTS = {
    ("GET", "/api/1/companies"), ("GET", "/api/1/companies/{id}"), ("GET", "/api/1/users/me"),
    ("GET", "/api/1/users"), ("GET", "/api/1/partners"), ("GET", "/api/1/account_items"),
    ("GET", "/api/1/taxes/companies/{company_id}"), ("GET", "/api/1/walletables"),
    ("GET", "/api/1/tags"), ("POST", "/api/1/tags"),
    ("GET", "/api/1/deals"), ("POST", "/api/1/deals"), ("GET", "/api/1/deals/{id}"), ("PUT", "/api/1/deals/{id}"),
    ("DELETE", "/api/1/deals/{id}"), ("POST", "/api/1/deals/{id}/payments"),
    ("DELETE", "/api/1/deals/{id}/payments/{payment_id}"),
    ("GET", "/invoices"), ("POST", "/invoices"), ("GET", "/invoices/{id}"), ("PUT", "/invoices/{id}"),
    ("PUT", "/invoices/{id}/cancel"), ("PUT", "/invoices/{id}/uncancel"), ("GET", "/invoices/templates"),
    ("GET", "/api/1/payment_requests"), ("POST", "/api/1/payment_requests"), ("GET", "/api/1/payment_requests/{id}"),
    ("PUT", "/api/1/payment_requests/{id}"), ("DELETE", "/api/1/payment_requests/{id}"),
    ("POST", "/api/1/payment_requests/{id}/actions"),
    ("GET", "/api/1/approval_flow_routes"), ("GET", "/api/1/approval_flow_routes/{id}"),
    ("POST", "/api/1/receipts"),
}


@dataclass
class Exchange:
    method: str
    url: str
    query: dict
    body: object
    status: int
    response: object


@pytest.fixture
def recorded_client(live_server, settings, world_a):
    freee_schema.require_reference()
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    app = sandbox_app_create(tenant=world_a.tenant, name="契約テスト")
    company = sandbox_company_create(app=app, name="契約テスト株式会社")
    sandbox_company_update(company=company, plan="enterprise")  # a plan with 支払依頼 (seed 004)
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    connection = FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id=app.client_id, client_secret=app.client_secret,
        company_id=company.company_id, access_token=access.token, refresh_token=refresh.token,
        access_expires_at=timezone.now() + timedelta(hours=5), status=FreeeConnection.Status.CONNECTED,
    )
    exchanges: list[Exchange] = []
    session = requests.Session()

    def record(response, *args, **kwargs):
        request = response.request
        url = urlsplit(request.url)
        multipart = request.headers.get("Content-Type", "").startswith("multipart/")
        body = json.loads(request.body) if request.body and not multipart else None  # an upload: its parts
        exchanges.append(Exchange(request.method, request.url.split("?")[0], dict(parse_qsl(url.query)), body,
                                  response.status_code, response.json() if response.content else None))

    session.hooks["response"].append(record)
    yield FreeeClient(connection, session=session), exchanges, live_server.url + "/sandbox/freee"
    session.close()


def _walk(client: FreeeClient) -> None:
    """Call every endpoint the product uses, the way the product does."""
    client.companies_list()
    client.company_show(details=True, account_items=True, taxes=True, walletables=True)
    me = client.users_me()
    client.company_users_list()
    partner = client.partners_search(keyword="商事", start_update_date=dt.date(2020, 1, 1), offset=0, limit=5)[0]
    sales = next(a for a in client.account_items_list(base_date=dt.date(2026, 11, 30)) if a.name == "売上高")
    tax = next(t for t in client.taxes_list(available=True) if t.name_ja.startswith("課税売上"))
    bank = client.walletables_list(type="bank_account", with_balance=True)[0]
    client.tag_create(s.TagCreate(name="契約テスト"))
    client.tags_list(start_update_date=dt.date(2020, 1, 1), limit=100)
    client.invoice_templates_list()
    body = s.InvoiceCreate(
        partner_id=partner.id, partner_title="御中", billing_date=dt.date(2026, 11, 30), tax_entry_method="out",
        tax_fraction="omit", withholding_tax_entry_method="out", subject="契約テスト", memo="hub:contract",
        lines=[s.InvoiceLineInput(description="作業", quantity=Decimal(2), unit="式", unit_price="50000", tax_rate=10)])
    invoice = client.invoice_create(body)
    client.invoices_list(subject="契約", partner_ids=[partner.id], payment_status="unsettled", sending_status="unsent",
                         cancel_status="uncanceled", deal_status="unregistered",
                         start_billing_date=dt.date(2026, 11, 1), end_billing_date=dt.date(2026, 11, 30),
                         sales_management_origin=False, offset=0, limit=100)
    client.invoice_show(invoice.id)
    client.invoice_update(invoice.id, body)
    client.invoice_cancel(invoice.id)
    client.invoice_uncancel(invoice.id)
    detail = s.DealDetailInput(tax_code=tax.code, account_item_id=sales.id, amount=110000, description="契約")
    deal = client.deal_create(s.DealCreate(issue_date=dt.date(2026, 11, 30), type="income", partner_id=partner.id,
                                           ref_number="hub-1", details=[detail]))
    client.deals_list(partner_id=partner.id, type="income", status="unsettled", start_issue_date=dt.date(2026, 11, 1),
                      limit=10)
    shown = client.deal_show(deal.id)
    client.deal_update(deal.id, s.DealUpdate(issue_date=dt.date(2026, 11, 30), type="income", details=[
        s.DealUpdateDetail(id=shown.details[0].id, tax_code=tax.code, account_item_id=sales.id, amount=99000)]))
    paid = client.deal_payment_create(deal.id, s.DealPaymentCreate(
        date=dt.date(2026, 12, 31), from_walletable_type="bank_account", from_walletable_id=bank.id, amount=99000))
    client.deal_payment_delete(deal.id, paid.payments[-1].id)
    client.deal_delete(deal.id)
    route = next(r for r in client.approval_flow_routes_list(usage="PaymentRequest"))
    client.approval_flow_route_show(route.id)
    expense_tax = next(t for t in client.taxes_list(available=True) if t.name_ja.startswith("課対仕入"))
    line = s.PaymentRequestLineInput(description="外注費", amount=55000, account_item_id=sales.id,
                                     tax_code=expense_tax.code)
    request = client.payment_request_create(s.PaymentRequestCreate(
        title="外注費", issue_date=dt.date(2026, 11, 20), approval_flow_route_id=route.id, draft=True,
        payment_request_lines=[line]))
    client.payment_requests_list(status="draft", start_issue_date=dt.date(2026, 11, 1), limit=10)
    client.payment_request_update(request.id, s.PaymentRequestUpdate(
        title="外注費（修正）", issue_date=dt.date(2026, 11, 20), approval_flow_route_id=route.id, draft=False,
        approver_id=me.id, payment_request_lines=[s.PaymentRequestLineUpdate(amount=60000)]))
    applied = client.payment_request_show(request.id)
    client.payment_request_action(request.id, s.PaymentRequestAction(
        approval_action="cancel", target_step_id=applied.current_step_id, target_round=applied.current_round))
    client.payment_request_delete(request.id)
    client.receipt_create(file_name="receipt.pdf", content=b"%PDF-1.4", content_type="application/pdf",
                          description="契約テスト")


def _template(spec: dict, path: str) -> str:
    if path in spec["paths"]:  # "/invoices/templates" is itself a path, not "/invoices/{id}"
        return path
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not an endpoint of freee's schema")


def _check_request(spec: dict, template: str, exchange: Exchange) -> list[str]:
    operation = spec["paths"][template][exchange.method.lower()]
    problems = []
    parameters = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    known = {p["name"]: p for p in parameters}
    for name, raw in exchange.query.items():
        if name not in known:
            problems.append(f"query parameter {name!r} is not in freee's schema")
            continue
        schema = freee_schema._to_json_schema(known[name]["schema"], spec)
        for error in jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(_typed(raw, schema)):
            problems.append(f"query parameter {name}={raw!r}: {error.message}")
    for param in parameters:
        if param.get("required") and param["name"] not in exchange.query:
            problems.append(f"required query parameter {param['name']!r} missing")
    if exchange.body is not None:
        content = operation["requestBody"]["content"]
        media = content.get("application/json") or next(iter(content.values()))
        schema = freee_schema._to_json_schema(media["schema"], spec)
        for error in jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(exchange.body):
            problems.append(f"body {'/'.join(map(str, error.path))}: {error.message}")
    return problems


def _typed(raw: str, schema: dict) -> object:
    """A query string value read as the type its schema declares, as freee reads it; anything else stays a
    string, so the validator reports it."""
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if "integer" in kinds and re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


def test_every_request_and_response_conforms_to_freees_schema(recorded_client):
    client, exchanges, base = recorded_client
    _walk(client)
    problems, seen = [], set()
    for exchange in exchanges:
        rest = exchange.url.removeprefix(base)
        family, path = ((freee_schema.INVOICE, rest.removeprefix("/iv")) if rest.startswith("/iv/")
                        else (freee_schema.ACCOUNTING, rest))
        spec = freee_schema._spec(family)
        template = _template(spec, path)
        seen.add((exchange.method, template))
        problems += [f"{exchange.method} {template}: {p}" for p in _check_request(spec, template, exchange)]
        if exchange.response is not None:
            schema = freee_schema.response_schema(family, template, exchange.method.lower(), exchange.status)
            for error in jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(
                    exchange.response):
                problems.append(f"{exchange.method} {template} response {'/'.join(map(str, error.path))}: "
                                f"{error.message}")
    assert not problems, "\n".join(problems[:20])
    assert seen == ENDPOINTS, (sorted(ENDPOINTS - seen), sorted(seen - ENDPOINTS))


def test_the_request_check_catches_what_freee_would_reject(db):
    freee_schema.require_reference()
    spec = freee_schema._spec(freee_schema.INVOICE)
    bad = Exchange("POST", "", {"unknown": "1"}, {"company_id": 1, "tax_entry_method": "sideways"}, 201, None)
    problems = _check_request(spec, "/invoices", bad)
    assert any("unknown" in p for p in problems) and any("tax_entry_method" in p or "required" in p for p in problems)


@pytest.mark.parametrize(("name", "value"), [
    ("limit", "101"), ("limit", "twenty"), ("offset", "-1"), ("company_id", "0"), ("payment_status", "paid"),
    ("start_billing_date", "2026/11/01"), ("start_billing_date", "2026-02-30"), ("sales_management_origin", "yes"),
    ("sales_management_origin", "1"),
])
def test_the_request_check_reads_query_values_not_only_names(db, name, value):
    freee_schema.require_reference()
    spec = freee_schema._spec(freee_schema.INVOICE)
    query = {"company_id": "1", name: value}
    problems = _check_request(spec, "/invoices", Exchange("GET", "", query, None, 200, None))
    assert [p for p in problems if p.startswith(f"query parameter {name}={value!r}: ")], problems
    assert _check_request(spec, "/invoices", Exchange("GET", "", {"company_id": "1", "limit": "100"}, None, 200,
                                                      None)) == []


def test_the_response_check_reads_formats(db):
    freee_schema.require_reference()
    schema = freee_schema.response_schema(freee_schema.INVOICE, "/invoices", "get", 200)
    body = {"invoices": [{"billing_date": "2026-11-31"}]}
    errors = jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(body)
    assert any("is not a 'date'" in error.message for error in errors)
