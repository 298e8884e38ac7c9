"""Validate sandbox responses against freee's own OpenAPI response schemas (jsonschema after inlining $ref)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.conf import settings

ACCOUNTING, INVOICE = "accounting", "invoice"


def reference_folder() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "reference" / "freee"


@cache
def _spec(family: str) -> dict:
    folder = reference_folder()
    if family == ACCOUNTING:
        return json.loads((folder / "v2020_06_15" / "open-api-3" / "api-schema.json").read_text())
    return yaml.safe_load((folder / "iv" / "open-api-3" / "api-schema.yml").read_text())


def require_reference() -> None:
    if not reference_folder().is_dir():
        pytest.skip(f"freee OpenAPI schemas not found in {reference_folder()} (copy of /work/shared/reference/freee)")


def _to_json_schema(node: object, spec: dict, depth: int = 0) -> object:
    """Inline $ref and turn OpenAPI 3.0 `nullable` into JSON Schema's null type."""
    if isinstance(node, list):
        return [_to_json_schema(item, spec, depth) for item in node]
    if not isinstance(node, dict) or depth > 40:
        return node
    if "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _to_json_schema(copy.deepcopy(target), spec, depth + 1)
    out = {key: _to_json_schema(value, spec, depth + 1) for key, value in node.items() if key != "example"}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def response_schema(family: str, path: str, method: str, status: int) -> dict:
    spec = _spec(family)
    response = spec["paths"][path][method]["responses"][str(status)]
    content = response["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return _to_json_schema(media["schema"], spec)


def assert_conforms(family: str, path: str, method: str, response) -> None:
    """The response body validates against freee's schema for (path, method, status)."""
    schema = response_schema(family, path, method, response.status_code)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, f"{method.upper()} {path} {response.status_code}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10])
