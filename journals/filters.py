"""The ledger list filters shared by the pages and the API (the queryset is already scoped to the tenant).

The pages keep their own forms for what they show and validate (期間, 勘定科目 chosen from a list); once a
page form is valid, its values go through the same FilterSet the API uses (`page_data`), so a filter rule
is written once.
"""

from __future__ import annotations

import django_filters
from django.db.models import F, Model, Q

from journals.models import JournalEntry, Trade

STATUS_CHOICES = [("unsettled", "未決済"), ("settled", "決済済み")]


class TradeFilter(django_filters.FilterSet):
    start = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte", label="発生日（から）")
    end = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte", label="発生日（まで）")
    account = django_filters.UUIDFilter(method="filter_account", label="勘定科目のID（明細のいずれか）")
    kind = django_filters.ChoiceFilter(choices=Trade.Kind.choices, label="収支区分")
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status", label="決済状況")
    q = django_filters.CharFilter(method="filter_keyword", label="取引先・備考（部分一致）")
    source_key = django_filters.CharFilter(label="連携元")

    class Meta:
        model = Trade
        fields = ["start", "end", "account", "kind", "status", "q", "source_key"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(details__account_item__public_id=value).distinct()

    def filter_status(self, queryset, name, value):
        if value == "settled":
            return queryset.filter(settled_amount__gte=F("amount"))
        return queryset.filter(settled_amount__lt=F("amount"))

    def filter_keyword(self, queryset, name, value):
        return queryset.filter(Q(partner_name__icontains=value) | Q(description__icontains=value))


class JournalEntryFilter(django_filters.FilterSet):
    start = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="日付（から）")
    end = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="日付（まで）")
    account_item = django_filters.UUIDFilter(method="filter_account", label="勘定科目のID")
    kind = django_filters.ChoiceFilter(choices=JournalEntry.Kind.choices, label="種類")

    class Meta:
        model = JournalEntry
        fields = ["start", "end", "account_item", "kind"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(lines__account_item__public_id=value).distinct()


def page_data(cleaned: dict, **renamed: str) -> dict:
    """A valid page form's values as FilterSet data: empty ones dropped, a chosen row as its public id.

    `renamed` maps a page field to the FilterSet's name for it (e.g. account="account_item").
    """
    data = {}
    for name, value in cleaned.items():
        if value in (None, ""):
            continue
        data[renamed.get(name, name)] = value.public_id if isinstance(value, Model) else value
    return data
