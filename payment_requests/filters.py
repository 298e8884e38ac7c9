"""The payment-request filters shared by the list page and the API (freee's list query, our ids)."""

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from payment_requests.models import PaymentRequest

PAYMENT_STATES = [("unpaid", _("未払い")), ("paid", _("支払済み"))]


class PaymentRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("ステータス"), choices=PaymentRequest.Status.choices,
                                         empty_label=_("すべて"))
    title = django_filters.CharFilter(label=_("申請タイトル"), field_name="title", lookup_expr="icontains")
    applicant_id = django_filters.NumberFilter(label=_("申請者"), field_name="applicant_id")
    approver_id = django_filters.NumberFilter(label=_("承認者"), method="filter_approver")
    start_application_date = django_filters.DateFilter(label=_("申請日（から）"), field_name="application_date",
                                                       lookup_expr="gte")
    end_application_date = django_filters.DateFilter(label=_("申請日（まで）"), field_name="application_date",
                                                     lookup_expr="lte")
    start_issue_date = django_filters.DateFilter(label=_("発生日（から）"), field_name="issue_date", lookup_expr="gte")
    end_issue_date = django_filters.DateFilter(label=_("発生日（まで）"), field_name="issue_date", lookup_expr="lte")
    min_amount = django_filters.NumberFilter(label=_("金額（以上）"), field_name="total_amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(label=_("金額（以下）"), field_name="total_amount", lookup_expr="lte")
    payment_state = django_filters.ChoiceFilter(label=_("支払状況"), choices=PAYMENT_STATES, empty_label=_("すべて"),
                                                method="filter_payment_state")

    class Meta:
        model = PaymentRequest
        fields = ["status", "title", "applicant_id", "approver_id", "start_application_date", "end_application_date",
                  "start_issue_date", "end_issue_date", "min_amount", "max_amount", "payment_state"]

    def filter_payment_state(self, queryset, name, value):
        """未払い: approved and no payment registered yet; 支払済み: a payment is registered (支払登録)."""
        if value == "paid":
            return queryset.filter(paid_on__isnull=False)
        return queryset.filter(status=PaymentRequest.Status.APPROVED, paid_on__isnull=True)

    def filter_approver(self, queryset, name, value):
        """As freee: requests in progress waiting on this user (a slot of the current step, or any 指定なし step)."""
        waiting = Q(approvers__step=F("current_step"), approvers__user_id=value) | Q(
            current_step__resource_type="unspecified")
        return queryset.filter(Q(status=PaymentRequest.Status.IN_PROGRESS) & waiting).exclude(
            current_step__resource_type="unspecified", applicant_id=value).distinct()


SORTS = {
    "number": "application_number", "-number": "-application_number",
    "date": "application_date", "-date": "-application_date",
    "issue": "issue_date", "-issue": "-issue_date",
    "amount": "total_amount", "-amount": "-total_amount",
    "title": "title", "-title": "-title",
    "status": "status", "-status": "-status",
}
DEFAULT_SORT = "-date"
