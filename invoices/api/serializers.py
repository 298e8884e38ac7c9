"""Invoices as the API shows them, and what a client sends to issue one."""

from django.utils.translation import gettext_lazy as _

from core.api import typed as serializers
from invoices.models import Invoice


class InvoiceSerializer(serializers.ModelSerializer):
    """One freee請求書 invoice of a deal, with its four freee statuses and their Japanese labels."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    deal = serializers.UUIDField(source="deal.public_id", read_only=True)
    job = serializers.UUIDField(source="job.public_id", default=None, read_only=True, allow_null=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    sending_status_label = serializers.CharField(source="get_sending_status_display", read_only=True)
    payment_status_label = serializers.CharField(source="get_payment_status_display", read_only=True)
    cancel_status_label = serializers.CharField(source="get_cancel_status_display", read_only=True)
    deal_status_label = serializers.CharField(source="get_deal_status_display", read_only=True)
    latest_status_label = serializers.CharField(read_only=True)
    superseded_by = serializers.UUIDField(
        source="superseded_by_public_id", read_only=True, allow_null=True, default=None,
        help_text="発行エラーの請求書が、後から発行された請求書で解決済み（終了）のとき、その請求書のID。終了した請求書は再試行できません")
    retryable = serializers.BooleanField(source="is_retryable", read_only=True,
                                         help_text="再試行できる（要確認、終了していない発行エラー、中断された発行中）")

    class Meta:
        model = Invoice
        fields = ["id", "deal", "state", "state_label", "freee_invoice_id", "invoice_number", "report_url",
                  "partner_id", "partner_name", "subject", "billing_date", "payment_date", "total_amount",
                  "amount_tax", "sending_status", "sending_status_label", "payment_status", "payment_status_label",
                  "cancel_status", "cancel_status_label", "deal_status", "deal_status_label", "latest_status_label",
                  "superseded_by", "retryable", "last_error", "job", "issued_at", "last_synced_at", "created_at"]
        read_only_fields = fields


class InvoiceIssueSerializer(serializers.Serializer):
    """発行: the freee partner chosen for the invoice (a partner is required; the service says why)."""

    partner_id = serializers.IntegerField(label=_("freee取引先ID"), min_value=1, required=False, allow_null=True,
                                          default=None)
    partner_name = serializers.CharField(label=_("取引先名"), max_length=255, required=False, allow_blank=True,
                                         default="")
    invoice_number = serializers.CharField(
        label=_("請求書番号"), max_length=255, required=False, allow_blank=True, default="",
        help_text="freeeの採番設定が手動採番のときに必須の請求書番号（自動採番では無視されます）")
