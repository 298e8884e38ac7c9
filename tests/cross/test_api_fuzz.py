"""API fuzzing: schemathesis generates requests from our OpenAPI schema for every operation of the API.

The schema is the document /api/schema/ serves (test_the_fuzzed_schema_is_the_served_schema proves it); each
operation is one test item. A logged-in member of tenant A (token from the API's token endpoint, X-Tenant
header) calls the API in process (WSGI, Django's application) while tenant A has deals, lines, invoices and
a job, and tenant B has a deal of its own. Path ids are drawn from A's real objects, B's objects and random
UUIDs, so lookups, updates and deletes reach real rows as well as 404s. Valid (positive) and invalid
(negative) input are both generated.

Checks on every response: never a 5xx; the status code is documented; the Content-Type and body match the
schema; every 4xx body is our error format {"error": {"code", "message", "details"}}.

Deterministic (derandomize) and bounded (MAX_EXAMPLES per operation and generation mode; no coverage phase). The cases run per
operation and in total are printed at the end of the pytest run (tests/cross/conftest.py) and recorded in
benchmarks/README.md ("Fuzzing").
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PASSWORD, DealFactory, DealLineFactory, InvoiceFactory, JobFactory

MAX_EXAMPLES = 15  # per operation and generation mode (positive, negative); about 2,500 cases in all
SCHEMA_URL = "/api/schema/?format=json"

# Operations not fuzzed, each with its reason. Keep this list short and explicit: every entry is a gap.
EXCLUDED_OPERATIONS: dict[str, str] = {
    # 10 calls/min per client: fuzzing would only measure the throttle (its 200/400 are tested in tests/core,
    # and every fuzz case below starts with one call to it). Its 400/429 are documented in the schema.
    "POST /api/v1/auth/token/": "throttled at 10/min: fuzzing would only see 429",
}

# The app under test: Django's WSGI application. Each fuzz case calls it in process.
APPLICATION = get_wsgi_application()


def served_schema() -> dict:
    """The OpenAPI document of /api/schema/, generated the way SpectacularAPIView generates it."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


schema = schemathesis.openapi.from_dict(served_schema()).exclude(name=list(EXCLUDED_OPERATIONS))
schema.app = APPLICATION
schema.config.generation.update(max_examples=MAX_EXAMPLES)
# The coverage phase enumerates every boundary of every body field: 200-700 cases for each write operation,
# which alone takes over ten minutes here. The examples and fuzzing phases (positive and negative) stay.
schema.config.phases.coverage.enabled = False

# Real object ids for the current test's data, filled by the `fuzz_data` fixture before any case is generated.
KNOWN_IDS: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Mix real ids of A (reachable) and of B (must be 404) into the generated path parameters."""
    ids = KNOWN_IDS.get(context.operation.path, [])
    if not ids or not isinstance(path_parameters, dict) or "public_id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, *({**path_parameters, "public_id": pk} for pk in ids)])


def error_body_format(ctx, response, case) -> bool | None:
    """Every 4xx answer of the API uses our one error body."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError as error:
        raise AssertionError(f"{response.status_code} without a JSON error body: {response.text[:200]!r}") from error
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error format: {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and {"code", "message", "details"} <= set(error), f"incomplete error: {body!r}"
    assert isinstance(error["code"], str) and error["code"], f"empty error code: {body!r}"
    assert isinstance(error["message"], str) and error["message"], f"empty error message: {body!r}"
    assert isinstance(error["details"], dict), f"details is not an object: {body!r}"
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          error_body_format]


def _model_for(path: str):
    """The model behind /api/v1/<collection>/{public_id}/...: the queryset of the collection's detail view."""
    match = re.match(r"^(/api/v1/[\w-]+/)\{", path)
    if not match:
        return None
    try:
        view = resolve(f"{match.group(1)}{uuid.uuid4()}/").func
    except Resolver404:
        return None
    queryset = getattr(getattr(view, "cls", None), "queryset", None)
    return queryset.model if queryset is not None else None


def _known_ids(path: str, tenants) -> list[str]:
    model = _model_for(path)
    if model is None or not hasattr(model.objects, "for_tenant"):
        return []
    ids = []
    for tenant in tenants:
        rows = model.objects.for_tenant(tenant).order_by("id").values_list("public_id", flat=True)[:3]
        ids += [str(pk) for pk in rows]
    return ids


@pytest.fixture
def wsgi_requests(fuzz_headers):
    """Without the per-request connection cleanup, which would close the test's transaction (Django's own
    test Client disconnects the same handler, and connects it again after each of its requests: hence after
    the token request)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(world_a, world_b):
    """Realistic data: A's deals with lines and invoices and a job; one deal of B that A must never reach."""
    for n in range(3):
        deal = DealFactory(tenant=world_a.tenant, owner=world_a.member, name=f"ファズ案件{n}")
        DealLineFactory(deal=deal)
        DealLineFactory(deal=deal)
        InvoiceFactory(deal=deal)
    JobFactory(tenant=world_a.tenant, actor=world_a.member)
    DealFactory(tenant=world_b.tenant, name="他テナントの秘密案件")
    KNOWN_IDS.clear()
    for operation in schema.get_all_operations():
        path = operation.ok().path
        KNOWN_IDS[path] = _known_ids(path, [world_a.tenant, world_b.tenant])
    yield world_a
    KNOWN_IDS.clear()


@pytest.fixture
def fuzz_headers(fuzz_data):
    """A member's token, obtained the way an API client gets one: POST username and password."""
    response = Client().post("/api/v1/auth/token/", {"username": fuzz_data.member.username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return {"Authorization": f"Token {response.json()['token']}", "X-Tenant": str(fuzz_data.tenant.public_id)}


@pytest.fixture
def case_counter(record_property):
    """Counts this operation's cases by status; tests/cross/conftest.py prints them all at the end of the run."""
    seen: dict[str, dict[int, int]] = {}

    def count(case, response) -> None:
        statuses = seen.setdefault(case.operation.label, {})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    yield count
    for label, statuses in seen.items():
        record_property("fuzz_cases", (label, statuses))


@schema.parametrize()
@settings(derandomize=True, deadline=None, database=None, max_examples=MAX_EXAMPLES, print_blob=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_answers_every_generated_request_within_its_schema(case, fuzz_headers, wsgi_requests, case_counter):
    response = case.call_and_validate(headers=fuzz_headers, checks=CHECKS)
    case_counter(case, response)


def test_the_fuzzed_schema_is_the_served_schema(world_a):
    served = world_a.client("member").get(SCHEMA_URL)
    assert served.status_code == 200
    assert served.json() == served_schema()


def test_every_api_operation_is_fuzzed_or_excluded_with_a_reason():
    operations = {op.ok().label for op in schemathesis.openapi.from_dict(served_schema()).get_all_operations()}
    fuzzed = {op.ok().label for op in schema.get_all_operations()}
    assert fuzzed == operations - set(EXCLUDED_OPERATIONS)
    assert set(EXCLUDED_OPERATIONS) <= operations, "an excluded operation no longer exists: remove it"
    assert len(fuzzed) >= 20


def test_every_fuzzed_operation_is_its_own_test_item(request):
    """xdist (make test runs `--dist loadfile`) keys items by node id: one id shared by all operations meant
    only one of them was ever fuzzed in the suite (see tests/cross/conftest.py)."""
    fuzz_items = [item for item in request.session.items if type(item).__name__ == "SchemathesisFunction"]
    fuzzed = {op.ok().label for op in schema.get_all_operations()}
    assert len({item.nodeid for item in fuzz_items}) == len(fuzz_items) == len(fuzzed)


# --------------------------------------------------------------------------- hand-written bad input (issue 14)
# Items 13-16 on every operation: a query parameter with a NUL, JSON nested too deep (50,000 levels raw, and
# 100 levels through schemathesis), every string of the body with a NUL or a lone surrogate, every integer
# beyond bigint, every field of the wrong JSON type. Each case passes the same CHECKS as the generated ones
# (never a 5xx, documented status, the error body); the ones refused at the edge must be a 400.

SCHEMA_DOCUMENT = served_schema()
OPERATIONS = {op.ok().label: op.ok() for op in schema.get_all_operations()}
REACHED_WITHOUT_PARSING = {"not_found", "permission_denied", "not_authenticated", "method_not_allowed"}


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA_DOCUMENT["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _json_body_schema(operation) -> dict | None:
    raw = SCHEMA_DOCUMENT["paths"][operation.path][operation.method.lower()]
    content = raw.get("requestBody", {}).get("content", {})
    return _resolve(content["application/json"]["schema"]) if "application/json" in content else None


def _properties(body_schema: dict) -> dict[str, dict]:
    return {name: _resolve(prop) for name, prop in body_schema.get("properties", {}).items()
            if not prop.get("readOnly")}


def _bodies(body_schema: dict) -> dict[str, dict]:
    """The hand-written bodies: each one sets every property of one JSON type to a bad value."""
    props = _properties(body_schema)
    by_type = {t: [n for n, p in props.items() if p.get("type") == t] for t in ("string", "integer", "boolean")}
    bodies = {
        "nul": {n: "a\x00b" for n in by_type["string"]},
        "surrogate": {n: "\ud800" for n in by_type["string"]},
        "bigint": {n: 10**30 for n in by_type["integer"]},
        "object_for_string": {n: {"repr": "x"} for n in by_type["string"]},
        "text_for_boolean": {n: "yes" for n in by_type["boolean"]},
        "text_for_integer": {n: "5" for n in by_type["integer"]},
        "deep": {n: _nested(100) for n in props} or {"x": _nested(100)},
    }
    return {label: body for label, body in bodies.items() if body}


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _path_parameters(operation) -> dict:
    if "{source}" in operation.path:  # the upsert by external reference (deals.api.upsert)
        return {"source": "fuzz", "external_id": "fuzz-1"}
    if "{public_id}" not in operation.path:
        return {}
    ids = KNOWN_IDS.get(operation.path) or [str(uuid.uuid4())]
    return {"public_id": ids[0]}


def _assert_refused_or_not_reached(case, response, label: str) -> None:
    """A body is only parsed once the view has found the object and checked the caller's rights: before
    that the answer is a 403/404/405. Once parsed, the bad input is a 400."""
    if response.status_code == 400:
        return
    code = response.json()["error"]["code"]
    assert code in REACHED_WITHOUT_PARSING or response.status_code == 409, (label, response.status_code, code)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_hand_written_bad_input_on_every_operation(label, fuzz_headers, wsgi_requests, case_counter):
    operation = OPERATIONS[label]
    path_parameters = _path_parameters(operation)
    query_names = [p.name for p in operation.query] or ["q"]

    case = operation.Case(path_parameters=path_parameters, query={name: "\x00" for name in query_names})
    response = case.call_and_validate(headers=fuzz_headers, checks=CHECKS)
    case_counter(case, response)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid", label

    body_schema = _json_body_schema(operation)
    if body_schema is None:
        return
    for body_label, body in _bodies(body_schema).items():
        case = operation.Case(path_parameters=path_parameters, body=body, media_type="application/json")
        response = case.call_and_validate(headers=fuzz_headers, checks=CHECKS)
        case_counter(case, response)
        _assert_refused_or_not_reached(case, response, f"{label} {body_label}")

    # 50,000 nested arrays, raw (no serializer can produce them): a RecursionError before issue 14.
    client_headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in fuzz_headers.items()}
    url = operation.path.replace("{public_id}", path_parameters.get("public_id", ""))
    raw = Client().generic(operation.method.upper(), url, "[" * 50_000 + "]" * 50_000,
                           content_type="application/json", **client_headers)
    assert raw.status_code < 500, (label, raw.status_code)
    assert error_body_format(None, raw, None)
    if raw.status_code == 400:
        assert raw.json()["error"]["code"] == "too_deep", label
