"""Content-Security-Policy without inline scripts: every page of the project (from the URL resolver) is fetched
by an admin and must carry the policy and contain no inline script, event handler attribute, inline style or
javascript: URL — so a new template with one fails here, not in a customer's browser."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.cross.test_permissions_matrix import MATRIX_ROUTES, _tenant_world, make_object, methods_to_test
from tests.isolation import Route

# Django's admin is not ours (it still gets the header); every other HTML page is checked.
PAGES = [route for route in MATRIX_ROUTES if not route.is_api and ("GET", True) in methods_to_test(route)]
TAG = re.compile(r"<([a-zA-Z][\w-]*)(\s[^>]*)?>", re.DOTALL)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def inline_code(html: str) -> list[str]:
    """What a strict policy would block: inline <script>/<style>, on* handlers, style="", javascript: URLs."""
    found = []
    for match in TAG.finditer(html):
        name, attrs = match.group(1).lower(), match.group(2) or ""
        script_type = re.search(r"""\stype\s*=\s*["']?([\w/+-]+)""", attrs)
        if name == "script" and "src=" not in attrs and not (script_type and script_type.group(1) in DATA_SCRIPT_TYPES):
            found.append(match.group(0)[:120])
        if name == "style" or HANDLER.search(attrs) or STYLE.search(attrs) or JS_URL.search(attrs):
            found.append(match.group(0)[:120])
    return found


def test_the_scanner_finds_each_kind_of_inline_code():
    assert inline_code('<script>alert(1)</script>') == ["<script>"]
    assert inline_code('<script type="application/json" id="x">{}</script><script src="/a.js"></script>') == []
    assert inline_code('<button onclick="go()">x</button>') == ['<button onclick="go()">']
    assert inline_code('<p style="color:red">x</p><a href="javascript:void(0)">y</a><style>p{}</style>') == [
        '<p style="color:red">', '<a href="javascript:void(0)">', "<style>"]
    assert inline_code('<div hx-get="/x" data-onclick="1" class="one">x</div>') == []


@pytest.fixture
def admin_world(db):
    return _tenant_world("CSP", profiles=False)


@pytest.mark.parametrize("route", PAGES, ids=[r.name for r in PAGES])
def test_every_page_has_the_policy_and_no_inline_code(route: Route, admin_world):
    client = Client()
    client.force_login(admin_world.admin)
    if route.is_object_route:
        obj = make_object(route, admin_world)
        url = route.url(**{k: obj.public_id for k in route.kwargs})
    else:
        url = route.url()
    response = client.get(url)
    assert response.status_code < 500
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy + ";" and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert inline_code(body.decode()) == [], f"inline code on {url}"


def test_the_api_docs_load_their_scripts_and_styles_from_files(admin_world):
    client = Client()
    client.force_login(admin_world.admin)
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui-bundle.js" in body and inline_code(body) == []
