"""The deal filters shared by the deal list page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deals.models import Deal, DealType, FreeeLatestStatus

NOT_ISSUED = "none"  # the query value of 未発行 (the stored value is "", which a form reads as "no filter")
LATEST_STATUS_CHOICES = [(NOT_ISSUED, FreeeLatestStatus.NONE.label),
                         *[(value, label) for value, label in FreeeLatestStatus.choices if value]]


class DealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("キーワード"), method="filter_keyword")
    deal_type = django_filters.ModelChoiceFilter(
        label=_("案件タイプ"), queryset=DealType.objects.none(), field_name="deal_type",
        to_field_name="public_id", empty_label=_("すべて"),
    )
    stage = django_filters.ChoiceFilter(label=_("フェーズ"), choices=Deal.Stage.choices, empty_label=_("すべて"))
    freee_latest_status = django_filters.ChoiceFilter(
        label=_("freee最新請求ステータス"), choices=LATEST_STATUS_CHOICES, empty_label=_("すべて"),
        method="filter_latest_status",
    )

    class Meta:
        model = Deal
        fields = ["q", "deal_type", "stage", "freee_latest_status"]

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The API's DjangoFilterBackend passes the request instead of the tenant; no tenant, no deal types.
        tenant = tenant or getattr(self.request, "tenant", None)
        self.filters["deal_type"].queryset = DealType.objects.for_tenant(tenant)

    def filter_keyword(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(partner_name__icontains=value))

    def filter_latest_status(self, queryset, name, value):
        return queryset.filter(freee_latest_status=FreeeLatestStatus.NONE if value == NOT_ISSUED else value)


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
