from django.db.models import Prefetch, prefetch_related_objects
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import StableOrderingFilter
from core.api.permissions import has_member_perm
from core.api.viewsets import TenantScopedModelViewSet, TenantScopedReadOnlyViewSet
from deals import csv_export, services
from deals.api.serializers import DealDetailSerializer, DealInputSerializer, DealSerializer, DealTypeSerializer
from deals.filters import DealFilter
from deals.models import Deal, DealLine, DealType
from tenancy.permissions import CSV_EXPORT


@extend_schema_view(
    create=extend_schema(request=DealInputSerializer, responses={201: DealDetailSerializer}),
    update=extend_schema(request=DealInputSerializer, responses=DealDetailSerializer),
    partial_update=extend_schema(request=DealInputSerializer, responses=DealDetailSerializer),
)
class DealViewSet(TenantScopedModelViewSet):
    """案件: list (filter q / deal_type / stage / freee_latest_status, ordering), show, create, update (with
    its 商品内訳 `lines`), delete."""

    queryset = Deal.objects.select_related("deal_type", "owner")
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = DealFilter  # takes the tenant from the request (its deal types)
    ordering_fields = ["name", "amount", "expected_billing_date", "updated_at"]
    ordering = ["-updated_at", "-id"]

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"}:
            return DealInputSerializer
        return DealDetailSerializer if self.action == "retrieve" else DealSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(Prefetch("lines", DealLine.objects.select_related("product")))
        return queryset

    @extend_schema(parameters=[
        OpenApiParameter("encoding", OpenApiTypes.STR, enum=list(csv_export.ENCODINGS), default="utf-8",
                         description="utf-8、utf-8-sig（Excel用BOM付き）、cp932（Shift_JIS、旧いExcel用。"
                                     "CP932にない文字は〓に置き換え）。ファイル名は deals-YYYYMMDD-utf8 / -utf8-bom / -sjis"),
        OpenApiParameter("bom", bool, description="encoding=utf-8-sig と同じ（旧い指定）。他の encoding とは併用不可"),
    ], responses={(200, "text/csv"): OpenApiTypes.BINARY, 400: OpenApiResponse(description="encoding の値が不正")},
        filters=True)
    @action(detail=False, methods=["get"], url_path="export", permission_classes=[has_member_perm(CSV_EXPORT)])
    def export(self, request):
        """CSV of the deals matching the list filters (q, deal_type, stage, freee_latest_status, ordering)."""
        encoding = csv_export.csv_encoding_from(request.query_params)
        return csv_export.deal_csv_export(self.filter_queryset(self.get_queryset()), tenant=request.tenant,
                                          actor=request.user, encoding=encoding,
                                          filters=request.query_params.urlencode())

    def create(self, request, *args, **kwargs):
        return self._save(request, Deal(owner=request.user), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        return self._save(request, self.get_object(), status.HTTP_200_OK, partial=kwargs.get("partial", False))

    def perform_destroy(self, instance):
        services.deal_delete(deal=instance, actor=self.request.user)

    def _save(self, request, deal, http_status, partial=False):
        serializer = DealInputSerializer(deal, data=request.data, partial=partial, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rows = data.pop("lines", None)
        for field, value in data.items():
            setattr(deal, field, value)
        lines, replaced = None, []
        if rows is not None:  # `lines` replaces the whole set, as the deal form does
            lines = [DealLine(**row) for row in rows]
            replaced = list(DealLine.objects.for_tenant(request.tenant).filter(deal=deal)) if deal.pk else []
        deal = services.deal_save(tenant=request.tenant, actor=request.user, deal=deal, lines=lines,
                                  deleted_lines=replaced)
        prefetch_related_objects([deal], Prefetch("lines", DealLine.objects.select_related("product")))
        return Response(DealDetailSerializer(deal).data, status=http_status)


class DealTypeViewSet(TenantScopedReadOnlyViewSet):
    """案件タイプ of the tenant."""

    queryset = DealType.objects.all()
    serializer_class = DealTypeSerializer
    pagination_class = None
