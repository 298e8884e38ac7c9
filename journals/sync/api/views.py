"""The 会計連携 API: sync records (list with filters, 再連携, 削除, one or many), settings (admins), the manual
export (202 + Job) and the trade-lines CSV. Thin: lookups go through the request's tenant; rules live in
journals.sync.services."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import IsTenantAdmin, IsTenantMember, has_member_perm
from core.api.serializers import JobSerializer
from core.api.viewsets import TenantScopedMixin
from journals.sync import csv_export, services
from journals.sync.api.serializers import (
    BulkResultSerializer,
    ExportSerializer,
    SyncRecordIdsSerializer,
    SyncRecordSerializer,
    SyncSettingsSerializer,
    TradeLinesQuerySerializer,
)
from journals.sync.documents import groups_for_plan
from journals.sync.filters import SyncRecordFilter
from journals.sync.models import SyncRecord
from tenancy.permissions import CSV_EXPORT, LEDGER_SYNC

ERRORS = {400: OpenApiResponse(description="入力・業務ルールのエラー（期間が1年を超える など）"),
          403: OpenApiResponse(description="権限がない、またはプランの対象外"),
          404: OpenApiResponse(description="この事業所に存在しない")}
CanSync = has_member_perm(LEDGER_SYNC)


@extend_schema_view(
    resync=extend_schema(request=None, responses={200: SyncRecordSerializer, **ERRORS}),
    bulk_resync=extend_schema(request=SyncRecordIdsSerializer, responses={200: BulkResultSerializer, **ERRORS}),
    bulk_delete=extend_schema(request=SyncRecordIdsSerializer, responses={200: BulkResultSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class SyncRecordViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """API連携一覧: every sync of the tenant (filters status / operation / document_type / start / end / actor).

    Only エラー rows can be re-synced or deleted; other rows answer 400 (one) or are left out of the count (many).
    """

    queryset = SyncRecord.objects.select_related("actor", "job")
    serializer_class = SyncRecordSerializer
    filterset_class = SyncRecordFilter
    ordering_fields = ["created_at", "status", "operation", "document_label"]
    ordering = ["-created_at", "-id"]

    def get_permissions(self):
        if self.action in {"resync", "destroy", "bulk_resync", "bulk_delete"}:
            return [CanSync()]
        return [IsTenantMember()]

    @action(detail=True, methods=["post"])
    def resync(self, request, public_id=None):
        """再連携 of one error row (back to 連携待ち, queued)."""
        record = self.get_object()
        if not services.sync_records_resync(tenant=request.tenant, records=[record], actor=request.user):
            raise services.ApplicationError("再連携できるのはステータスがエラーの行のみです。", code="not_error")
        record.refresh_from_db()
        return Response(SyncRecordSerializer(record).data)

    def perform_destroy(self, instance):
        if not services.sync_records_delete(tenant=self.request.tenant, records=[instance]):
            raise services.ApplicationError("削除できるのはステータスがエラーの行のみです。", code="not_error")

    @action(detail=False, methods=["post"], url_path="bulk-resync")
    def bulk_resync(self, request):
        """再連携 of many rows by id (non-error rows are skipped)."""
        records = self._records(request)
        return Response({"count": services.sync_records_resync(tenant=request.tenant, records=records,
                                                               actor=request.user)})

    @action(detail=False, methods=["post"], url_path="bulk-delete")
    def bulk_delete(self, request):
        """削除 of many error rows by id."""
        return Response({"count": services.sync_records_delete(tenant=request.tenant, records=self._records(request))})

    def _records(self, request):
        data = SyncRecordIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return list(self.get_queryset().filter(public_id__in=data.validated_data["ids"]))


class SyncSettingsView(generics.GenericAPIView):
    """API連携設定 (admins only): GET shows it, PUT changes 自動連携 and the target."""

    serializer_class = SyncSettingsSerializer
    permission_classes = [IsTenantAdmin]

    def get(self, request):
        return Response(SyncSettingsSerializer(services.sync_settings_for(tenant=request.tenant)).data)

    @extend_schema(request=SyncSettingsSerializer, responses={200: SyncSettingsSerializer, **ERRORS})
    def put(self, request):
        current = services.sync_settings_for(tenant=request.tenant)
        data = SyncSettingsSerializer(current, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        settings = services.sync_settings_update(
            tenant=request.tenant, actor=request.user,
            auto_sync=data.validated_data.get("auto_sync", current.auto_sync),
            target=data.validated_data.get("target", current.target))
        return Response(SyncSettingsSerializer(settings).data)


class ExportView(APIView):
    """取引明細の書出 → 会計連携: POST creates the Job (202) with its progress URL."""

    permission_classes = [CanSync]

    @extend_schema(request=ExportSerializer, responses={202: JobSerializer, **ERRORS})
    def post(self, request):
        data = ExportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.export_start(tenant=request.tenant, actor=request.user, **data.validated_data)
        body = {**JobSerializer(job).data, "progress_url": reverse("api:job-detail", args=[job.public_id]),
                "progress_page": reverse("core:job_progress", args=[job.public_id])}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class TradeLinesCsvView(APIView):
    """取引明細のCSV of a period (UTF-8 with BOM or cp932), for other accounting software."""

    permission_classes = [has_member_perm(CSV_EXPORT)]

    @extend_schema(parameters=[OpenApiParameter("start", OpenApiTypes.DATE, required=True),
                               OpenApiParameter("end", OpenApiTypes.DATE, required=True),
                               OpenApiParameter("groups", OpenApiTypes.STR, many=True),
                               OpenApiParameter("closed_only", OpenApiTypes.BOOL),
                               OpenApiParameter("encoding", OpenApiTypes.STR, enum=["utf-8-sig", "cp932"])],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERRORS})
    def get(self, request):
        query = TradeLinesQuerySerializer(data={**request.query_params.dict(),
                                                "groups": request.query_params.getlist("groups")
                                                or groups_for_plan(request.tenant.plan)})
        query.is_valid(raise_exception=True)
        options = query.validated_data
        services.export_validate(tenant=request.tenant, start=options["start"], end=options["end"],
                                 groups=options["groups"])
        return csv_export.trade_lines_csv_response(tenant=request.tenant, actor=request.user, **options)
