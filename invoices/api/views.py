"""The invoices API: list and show, issue from a deal (202 + Job), refresh, 再連携, 再試行, 取消 and 取消解除; a
deal's lines.

Thin: lookups go through the request's tenant (another tenant's deal or invoice is a 404, before any
permission check), and every rule lives in invoices.services.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import StableOrderingFilter
from core.api.permissions import IsTenantMember
from core.api.serializers import JobSerializer
from core.api.viewsets import TenantScopedReadOnlyViewSet
from deals.api.serializers import DealLineSerializer
from deals.models import Deal, DealLine
from invoices import bulk, selectors, services
from invoices.api.serializers import InvoiceIssueSerializer, InvoiceSerializer
from invoices.filters import InvoiceFilter
from invoices.models import Invoice

DEAL_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="案件ID")
ERRORS = {
    400: OpenApiResponse(description="入力・業務ルールのエラー（取引先未選択、freeeの拒否など）"),
    403: OpenApiResponse(description="「freee請求書の作成」権限がない"),
    404: OpenApiResponse(description="この事業所に存在しない"),
}


class CanIssueInvoices(IsTenantMember):
    """seed 000's rule (services.can_issue), checked on the object so that another tenant's object stays a 404."""

    message = _("freee請求書の作成権限がありません。管理者に権限プロファイルの設定を依頼してください。")

    def has_object_permission(self, request, view, obj) -> bool:
        return services.can_issue(request.membership)

RETRY_CONFLICT = OpenApiResponse(description="再試行すると二重発行になりうる: 後から発行された請求書で終了した発行エラー"
                                             "（invoice_superseded）、または同じ案件の請求書が処理中（invoice_in_progress）")


CANCEL_CONFLICT = OpenApiResponse(description="freeeの請求書の状態では実行できない: 取消済み（invoice_already_canceled）、"
                                              "決済済み（invoice_settled）、取り消されていない（invoice_not_canceled）、"
                                              "案件に取り消されていない別の請求書がある（invoice_deal_has_live_invoice）")


def _invoices():
    return selectors.with_superseded(Invoice.objects.select_related("deal", "job"))


@extend_schema_view(
    refresh=extend_schema(request=None, responses={200: InvoiceSerializer, 400: ERRORS[400], 404: ERRORS[404]}),
    resync=extend_schema(request=None, responses={200: InvoiceSerializer, **ERRORS}),
    retry=extend_schema(request=None, responses={202: InvoiceSerializer, 200: InvoiceSerializer, **ERRORS,
                                                 409: RETRY_CONFLICT}),
    cancel=extend_schema(request=None, responses={200: InvoiceSerializer, **ERRORS, 409: CANCEL_CONFLICT}),
    uncancel=extend_schema(request=None, responses={200: InvoiceSerializer, **ERRORS, 409: CANCEL_CONFLICT}),
)
class InvoiceViewSet(TenantScopedReadOnlyViewSet):
    """freee請求書: list (filter deal / state / payment_status, ordering), show, and the row actions."""

    queryset = _invoices()
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["created_at", "billing_date", "payment_date", "total_amount", "issued_at"]
    ordering = ["-created_at", "-id"]

    def get_permissions(self):
        if self.action in {"resync", "retry", "cancel", "uncancel"}:
            return [CanIssueInvoices()]
        return super().get_permissions()

    @action(detail=True, methods=["post"])
    def refresh(self, request, public_id=None):
        """ステータス更新: one GET from freee, its statuses copied onto the invoice."""
        invoice = self.get_object()
        services.invoice_refresh(invoice=invoice)
        return Response(InvoiceSerializer(invoice).data)

    @action(detail=True, methods=["post"])
    def resync(self, request, public_id=None):
        """再連携: the current deal PUT onto the same freee invoice (never a second one)."""
        invoice = services.invoice_resync(invoice=self.get_object(), membership=request.membership)
        return Response(InvoiceSerializer(invoice).data)

    @action(detail=True, methods=["post"])
    def retry(self, request, public_id=None):
        """再試行 of a 要確認 or failed invoice: queued (202) with reconciliation before any second POST.

        409 for a failure closed by a later good invoice of the deal, or while another of its invoices is in
        progress: a retry could make a second freee invoice."""
        invoice = self.get_object()
        services.invoice_retry(invoice=invoice, membership=request.membership)
        invoice = _invoices().get(pk=invoice.pk)
        queued = invoice.state == Invoice.State.NEEDS_CHECK
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK)


    @action(detail=True, methods=["post"])
    def cancel(self, request, public_id=None):
        """取消 in freee請求書 (freee also deletes the invoice's linked 取引); the invoice re-read from freee."""
        invoice = services.invoice_cancel(invoice=self.get_object(), membership=request.membership)
        return Response(InvoiceSerializer(_invoices().get(pk=invoice.pk)).data)

    @action(detail=True, methods=["post"])
    def uncancel(self, request, public_id=None):
        """取消解除 in freee請求書; refused while the deal has another invoice that is not canceled."""
        invoice = services.invoice_uncancel(invoice=self.get_object(), membership=request.membership)
        return Response(InvoiceSerializer(_invoices().get(pk=invoice.pk)).data)


class DealObjectMixin:
    """Views under /deals/{public_id}/: the deal is looked up inside the request's tenant."""

    def get_deal(self) -> Deal:
        queryset = Deal.objects.for_tenant(self.request.tenant).select_related("deal_type", "tenant")
        return generics.get_object_or_404(queryset, public_id=self.kwargs["public_id"])


@extend_schema_view(
    get=extend_schema(parameters=[DEAL_ID], responses={200: InvoiceSerializer(many=True), 404: ERRORS[404]}),
    post=extend_schema(parameters=[DEAL_ID], request=InvoiceIssueSerializer,
                       responses={202: InvoiceSerializer, **ERRORS}),
)
class DealInvoiceListView(DealObjectMixin, generics.ListAPIView):
    """A deal's invoices (newest first); POST issues one in freee請求書 (202: the invoice and its Job)."""

    serializer_class = InvoiceSerializer
    filter_backends = [StableOrderingFilter]
    ordering_fields = ["created_at", "billing_date"]
    ordering = ["-created_at", "-id"]

    def get_permissions(self):
        return [CanIssueInvoices()] if self.request.method == "POST" else super().get_permissions()

    def get_queryset(self):
        return _invoices().for_tenant(self.request.tenant).filter(deal=self.get_deal())

    def post(self, request, public_id):
        deal = self.get_deal()
        self.check_object_permissions(request, deal)
        data = InvoiceIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_issue(deal=deal, membership=request.membership, **data.validated_data)
        invoice = _invoices().get(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(get=extend_schema(parameters=[DEAL_ID], responses={200: DealLineSerializer(many=True),
                                                                       404: ERRORS[404]}))
class DealLineListView(DealObjectMixin, generics.ListAPIView):
    """商品内訳 of a deal, in entry order (read-only)."""

    serializer_class = DealLineSerializer
    filter_backends = []

    def get_queryset(self):
        lines = DealLine.objects.for_tenant(self.request.tenant).filter(deal=self.get_deal())
        return lines.select_related("product").order_by("position", "id")


class BulkRefreshView(generics.GenericAPIView):
    """freee請求ステータス更新 for every freee-linked invoice of the tenant, as a background Job.

    GET returns {"job": the latest bulk-refresh Job or null, "summary": what it did in words, as the deal list says
    it, or ""}; POST starts one and answers 202 with the Job.
    """

    serializer_class = JobSerializer

    @extend_schema(responses={200: inline_serializer("LatestBulkRefresh", {
        "job": JobSerializer(allow_null=True),
        "summary": serializers.CharField(help_text="完了した更新の結果（更新不要だった理由を含む）。未完了・エラーでは空"),
    })})
    def get(self, request):
        job = bulk.bulk_refresh_latest(tenant=request.tenant)
        summary = bulk.bulk_refresh_summary(job) if job and job.status == job.Status.SUCCEEDED else ""
        return Response({"job": JobSerializer(job).data if job else None, "summary": summary})

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request):
        job = bulk.bulk_refresh_start(tenant=request.tenant, actor=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
