"""The invoice list filters shared by the 請求書 page and the API (the queryset is already scoped to the tenant)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from invoices.models import Invoice, PaymentStatus


class InvoiceFilter(django_filters.FilterSet):
    deal = django_filters.UUIDFilter(label=_("案件ID"), field_name="deal__public_id")
    state = django_filters.ChoiceFilter(label=_("連携状態"), choices=Invoice.State.choices)
    payment_status = django_filters.ChoiceFilter(label=_("決済"), choices=PaymentStatus.choices)

    class Meta:
        model = Invoice
        fields = ["deal", "state", "payment_status"]
