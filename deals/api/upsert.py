"""The upsert API by external reference (issue 17 item 6): PUT one deal, or POST up to 1,000 with an answer per item.

Both go through deals.upsert, the pipeline of the file import and the CRM connectors: the same validation, the
same 「請求書発行済みのため更新していません」 rule, a constant number of SQL statements per call.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import typed as serializers
from core.api.permissions import has_member_perm
from core.errors import ApplicationError
from deals import amounts, upsert
from deals.api.serializers import DealDetailSerializer
from deals.models import Deal, DealLine, DealType, TaxRate
from tenancy.models import Membership
from tenancy.permissions import DEAL_IMPORT

MAX_BULK = 1000
SOURCE_MAX = 64


class UpsertLineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=255, help_text="品名・摘要")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, default=Decimal(1))
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    tax_rate = serializers.ChoiceField(choices=TaxRate.choices, default=TaxRate.STANDARD_10)

    def validate_quantity(self, value):
        if value <= 0:
            raise serializers.ValidationError(gettext_lazy("数量は0より大きい値を入力してください。"))
        return value


class DealUpsertSerializer(serializers.Serializer):
    """A deal as the CRM has it. Left out: kept as they are (a new deal gets the defaults); `lines` given replaces
    the 商品内訳 as a whole. `deal_type` by name (標準 when left out), `owner` by the member's e-mail address."""

    name = serializers.CharField(max_length=200, help_text="案件名")
    deal_type = serializers.CharField(max_length=100, required=False, help_text="案件タイプ名（この事業所にあるもの）")
    stage = serializers.ChoiceField(choices=Deal.Stage.choices, required=False)
    amount = serializers.IntegerField(min_value=0, max_value=amounts.AMOUNT_MAX, required=False,
                                      help_text="金額（円・税抜）。商品内訳がある場合はその合計になります")
    expected_order_date = serializers.DateField(required=False, allow_null=True)
    expected_billing_date = serializers.DateField(required=False, allow_null=True)
    owner = serializers.EmailField(required=False, allow_null=True, help_text="担当者のメールアドレス（この事業所のメンバー）")
    partner_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    partner_freee_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    lines = UpsertLineSerializer(many=True, required=False, max_length=upsert.MAX_LINES)


class BulkItemSerializer(DealUpsertSerializer):
    external_source = serializers.RegexField(r"^[A-Za-z0-9_.\-]{1,64}$", help_text="連携元（例: salesforce）")
    external_id = serializers.CharField(max_length=255, help_text="連携元での案件ID")


class BulkSerializer(serializers.Serializer):
    deals = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=MAX_BULK,
                                  help_text=f"{MAX_BULK}件まで。各要素は external_source, external_id と案件の項目")


class DealUpsertResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_source = serializers.CharField()
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=list(upsert.OUTCOME_LABELS), help_text="created / updated / unchanged / "
                                     "skipped（請求書発行済みのため更新していません） / error")
    id = serializers.UUIDField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class DealUpsertBulkResponseSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    results = DealUpsertResultSerializer(many=True)


class _Resolver:
    """Deal type names and owner e-mails of one call, read with one query each."""

    def __init__(self, tenant, rows: list[dict]):
        names = {row["deal_type"] for row in rows if row.get("deal_type")}
        self.types = dict(DealType.objects.for_tenant(tenant).filter(name__in=names).values_list("name", "pk"))
        emails = {row["owner"].lower() for row in rows if row.get("owner")}
        members = Membership.objects.for_tenant(tenant).values("user_id")
        self.owners = dict(get_user_model().objects.filter(pk__in=members).annotate(address=Lower("email"))
                           .filter(address__in=emails).values_list("address", "pk")) if emails else {}

    def item(self, source: str, external_id: str, data: dict, ref) -> upsert.DealInput:
        fields, errors = {}, []
        for name in ("name", "stage", "amount", "expected_order_date", "expected_billing_date", "partner_name",
                     "partner_freee_id"):
            if name in data:
                fields[name] = data[name]
        if data.get("deal_type"):
            if data["deal_type"] in self.types:
                fields["deal_type_id"] = self.types[data["deal_type"]]
            else:
                errors.append(("deal_type", _("案件タイプ「%(name)s」はありません。") % {"name": data["deal_type"]}))
        if "owner" in data:
            owner = data["owner"]
            fields["owner_id"] = self.owners.get(owner.lower()) if owner else None
            if owner and fields["owner_id"] is None:
                errors.append(("owner", _("担当者「%(name)s」はこの事業所のメンバーにいません。") % {"name": owner}))
        lines = None if "lines" not in data else [upsert.LineInput(**line) for line in data["lines"]]
        return upsert.DealInput(source, external_id, fields, lines, ref=ref, errors=errors)


def _errors(outcome: upsert.Outcome) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for error in outcome.errors:
        field, message = error[-2], error[-1]
        grouped.setdefault(str(field), []).append(str(message))
    return grouped


class DealExternalUpsertView(APIView):
    """PUT /deals/external/{source}/{external_id}/: create or update one deal (and its lines) by its CRM id."""

    permission_classes = [has_member_perm(DEAL_IMPORT)]

    @extend_schema(request=DealUpsertSerializer, responses={
        200: DealDetailSerializer, 201: DealDetailSerializer,
        409: OpenApiResponse(description="請求書発行済みで未決済のため、金額・商品内訳を更新していません")})
    def put(self, request, source: str, external_id: str):
        if not 1 <= len(source) <= SOURCE_MAX or len(external_id) > 255:
            raise ApplicationError(_("連携元は64文字以内、外部IDは255文字以内で指定してください。"), code="invalid")
        serializer = DealUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = _Resolver(request.tenant, [data]).item(source, external_id, data, ref=1)
        outcome, = upsert.deals_upsert(tenant=request.tenant, actor=request.user, items=[item])
        if outcome.status == upsert.ERROR:
            raise ApplicationError(_("入力内容に誤りがあります。"), code="invalid", details=_errors(outcome))
        if outcome.status == upsert.SKIPPED:
            raise ApplicationError(_(upsert.INVOICED_MESSAGE), code="invoice_issued", http_status=409)
        deal = (Deal.objects.for_tenant(request.tenant).select_related("deal_type", "owner")
                .prefetch_related(Prefetch("lines", DealLine.objects.select_related("product")))
                .get(pk=outcome.deal_id))
        return Response(DealDetailSerializer(deal).data,
                        status=status.HTTP_201_CREATED if outcome.status == upsert.CREATED else status.HTTP_200_OK)


class DealExternalBulkUpsertView(APIView):
    """POST /deals/external/bulk/: up to 1,000 deals by CRM id; one answer per item, in the order sent."""

    permission_classes = [has_member_perm(DEAL_IMPORT)]

    @extend_schema(request=BulkSerializer, responses={200: DealUpsertBulkResponseSerializer})
    def post(self, request):
        envelope = BulkSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        rows = envelope.validated_data["deals"]
        checked = [self._check(row) for row in rows]
        resolver = _Resolver(request.tenant, [data for data, _errors in checked if data])
        items = []
        for index, (row, (data, errors)) in enumerate(zip(rows, checked, strict=True)):
            source = str(row.get("external_source", "")) if isinstance(row, dict) else ""
            external_id = str(row.get("external_id", "")) if isinstance(row, dict) else ""
            if data is None:
                items.append(upsert.DealInput(source or "-", external_id or "-", {}, ref=index, errors=errors))
            else:
                items.append(resolver.item(data["external_source"], data["external_id"], data, ref=index))
        outcomes = upsert.deals_upsert(tenant=request.tenant, actor=request.user, items=items)
        counts = dict.fromkeys(upsert.OUTCOME_LABELS, 0)
        results = []
        for index, (item, outcome) in enumerate(zip(items, outcomes, strict=True)):
            counts[outcome.status] += 1
            results.append({"index": index, "external_source": item.external_source, "external_id": item.external_id,
                            "status": outcome.status, "id": outcome.public_id, "errors": _errors(outcome)})
        return Response({"counts": counts, "results": results})

    @staticmethod
    def _check(row) -> tuple[dict | None, list]:
        serializer = BulkItemSerializer(data=row if isinstance(row, dict) else {})
        if serializer.is_valid():
            return serializer.validated_data, []
        return None, [(field, " ".join(str(m) for m in _flat(messages))) for field, messages in serializer.errors.items()]


def _flat(messages):
    if isinstance(messages, dict):
        for value in messages.values():
            yield from _flat(value)
    elif isinstance(messages, list):
        for value in messages:
            yield from _flat(value)
    else:
        yield messages
