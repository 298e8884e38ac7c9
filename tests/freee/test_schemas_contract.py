"""Our freee models and fixtures against freee's own OpenAPI files (pinned in ../shared/reference/freee).

- every response fixture the endpoint tests use validates against the operation's response schema;
- every request body our input models produce validates against the operation's request schema;
- every field a model names exists in the schema, and every field the schema requires is required in the model.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import types
import typing
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from integrations.freee import schemas as s
from integrations.freee.endpoints import FreeeEndpoints
from tests.freee import bodies
from tests.sandbox import freee_schema

FREEE_REFERENCE = freee_schema.reference_folder()
ACCOUNTING = "v2020_06_15/open-api-3/api-schema.json"
INVOICE = "iv/open-api-3/api-schema.yml"


@pytest.fixture(autouse=True, scope="module")
def _reference_present():
    """Skipped, with a message naming the folder, when freee's published schemas are absent (issue 3 item 7)."""
    freee_schema.require_reference()


def _allow_null_in_nullable_enums(node: Any) -> None:
    """freee writes `nullable: true` beside an `enum` without null in it. Strict OAS 3.0 validators then refuse
    null; freee plainly means null is allowed (and sends it), so the copy we validate against says so."""
    if isinstance(node, dict):
        if node.get("nullable") and "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


@cache
def _spec(name: str) -> dict[str, Any]:
    text = (FREEE_REFERENCE / name).read_text(encoding="utf-8")
    spec = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    _allow_null_in_nullable_enums(spec)
    return spec


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _operation_pointer(path: str, method: str, *rest: str) -> str:
    return "/" + "/".join(_escape(part) for part in ("paths", path, method, *rest))


def _response_pointer(path: str, method: str, status: str) -> str:
    return _operation_pointer(path, method, "responses", status, "content", "application/json", "schema")


def _request_pointer(path: str, method: str) -> str:
    return _operation_pointer(path, method, "requestBody", "content", "application/json", "schema")


def _validator(spec_name: str, pointer: str) -> OAS30Validator:
    resource = Resource.from_contents(_spec(spec_name), default_specification=DRAFT4)
    registry = Registry().with_resource("urn:freee", resource)
    return OAS30Validator({"$ref": f"urn:freee#{pointer}"}, registry=registry, format_checker=oas30_format_checker)


def _assert_valid(spec_name: str, pointer: str, body: Any) -> None:
    errors = sorted(_validator(spec_name, pointer).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


# --------------------------------------------------------------------------- response fixtures

RESPONSES = [
    (ACCOUNTING, "/api/1/companies", "get", "200", bodies.companies),
    (ACCOUNTING, "/api/1/companies/{id}", "get", "200", bodies.company),
    (ACCOUNTING, "/api/1/companies/{id}", "get", "200", bodies.company_with_masters),
    (ACCOUNTING, "/api/1/users/me", "get", "200", lambda: bodies.users_me(with_companies=True)),
    (ACCOUNTING, "/api/1/users", "get", "200", bodies.company_users),
    (ACCOUNTING, "/api/1/partners", "get", "200", bodies.partners),
    (ACCOUNTING, "/api/1/account_items", "get", "200", bodies.account_items),
    (ACCOUNTING, "/api/1/taxes/companies/{company_id}", "get", "200", bodies.taxes),
    (ACCOUNTING, "/api/1/walletables", "get", "200", bodies.walletables),
    (ACCOUNTING, "/api/1/deals", "get", "200", bodies.deals),
    (ACCOUNTING, "/api/1/deals/{id}", "get", "200", lambda: {"deal": bodies.deal()}),
    (ACCOUNTING, "/api/1/deals", "post", "201", lambda: {"deal": bodies.deal()}),
    (ACCOUNTING, "/api/1/deals/{id}", "put", "200", lambda: {"deal": bodies.settled_deal()}),
    (INVOICE, "/invoices", "get", "200", bodies.invoices),
    (INVOICE, "/invoices/{id}", "get", "200", lambda: bodies.invoice(with_account_fields=False)),
    (INVOICE, "/invoices", "post", "201", bodies.invoice),
    (INVOICE, "/invoices/{id}", "put", "200", bodies.invoice),
    (INVOICE, "/invoices/{id}/cancel", "put", "200", bodies.invoice_cancel_status),
    (INVOICE, "/invoices/{id}/uncancel", "put", "200", lambda: bodies.invoice_cancel_status("uncanceled")),
    (INVOICE, "/invoices/templates", "get", "200", bodies.invoice_templates),
    (ACCOUNTING, "/api/1/payment_requests", "get", "200", bodies.payment_requests),
    (ACCOUNTING, "/api/1/payment_requests/{id}", "get", "200", bodies.payment_request),
    (ACCOUNTING, "/api/1/payment_requests", "post", "201", bodies.payment_request),
    (ACCOUNTING, "/api/1/payment_requests/{id}", "put", "200", bodies.payment_request),
    (ACCOUNTING, "/api/1/payment_requests/{id}/actions", "post", "201", bodies.payment_request),
    (ACCOUNTING, "/api/1/approval_flow_routes", "get", "200", bodies.approval_flow_routes),
    (ACCOUNTING, "/api/1/approval_flow_routes/{id}", "get", "200", bodies.approval_flow_route),
    (ACCOUNTING, "/api/1/approval_flow_routes/{id}", "get", "200",
     lambda: bodies.approval_flow_route(switchable=True)),
]


@pytest.mark.parametrize(("spec", "path", "method", "status", "body"), RESPONSES,
                         ids=[f"{m.upper()} {p} {st} {b.__name__}" for _, p, m, st, b in RESPONSES])
def test_response_fixture_matches_freee_schema(spec, path, method, status, body):
    _assert_valid(spec, _response_pointer(path, method, status), body())


# --------------------------------------------------------------------------- request bodies


def _invoice_create() -> s.InvoiceCreate:
    return s.InvoiceCreate(
        partner_id=201, partner_title="御中", billing_date=dt.date(2026, 6, 30), payment_date=dt.date(2026, 7, 31),
        tax_entry_method="out", tax_fraction="omit", withholding_tax_entry_method="out", subject="6月分 システム開発費",
        memo="crm:deal:42", lines=[
            s.InvoiceLineInput(description="システム開発費", quantity=Decimal("1.5"), unit="人月",
                               unit_price="66666.667", tax_rate=10, account_item_id=101, tax_code=129),
            s.InvoiceLineInput(type="text", description="※納品書は別送いたします"),
        ],
    )


def _deal_create() -> s.DealCreate:
    return s.DealCreate(
        issue_date=dt.date(2026, 6, 30), type="income", due_date=dt.date(2026, 7, 31), partner_id=201,
        ref_number="CRM-DEAL-42",
        details=[s.DealDetailInput(tax_code=129, account_item_id=101, amount=110000, description="開発費")],
        payments=[s.DealPaymentInput(amount=110000, from_walletable_id=501, from_walletable_type="bank_account",
                                     date=dt.date(2026, 7, 31))],
    )


def _deal_update() -> s.DealUpdate:
    return s.DealUpdate(issue_date=dt.date(2026, 6, 30), type="income", partner_id=201, details=[
        s.DealUpdateDetail(id=9101, tax_code=129, account_item_id=101, amount=110000),
        s.DealUpdateDetail(tax_code=129, account_item_id=101, amount=-11000, description="値引き"),
    ])


def _payment_request_create() -> s.PaymentRequestCreate:
    return s.PaymentRequestCreate(
        title="外注費 6月分", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71, draft=False,
        description="crm:payment-request:17", payment_date=dt.date(2026, 7, 31),
        payment_method="domestic_bank_transfer", partner_id=201, qualified_invoice_status="qualified",
        payment_request_lines=[
            s.PaymentRequestLineInput(description="デザイン制作費", amount=55000, account_item_id=121, tax_code=136),
            s.PaymentRequestLineInput(line_type="withholding_tax", amount=5105),
        ],
    )


def _payment_request_update() -> s.PaymentRequestUpdate:
    return s.PaymentRequestUpdate(
        title="外注費 6月分", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71, draft=True,
        bank_code="0001", bank_name="みずほ銀行", branch_code="001", account_type="ordinary", account_number="1234567",
        account_name="ﾄﾘﾋｷｻｷｴｰ",
        payment_request_lines=[s.PaymentRequestLineUpdate(id=6101, amount=60000, account_item_id=121, tax_code=136)],
    )


def _payment_request_action() -> s.PaymentRequestAction:
    return s.PaymentRequestAction(approval_action="approve", target_step_id=81, target_round=0, next_approver_id=4003)


REQUESTS = [
    (INVOICE, "/invoices", "post", _invoice_create),
    (INVOICE, "/invoices/{id}", "put", _invoice_create),
    (ACCOUNTING, "/api/1/deals", "post", _deal_create),
    (ACCOUNTING, "/api/1/deals/{id}", "put", _deal_update),
    (ACCOUNTING, "/api/1/payment_requests", "post", _payment_request_create),
    (ACCOUNTING, "/api/1/payment_requests/{id}", "put", _payment_request_update),
    (ACCOUNTING, "/api/1/payment_requests/{id}/actions", "post", _payment_request_action),
]


@pytest.mark.parametrize(("spec", "path", "method", "build"), REQUESTS,
                         ids=[f"{m.upper()} {p}" for _, p, m, _ in REQUESTS])
def test_request_body_matches_freee_schema(spec, path, method, build):
    _assert_valid(spec, _request_pointer(path, method), {"company_id": bodies.COMPANY_ID, **build().to_body()})


@pytest.mark.parametrize("path", ["/invoices/{id}/cancel", "/invoices/{id}/uncancel"])
def test_cancel_body_is_just_the_company_id(path):
    _assert_valid(INVOICE, _request_pointer(path, "put"), {"company_id": bodies.COMPANY_ID})


# --------------------------------------------------------------------------- model fields vs schema


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        merged: dict[str, Any] = {"properties": {}, "required": []}
        for part in node["allOf"]:
            part = _resolve(spec, part)
            merged["properties"] |= part.get("properties", {})
            merged["required"] += part.get("required", [])
        return merged
    return node


def _at(spec: dict[str, Any], pointer: str) -> dict[str, Any]:
    node: Any = spec
    for part in pointer.strip("/").split("/"):
        node = _resolve(spec, node)[part.replace("~1", "/").replace("~0", "~")]
    return _resolve(spec, node)


def _nested_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model inside `X | None` or `list[X]`, and whether it is a list."""
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list and args:
        inner = _nested_model(args[0])
        return (inner[0], True) if inner else None
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in args:
            if arg is not type(None) and (inner := _nested_model(arg)):
                return inner
    return None


def _field_mismatches(spec: dict[str, Any], model: type[BaseModel], node: dict[str, Any], where: str,
                      *, ignore_required: frozenset[str] = frozenset()) -> list[str]:
    node = _resolve(spec, node)
    properties = node.get("properties", {})
    problems = [f"{where}.{name} is not in freee's schema" for name in model.model_fields if name not in properties]
    problems += [f"{where}.{name} is required by freee but optional in {model.__name__}"
                 for name in node.get("required", [])
                 if name in model.model_fields and not model.model_fields[name].is_required()
                 and name not in ignore_required]
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        if nested and name in properties:
            inner_model, is_list = nested
            inner_node = _resolve(spec, properties[name])
            inner_node = _resolve(spec, inner_node["items"]) if is_list else inner_node
            problems += _field_mismatches(spec, inner_model, inner_node, f"{where}.{name}")
    return problems


# (spec, model, pointer, fields the model names that this particular operation does not return)
MODELS = [
    (ACCOUNTING, s.CompaniesResponse, _response_pointer("/api/1/companies", "get", "200"), ()),
    (ACCOUNTING, s.CompanyResponse, _response_pointer("/api/1/companies/{id}", "get", "200"), ()),
    (ACCOUNTING, s.UserMeResponse, _response_pointer("/api/1/users/me", "get", "200"), ()),
    (ACCOUNTING, s.CompanyUsersResponse, _response_pointer("/api/1/users", "get", "200"), ()),
    (ACCOUNTING, s.PartnersResponse, _response_pointer("/api/1/partners", "get", "200"), ()),
    (ACCOUNTING, s.AccountItemsResponse, _response_pointer("/api/1/account_items", "get", "200"), ()),
    (ACCOUNTING, s.TaxesResponse, _response_pointer("/api/1/taxes/companies/{company_id}", "get", "200"), ()),
    (ACCOUNTING, s.WalletablesResponse, _response_pointer("/api/1/walletables", "get", "200"), ()),
    (ACCOUNTING, s.DealsResponse, _response_pointer("/api/1/deals", "get", "200"), ()),
    (ACCOUNTING, s.DealResponse, _response_pointer("/api/1/deals/{id}", "get", "200"), ()),
    (ACCOUNTING, s.DealResponse, _response_pointer("/api/1/deals/{id}", "put", "200"), ()),
    # accruals only come with GET ?accruals=with
    (ACCOUNTING, s.DealResponse, _response_pointer("/api/1/deals", "post", "201"), ("deal.accruals",)),
    (INVOICE, s.InvoicesResponse, _response_pointer("/invoices", "get", "200"), ()),
    (INVOICE, s.InvoiceResponse, _response_pointer("/invoices", "post", "201"),
     ("invoice.email_url_file_downloaded_status", "invoice.sales_management_origin")),
    (INVOICE, s.InvoiceResponse, _response_pointer("/invoices/{id}", "put", "200"),
     ("invoice.email_url_file_downloaded_status", "invoice.sales_management_origin")),
    # show returns fewer line and partner fields than create/update
    (INVOICE, s.InvoiceResponse, _response_pointer("/invoices/{id}", "get", "200"),
     ("invoice.partner_contact_email_to", "invoice.partner_sending_method", "invoice.lines.account_item_id",
      "invoice.lines.tax_code", "invoice.lines.item_id", "invoice.lines.section_id", "invoice.lines.tag_ids",
      "invoice.lines.segment_1_tag_id", "invoice.lines.segment_2_tag_id", "invoice.lines.segment_3_tag_id")),
    (INVOICE, s.InvoiceCancelResponse, _response_pointer("/invoices/{id}/cancel", "put", "200"), ()),
    (INVOICE, s.InvoiceCancelResponse, _response_pointer("/invoices/{id}/uncancel", "put", "200"), ()),
    (INVOICE, s.InvoiceTemplatesResponse, _response_pointer("/invoices/templates", "get", "200"), ()),
    (ACCOUNTING, s.PaymentRequestsResponse, _response_pointer("/api/1/payment_requests", "get", "200"), ()),
    (ACCOUNTING, s.PaymentRequestResponse, _response_pointer("/api/1/payment_requests/{id}", "get", "200"), ()),
    (ACCOUNTING, s.PaymentRequestResponse, _response_pointer("/api/1/payment_requests", "post", "201"), ()),
    (ACCOUNTING, s.PaymentRequestResponse,
     _response_pointer("/api/1/payment_requests/{id}/actions", "post", "201"), ()),
    (ACCOUNTING, s.ApprovalFlowRoutesResponse, _response_pointer("/api/1/approval_flow_routes", "get", "200"), ()),
    (ACCOUNTING, s.ApprovalFlowRouteResponse,
     _response_pointer("/api/1/approval_flow_routes/{id}", "get", "200"), ()),
    (INVOICE, s.InvoiceCreate, _request_pointer("/invoices", "post"), ()),
    (INVOICE, s.InvoiceCreate, _request_pointer("/invoices/{id}", "put"), ()),
    (ACCOUNTING, s.DealCreate, _request_pointer("/api/1/deals", "post"), ()),
    (ACCOUNTING, s.DealUpdate, _request_pointer("/api/1/deals/{id}", "put"), ()),
    (ACCOUNTING, s.PaymentRequestCreate, _request_pointer("/api/1/payment_requests", "post"), ()),
    (ACCOUNTING, s.PaymentRequestUpdate, _request_pointer("/api/1/payment_requests/{id}", "put"), ()),
    (ACCOUNTING, s.PaymentRequestAction, _request_pointer("/api/1/payment_requests/{id}/actions", "post"), ()),
]


@pytest.mark.parametrize(("spec", "model", "pointer", "not_returned"), MODELS,
                         ids=[f"{m.__name__} {p.split('/')[2]} {p.split('/')[3]}" for _, m, p, _ in MODELS])
def test_model_fields_exist_in_freee_schema_and_required_ones_are_required(spec, model, pointer, not_returned):
    schema = _spec(spec)
    expected = [f"{model.__name__}.{name} is not in freee's schema" for name in not_returned]
    assert sorted(_field_mismatches(schema, model, _at(schema, pointer), model.__name__)) == sorted(expected)


def test_the_contract_check_does_catch_a_body_freee_would_not_send():
    bad = bodies.invoices()
    bad["invoices"][0]["payment_status"] = "paid"
    with pytest.raises(AssertionError, match="'paid' is not one of"):
        _assert_valid(INVOICE, _response_pointer("/invoices", "get", "200"), bad)


def test_invoices_list_takes_every_filter_of_freees_get_invoices():
    parameters = _spec(INVOICE)["paths"]["/invoices"]["get"]["parameters"]
    filters = {p["name"] for p in parameters if p["in"] == "query"} - {"company_id"}
    assert "sales_management_origin" in filters
    assert filters - set(inspect.signature(FreeeEndpoints.invoices_list).parameters) == set()
