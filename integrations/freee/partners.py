"""The partner search every page shares (the deal form's 取引先 and the 請求書 tab): a live query of freee's
取引先, cached briefly so typing does not spend the company's rate limit on the same keyword twice."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache

from core.errors import ApplicationError
from integrations.freee import messages
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError
from integrations.freee.services import connection_for
from tenancy.models import Tenant

PARTNER_CACHE_SECONDS = 60
KEYWORD_MAX_LENGTH = 100
RESULT_LIMIT = 20


@dataclass(frozen=True)
class PartnerSearch:
    """What the results box shows: the keyword searched, the partners found, or why nothing could be asked."""

    keyword: str
    partners: list[dict] = field(default_factory=list)
    error: str = ""


def partner_search(*, tenant: Tenant, keyword: str) -> PartnerSearch:
    """freee's 取引先 matching `keyword` (id, name, long_name); an empty keyword asks nothing.

    A freee error or a missing connection is the result's `error` (a Japanese message), never an exception: the
    box is filled while the user types."""
    keyword = keyword.strip()[:KEYWORD_MAX_LENGTH]
    if not keyword:
        return PartnerSearch(keyword="")
    key = f"freee:partners:{tenant.pk}:{keyword}"
    partners = cache.get(key)
    if partners is not None:
        return PartnerSearch(keyword=keyword, partners=partners)
    try:
        client = FreeeClient(connection_for(tenant=tenant), max_wait=2)
        partners = [
            {"id": p.id, "name": p.name, "long_name": p.long_name or ""}
            for p in client.partners_search(keyword=keyword, limit=RESULT_LIMIT)
        ]
    except FreeeError as error:
        return PartnerSearch(keyword=keyword, error=messages.call_error(error))
    except ApplicationError as error:
        return PartnerSearch(keyword=keyword, error=error.message)
    if partners:  # "no such partner" is not kept: the page says to register it in freee and search again
        cache.set(key, partners, PARTNER_CACHE_SECONDS)
    return PartnerSearch(keyword=keyword, partners=partners)
