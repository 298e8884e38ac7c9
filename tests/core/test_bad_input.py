"""Issue 14 items 13-16: bad input is a 400 (the API's error body, or a Japanese page), never a 500.

13 deep / large JSON, 14 NUL and lone surrogates, 15 integers beyond bigint and line mixes that break a check
constraint, 16 wrong JSON types. The per-operation cases over the whole API are in tests/cross/test_api_bad_input.py.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest
from django import forms
from django.test import Client, RequestFactory
from rest_framework import serializers as drf

from core import input_guard
from core.api import typed
from payment_requests.models import PaymentRequest, PaymentRequestComment
from tests.payment_requests.factories import flow_for, make_request

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000
PROJECT_APPS = ("core", "deals", "invoices", "journals", "payment_requests", "notifications", "integrations", "tenancy")


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"]), body
    return body["error"]


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _line(flow, amount, line_type="deal_line"):
    return {"line_type": line_type, "amount": amount, "account_item_id": str(flow.expense_account.public_id),
            "tax_code": flow.expense_tax.code}


def _request_body(flow, **overrides) -> dict:
    body = {"title": "外注費", "issue_date": "2026-04-01", "draft": True,
            "approval_flow_route_id": str(flow.route.public_id), "payment_request_lines": [_line(flow, 1000)]}
    return {**body, **overrides}


def _post_json(client, url, body):
    return client.post(url, body if isinstance(body, str) else json.dumps(body), content_type="application/json")


# --------------------------------------------------------------------------- 13: nesting depth and body size

def test_deeply_nested_json_on_the_anonymous_token_endpoint_is_a_400_in_the_error_format():
    response = _post_json(Client(), "/api/v1/auth/token/", DEEP)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "too_deep" and "入れ子が深すぎます" in error["message"]


def test_deeply_nested_json_on_an_authenticated_endpoint_is_a_400(world_a):
    response = _post_json(world_a.client("member"), "/api/v1/deals/", '{"name": ' + DEEP + "}")
    assert response.status_code == 400 and _error(response)["code"] == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting(world_a):
    assert not input_guard.json_too_deep(json.dumps({"name": "[" * 1000, "q": ['"]]]\\"[[[']}))
    assert input_guard.json_too_deep(json.dumps([[[[1]]]]), limit=3)
    assert not input_guard.json_too_deep(json.dumps([[[1]]]), limit=3)


def test_a_body_above_the_upload_limit_is_a_400_before_parsing(world_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = _post_json(world_a.client("member"), "/api/v1/deals/", {"name": "x" * 2000})
    assert response.status_code == 400
    assert _error(response)["code"] == "too_large"


def test_the_sandbox_token_endpoint_refuses_deep_json_as_an_oauth_error():
    response = _post_json(Client(), "/sandbox/freee/public_api/token", DEEP)
    assert response.status_code in (400, 401) and "error" in response.json()


def test_the_sandbox_freee_api_body_parser_refuses_deep_json_and_nul():
    from integrations.sandbox.api.base import ApiError, _parse_body

    for body in (DEEP, '{"name": "a\\u0000"}', '{"name": "\\ud800"}'):
        request = RequestFactory().post("/sandbox/freee/api/1/deals", body, content_type="application/json")
        with pytest.raises(ApiError):
            _parse_body(request, "accounting")


def test_the_lineworks_callback_handler_reads_deep_json_as_unreadable():
    with pytest.raises(ValueError):
        input_guard.loads(DEEP.encode())


# --------------------------------------------------------------------------- 14: NUL and lone surrogates

@pytest.mark.parametrize("url", ["/journals/account-items/?q=%00", "/settings/audit/?actor=%00",
                                 "/settings/audit/?target=a%00b", "/journals/account-items/?%00=1"])
def test_a_nul_in_a_query_parameter_of_a_page_is_a_japanese_400_page(world_a, url):
    response = world_a.client("admin").get(url)
    assert response.status_code == 400
    text = response.content.decode()
    assert "使用できない文字" in text and "リクエストが正しくありません" in text


def test_a_nul_in_a_payment_request_comment_page_post_is_a_400_page(flow, world_a):
    request = make_request(flow, "draft")
    response = world_a.client("member").post(f"/payment-requests/{request.public_id}/comments/",
                                             {"comment": "確認\x00お願いします"})
    assert response.status_code == 400
    assert "使用できない文字" in response.content.decode() and "comment" in response.content.decode()
    assert not PaymentRequestComment.objects.exists()


@pytest.mark.parametrize("raw", ['"確認\\u0000お願いします"', '"\\ud800"', '"a\\udfffb"'])
def test_a_nul_or_lone_surrogate_in_a_json_string_is_a_400_naming_the_field(flow, world_a, raw):
    request = make_request(flow, "draft")
    response = _post_json(world_a.client("member"), f"/api/v1/payment_requests/{request.public_id}/comments/",
                          '{"comment": ' + raw + "}")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid" and "使用できない文字" in error["details"]["comment"][0]
    assert not PaymentRequestComment.objects.exists()


def test_a_nul_inside_nested_json_names_its_path(flow, world_a):
    body = _request_body(flow, payment_request_lines=[{**_line(flow, 1000), "description": "a\x00"}])
    response = _post_json(world_a.client("member"), "/api/v1/payment_requests/", body)
    assert response.status_code == 400
    assert "payment_request_lines.0.description" in _error(response)["details"]


@pytest.mark.parametrize("url", ["/api/v1/deals/?search=%00", "/api/v1/account-items/?ordering=%00",
                                 "/api/v1/payment_requests/?%00=1"])
def test_a_nul_in_an_api_query_parameter_is_a_400_in_the_error_format(world_a, url):
    response = world_a.client("member").get(url)
    assert response.status_code == 400 and _error(response)["code"] == "invalid"


def test_a_form_encoded_api_put_with_a_nul_is_refused_by_the_parser(flow, world_a):
    request = make_request(flow, "draft")
    response = world_a.client("member").generic("PUT", f"/api/v1/payment_requests/{request.public_id}/",
                                                "title=a%00b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "title" in _error(response)["details"]


def test_a_nul_in_the_path_is_a_400(world_a):
    response = world_a.client("member").get("/sandbox/lineworks/v1.0/users/a%00b")
    assert response.status_code == 400


# --------------------------------------------------------------------------- 15: ranges and check constraints

@pytest.mark.parametrize("overrides", [{"partner_id": 10**30}, {"receipt_ids": [10**30]}, {"approver_id": 10**30},
                                       {"payment_request_lines": [{"line_type": "deal_line", "amount": 10**30}]},
                                       {"receipt_ids": list(range(1, 2000))}])
def test_integers_beyond_bigint_and_unbounded_lists_are_validation_errors(flow, world_a, overrides):
    response = _post_json(world_a.client("member"), "/api/v1/payment_requests/", _request_body(flow, **overrides))
    assert response.status_code == 400
    assert _error(response)["code"] in {"invalid", "line_amount_invalid"}
    assert not PaymentRequest.objects.exists()


def _huge_negative_draft(flow) -> list[dict]:
    return [_line(flow, 0), _line(flow, 99_999_999_999, "negative_line"), _line(flow, 99_999_999_999, "negative_line")]


def test_a_draft_whose_total_breaks_the_check_constraint_is_a_validation_error_via_the_api(flow, world_a):
    body = _request_body(flow, payment_request_lines=_huge_negative_draft(flow))
    response = _post_json(world_a.client("member"), "/api/v1/payment_requests/", body)
    assert response.status_code == 400
    assert "-99,999,999,999円以上" in _error(response)["details"]["payment_request_lines"][0]
    assert not PaymentRequest.objects.exists()


def _page_data(flow, lines: list[dict], **extra) -> dict:
    data = {"title": "外注費", "issue_date": "2026-04-01", "route": str(flow.route.pk), "payment_method": "none",
            "qualified_invoice_status": "unspecified", "account_type": "ordinary", "draft": "1",
            "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "100", **extra}
    for index, line in enumerate(lines):
        data |= {f"lines-{index}-line_type": line["line_type"], f"lines-{index}-amount": str(line["amount"]),
                 f"lines-{index}-description": "x"}
    return data


def test_a_draft_whose_total_breaks_the_check_constraint_is_a_form_error_on_the_page(flow, world_a):
    response = world_a.client("member").post("/payment-requests/new/", _page_data(flow, _huge_negative_draft(flow)))
    assert response.status_code == 400  # the form again, with its errors (the pages answer 400 on a form error)
    assert "-99,999,999,999円以上" in response.content.decode()
    assert not PaymentRequest.objects.exists()


def test_a_partner_id_beyond_bigint_on_the_request_page_is_a_form_error(flow, world_a):
    client = world_a.client("member")
    assert client.post("/payment-requests/new/", _page_data(flow, [_line(flow, 1000)])).status_code == 302
    PaymentRequest.objects.all().delete()  # the same form saves: only the partner id below makes it fail
    response = client.post("/payment-requests/new/", _page_data(flow, [_line(flow, 1000)], partner_id=str(10**30)))
    assert response.status_code == 400
    assert "partner_id" in response.context["form"].errors
    assert not PaymentRequest.objects.exists()


@pytest.mark.parametrize("amount", [10**30, 10**12 + 1, 0])
def test_ledger_amounts_are_bounded_so_their_sums_stay_within_bigint(world_a, amount):
    from journals.models import AccountItem
    from journals.services import ledger_defaults_ensure

    ledger_defaults_ensure(tenant=world_a.tenant)
    account = AccountItem.objects.filter(tenant=world_a.tenant).first()
    line = {"side": "debit", "account_item": str(account.public_id), "amount": amount}
    body = {"issue_date": "2026-04-01", "lines": [line, {**line, "side": "credit"}]}
    response = _post_json(world_a.client("admin"), "/api/v1/manual-journals/", body)
    assert response.status_code == 400 and "lines" in _error(response)["details"]


def _project_modules():
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield importlib.import_module(info.name)


def _project_classes(base):
    seen = set()
    for module in _project_modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__.split(".")[0] in PROJECT_APPS and cls not in seen:
                seen.add(cls)
                yield cls


def test_every_integer_field_of_every_plain_form_has_a_range_within_bigint():
    """Model forms get the model field's range (Django validates it); every other form says its own."""
    unbounded = []
    for form_class in _project_classes(forms.Form):
        for name, field in form_class.base_fields.items():
            if type(field) is forms.IntegerField or isinstance(field, forms.FloatField):
                low, high = field.min_value, field.max_value
                if low is None or high is None or low < input_guard.BIGINT_MIN or high > input_guard.BIGINT_MAX:
                    unbounded.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert unbounded == []


def _writable_fields(serializer, path: str):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        yield from _field_and_children(field, f"{path}.{name}")


def _field_and_children(field, path):
    if isinstance(field, drf.ListSerializer):
        yield path, field
        yield from _field_and_children(field.child, f"{path}[]")
    elif isinstance(field, drf.Serializer):
        yield from _writable_fields(field, path)
    elif isinstance(field, drf.ListField):
        yield path, field
        yield from _field_and_children(field.child, f"{path}[]")
    else:
        yield path, field


STRICT = {drf.CharField: typed.CharField, drf.BooleanField: typed.BooleanField, drf.IntegerField: typed.IntegerField,
          drf.UUIDField: typed.UUIDField, drf.ListField: typed.ListField}


def test_every_writable_serializer_field_of_the_project_is_strictly_typed_and_bounded(world_a):
    """Item 16's neighbours: a new serializer written with DRF's own fields (or unbounded) fails here."""
    loose = []
    for serializer_class in _project_classes(drf.Serializer):
        if issubclass(serializer_class, drf.ListSerializer) or serializer_class.__module__ == typed.__name__:
            continue  # core.api.typed's bases have no fields of their own (the ModelSerializer base has no Meta)
        try:
            serializer = serializer_class(context={"request": None})
        except TypeError:
            continue
        for path, field in _writable_fields(serializer, serializer_class.__name__):
            for loose_type, strict_type in STRICT.items():
                if isinstance(field, loose_type) and not isinstance(field, strict_type):
                    loose.append(f"{path}: {type(field).__name__}")
            if isinstance(field, drf.IntegerField) and (field.max_value is None or field.min_value is None):
                loose.append(f"{path}: unbounded integer")
            if isinstance(field, (drf.ListField, drf.ListSerializer)) and field.max_length is None:
                loose.append(f"{path}: unbounded list")
    assert loose == []


# --------------------------------------------------------------------------- 16: strict JSON types

def test_a_comment_sent_as_an_object_is_refused_not_stored_as_its_repr(flow, world_a):
    request = make_request(flow, "draft")
    response = _post_json(world_a.client("member"), f"/api/v1/payment_requests/{request.public_id}/comments/",
                          {"comment": {"text": "確認"}})
    assert response.status_code == 400 and "comment" in _error(response)["details"]
    assert not PaymentRequestComment.objects.exists()


@pytest.mark.parametrize("overrides, field", [({"title": 5}, "title"), ({"title": ["a"]}, "title"),
                                              ({"draft": "yes"}, "draft"), ({"draft": 1}, "draft"),
                                              ({"partner_id": "5"}, "partner_id"), ({"partner_id": True}, "partner_id"),
                                              ({"partner_id": 5.5}, "partner_id"),
                                              ({"approval_flow_route_id": 5}, "approval_flow_route_id")])
def test_wrong_json_types_are_refused(flow, world_a, overrides, field):
    response = _post_json(world_a.client("member"), "/api/v1/payment_requests/", _request_body(flow, **overrides))
    assert response.status_code == 400 and field in _error(response)["details"]
    assert not PaymentRequest.objects.exists()


def test_query_strings_and_forms_still_read_text_as_numbers_and_booleans(flow, world_a):
    """Strictness is for JSON: a query string or a form body carries only text."""
    make_request(flow, "draft")
    response = world_a.client("member").get("/api/v1/payment_requests/", {"min_amount": "1", "page": "1"})
    assert response.status_code == 200
    token = Client().post("/api/v1/auth/token/", {"username": world_a.member.username, "password": "x"})
    assert token.status_code == 400 and _error(token)["code"] == "invalid"
