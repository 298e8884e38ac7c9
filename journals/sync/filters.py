"""API連携一覧 filters, shared by the page and the API (the queryset is already scoped to the tenant)."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from journals.sync.documents import document_type_choices
from journals.sync.models import SyncRecord


class SyncRecordFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("ステータス"), choices=SyncRecord.Status.choices)
    operation = django_filters.ChoiceFilter(label=_("操作種別"), choices=SyncRecord.Operation.choices)
    document_type = django_filters.ChoiceFilter(label=_("帳票"), choices=document_type_choices)
    start = django_filters.DateFilter(label=_("操作日（から）"), method="filter_start")
    end = django_filters.DateFilter(label=_("操作日（まで）"), method="filter_end")
    actor = django_filters.CharFilter(label=_("作業者"), field_name="actor__username", lookup_expr="iexact")

    class Meta:
        model = SyncRecord
        fields = ["status", "operation", "document_type", "start", "end", "actor"]

    def filter_start(self, queryset, name, value):
        return queryset.filter(created_at__date__gte=value)  # dates in the active time zone (Asia/Tokyo)

    def filter_end(self, queryset, name, value):
        return queryset.filter(created_at__date__lte=value)


def actor_choices(tenant):
    user_ids = SyncRecord.objects.for_tenant(tenant).exclude(actor=None).values("actor_id").distinct()
    return get_user_model().objects.filter(pk__in=user_ids).order_by("username").values_list("username", flat=True)
