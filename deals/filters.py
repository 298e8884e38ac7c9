"""The deal filters shared by the deal list page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deals.models import Deal, DealType


class DealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("キーワード"), method="filter_keyword")
    deal_type = django_filters.ModelChoiceFilter(
        label=_("案件タイプ"), queryset=DealType.objects.none(), field_name="deal_type",
        to_field_name="public_id", empty_label=_("すべて"),
    )
    stage = django_filters.ChoiceFilter(label=_("フェーズ"), choices=Deal.Stage.choices, empty_label=_("すべて"))

    class Meta:
        model = Deal
        fields = ["q", "deal_type", "stage"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["deal_type"].queryset = DealType.objects.for_tenant(tenant)

    def filter_keyword(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(partner_name__icontains=value))


SORTS = {
    "name": "name",
    "-name": "-name",
    "amount": "amount",
    "-amount": "-amount",
    "billing": "expected_billing_date",
    "-billing": "-expected_billing_date",
    "updated": "updated_at",
    "-updated": "-updated_at",
}
DEFAULT_SORT = "-updated"
