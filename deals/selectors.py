"""Reads for deals, always scoped to one tenant."""

from django.db.models import F, QuerySet

from deals.filters import DEFAULT_SORT, SORTS
from deals.models import Deal, DealLine, DealType, Product
from tenancy.models import Tenant


def deal_list(*, tenant: Tenant, sort: str = DEFAULT_SORT) -> QuerySet[Deal]:
    """Deals of a tenant with what the list shows, in one of the list's sort orders (ties by id)."""
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    if order.startswith("-"):
        ordering = [F(order[1:]).desc(nulls_last=True), F("id").desc()]
    else:
        ordering = [F(order).asc(nulls_last=True), F("id").asc()]
    return Deal.objects.for_tenant(tenant).select_related("deal_type", "owner").order_by(*ordering)


def deal_lines(*, deal: Deal) -> QuerySet[DealLine]:
    return DealLine.objects.for_tenant(deal.tenant).filter(deal=deal).select_related("product")


def deal_type_list(*, tenant: Tenant) -> QuerySet[DealType]:
    return DealType.objects.for_tenant(tenant)


def product_list(*, tenant: Tenant) -> QuerySet[Product]:
    return Product.objects.for_tenant(tenant)
