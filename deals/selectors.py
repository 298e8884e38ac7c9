"""Reads for deals, always scoped to one tenant."""

from collections import Counter

from django.db import router
from django.db.models import F, ProtectedError, QuerySet, RestrictedError
from django.db.models.deletion import Collector

from deals.filters import DEFAULT_SORT, SORTS
from deals.models import Deal, DealLine, DealType, Product
from tenancy.models import Tenant


def deal_list(*, tenant: Tenant, sort: str = DEFAULT_SORT) -> QuerySet[Deal]:
    """Deals of a tenant with what the list shows, in one of the list's sort orders (ties by id).

    Each order is read straight from one of the (tenant, key, id) indexes (deals.models), so a page of 50 no
    longer sorts all of a large tenant's deals. Deals without the key (no billing date) come last in both
    directions; on columns that cannot be empty NULLS is left out, as `DESC NULLS LAST` would miss the index.
    """
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    field = order.removeprefix("-")
    nulls_last = True if Deal._meta.get_field(field).null else None
    if order.startswith("-"):
        ordering = [F(field).desc(nulls_last=nulls_last), F("id").desc()]
    else:
        ordering = [F(field).asc(nulls_last=nulls_last), F("id").asc()]
    return Deal.objects.for_tenant(tenant).select_related("deal_type", "owner").order_by(*ordering)


def deal_lines(*, deal: Deal) -> QuerySet[DealLine]:
    return DealLine.objects.for_tenant(deal.tenant).filter(deal=deal).select_related("product")


def deal_type_list(*, tenant: Tenant) -> QuerySet[DealType]:
    return DealType.objects.for_tenant(tenant)


def product_list(*, tenant: Tenant) -> QuerySet[Product]:
    return Product.objects.for_tenant(tenant)


def deal_delete_blockers(*, deal: Deal) -> dict[str, int]:
    """What keeps the deal from being deleted, as {verbose name: count} (e.g. {"請求書": 2}); empty when it can be.

    Asks Django's deletion collector, so it names exactly the rows deal_delete would be refused on (invoices
    PROTECT their deal), without deals importing the apps that point at it."""
    collector = Collector(using=router.db_for_write(Deal))
    try:
        collector.collect([deal])
    except (ProtectedError, RestrictedError) as error:
        blockers = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
        return dict(Counter(str(obj._meta.verbose_name) for obj in blockers))
    return {}
