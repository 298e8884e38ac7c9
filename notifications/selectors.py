"""Reads, always tenant-scoped."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from core.events import KINDS
from integrations.models import LineWorksLink
from notifications.models import Delivery, LineWorksUserLink, NotificationPreference

LINK_SORTS = {"domain": "domain_id", "-domain": "-domain_id", "created": "created_at", "-created": "-created_at",
              "users": "user_count", "-users": "-user_count"}
DELIVERY_SORTS = {"created": "created_at", "-created": "-created_at", "status": "status", "-status": "-status",
                  "attempts": "attempts", "-attempts": "-attempts"}


def link_list(*, tenant, sort: str = "created") -> QuerySet[LineWorksLink]:
    order = LINK_SORTS.get(sort, "created_at")
    return (LineWorksLink.objects.for_tenant(tenant).annotate(user_count=Count("user_links"))
            .order_by(order, "id"))


def user_link_for(*, tenant, user) -> LineWorksUserLink | None:
    return LineWorksUserLink.objects.for_tenant(tenant).select_related("link").filter(user=user).first()


def enabled_kinds(*, tenant, user) -> set[str]:
    preference = NotificationPreference.objects.for_tenant(tenant).filter(user=user).first()
    disabled = set(preference.disabled_kinds) if preference else set()
    return set(KINDS) - disabled


def delivery_list(*, tenant, status: str = "", sort: str = "-created") -> QuerySet[Delivery]:
    queryset = (Delivery.objects.for_tenant(tenant).select_related("event", "recipient")
                .prefetch_related("attempt_log"))
    if status in Delivery.Status.values:
        queryset = queryset.filter(status=status)
    order = DELIVERY_SORTS.get(sort, "-created_at")
    return queryset.order_by(order, "-id")
