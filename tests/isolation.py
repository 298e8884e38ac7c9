"""The reusable cross-tenant check, and the list of every URL of the project (from the URL resolver).

Every page and API test module calls `assert_cross_tenant_404` for its object URLs; tests/cross/ walks
every route of the project, so a new object route without an entry in OBJECT_FACTORIES fails the suite.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

OBJECT_KWARGS = {"public_id", "pk"}
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the project, flattened: its name, a template to fill, and its kwargs."""

    name: str
    template: str
    kwargs: tuple[str, ...]

    @property
    def is_object_route(self) -> bool:
        return bool(OBJECT_KWARGS & set(self.kwargs))

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    def url(self, **values) -> str:
        """The route with `values` filled in; other kwargs (a signed key, say) get a placeholder that no real
        key equals, so the page answers as for a stale or forged link."""
        path = self.template
        for key in self.kwargs:
            path = path.replace(f"<{key}>", str(values.get(key, "0")))
        return path


def _pattern_text(pattern) -> str:
    text = str(pattern.pattern)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", text)  # path converters
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text)  # regex groups (DRF routers)
    return text.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\Z", "")


def iter_routes(resolver: URLResolver | None = None, prefix: str = "/", namespace: str = "") -> Iterator[Route]:
    """Every concrete route of the project, including included apps, the admin and the API."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text = prefix + _pattern_text(entry)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_routes(entry, text, ns)
        elif isinstance(entry, URLPattern):
            if "<format>" in text or "(?" in text:
                continue  # DRF's format-suffix duplicates
            kwargs = tuple(re.findall(r"<(\w+)>", text))
            yield Route(name=f"{namespace}{entry.name or ''}", template=text, kwargs=kwargs)


def project_routes() -> list[Route]:
    """Our routes: Django's admin and i18n views are Django's own and tested by Django."""
    return [r for r in iter_routes() if not r.template.startswith(("/admin/", "/i18n/"))]


# Route name -> how to make tenant B's object for it: fn(world) -> the value of the object kwarg.
ObjectMaker = Callable[["object"], object]


def assert_cross_tenant_404(client: Client, url: str, *, foreign_texts: tuple[str, ...] = (),
                            methods: tuple[str, ...] = METHODS) -> None:
    """Every method on another tenant's object answers 404 (405 for a method the route does not take, which is
    decided before any lookup) and leaks none of its data; at least one method reaches the lookup's 404."""
    statuses = {}
    for method in methods:
        response = getattr(client, method)(url, content_type="application/json") if method != "get" else client.get(url)
        statuses[method] = response.status_code
        assert response.status_code in {404, 405}, f"{method.upper()} {url} -> {response.status_code}"
        body = response.content.decode(errors="replace")
        for text in foreign_texts:
            assert text not in body, f"{method.upper()} {url} leaked {text!r}"
    assert 404 in statuses.values(), f"{url}: no method reached the object lookup ({statuses})"


def random_object_url(route: Route) -> str:
    return route.url(**{key: uuid.uuid4() for key in route.kwargs})
