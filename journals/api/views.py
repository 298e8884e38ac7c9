"""The ledger API: masters (members read, admins write), trades (CRUD through trade_save), journal entries
(read-only, by period and account) and 振替伝票 (list, show, create). Thin: every rule lives in services."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.permissions import IsTenantAdmin, IsTenantMember
from core.api.viewsets import TenantScopedMixin, TenantScopedReadOnlyViewSet
from journals import services
from journals.api.serializers import (
    AccountItemSerializer,
    JournalEntrySerializer,
    ManualJournalSerializer,
    PaymentAddSerializer,
    PaymentCancelSerializer,
    TaxCodeSerializer,
    TradePaymentSerializer,
    TradeSerializer,
    WalletSerializer,
)
from journals.filters import JournalEntryFilter, TradeFilter
from journals.models import AccountItem, JournalEntry, JournalLine, ManualJournal, TaxCode, Trade, Wallet

ERRORS = {400: OpenApiResponse(description="入力・業務ルールのエラー（貸借不一致、決済金額超過など）"),
          403: OpenApiResponse(description="管理者のみの操作"),
          404: OpenApiResponse(description="この事業所に存在しない")}


class AdminWrites(IsTenantMember):
    """Members read; only admins write. Checked on the object for updates, so another tenant's row stays a 404."""

    message = IsTenantAdmin.message

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return view.action != "create" or request.membership.is_admin

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") or request.membership.is_admin


class MasterViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """A ledger master: members list and show; admins create and update."""

    permission_classes = [AdminWrites]
    # services.<master>_save(*, tenant, data, <instance>=...): the uniqueness rules live there
    save_service = None
    instance_argument = ""

    def perform_create(self, serializer):
        serializer.instance = self.save_service(tenant=self.request.tenant, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.save_service(tenant=self.request.tenant, data=serializer.validated_data,
                                                **{self.instance_argument: serializer.instance})


@extend_schema_view(create=extend_schema(responses={201: AccountItemSerializer, **ERRORS}),
                    update=extend_schema(responses={200: AccountItemSerializer, **ERRORS}))
class AccountItemViewSet(MasterViewSet):
    """勘定科目 with category, 相手勘定科目, default tax code and role."""

    queryset = AccountItem.objects.select_related("counterpart", "default_tax_code")
    serializer_class = AccountItemSerializer
    filterset_fields = ["category", "role", "is_active"]
    ordering_fields = ["name", "code", "category"]
    ordering = ["category", "name"]
    save_service, instance_argument = staticmethod(services.account_item_save), "item"


class TaxCodeViewSet(MasterViewSet):
    """税区分 (freee's codes)."""

    queryset = TaxCode.objects.all()
    serializer_class = TaxCodeSerializer
    filterset_fields = ["rate", "usable_for_income", "usable_for_expense", "freee_available"]
    ordering_fields = ["code", "rate"]
    ordering = ["code"]
    save_service, instance_argument = staticmethod(services.tax_code_save), "tax_code"


class WalletViewSet(MasterViewSet):
    """口座: bank accounts, cards and cash, each booked to an account item."""

    queryset = Wallet.objects.select_related("account_item")
    serializer_class = WalletSerializer
    filterset_fields = ["kind", "is_active"]
    ordering_fields = ["name", "kind"]
    ordering = ["kind", "name"]
    save_service, instance_argument = staticmethod(services.wallet_save), "wallet"


def _trade_input(data: dict, *, source_key: str) -> services.TradeInput:
    deal = data.get("deal")
    return services.TradeInput(
        kind=data["kind"], issue_date=data["issue_date"], due_date=data.get("due_date"),
        partner_name=data.get("partner_name", ""), partner_freee_id=data.get("partner_freee_id"),
        description=data.get("description", ""), deal_id=deal.pk if deal else None, source_key=source_key,
        details=tuple(services.DetailInput(**row) for row in data["details"]),
        payments=tuple(services.PaymentInput(**row) for row in data.get("payments", [])))


@extend_schema_view(create=extend_schema(responses={201: TradeSerializer, **ERRORS}),
                    update=extend_schema(responses={200: TradeSerializer, **ERRORS}),
                    destroy=extend_schema(responses={204: None, **ERRORS}))
class TradeViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """取引: create, replace (PUT: details and payments are rewritten, the id stays), delete, and 支払登録."""

    queryset = Trade.objects.select_related("counterpart", "deal").prefetch_related(
        "details__account_item", "details__tax_code", "payments__wallet")
    serializer_class = TradeSerializer
    filterset_class = TradeFilter
    ordering_fields = ["issue_date", "amount", "due_date", "created_at"]
    ordering = ["-issue_date", "-id"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        trade = services.trade_save(tenant=request.tenant, actor=request.user,
                                    trade=_trade_input(serializer.validated_data, source_key=""))
        return Response(self._out(trade), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        trade = self.get_object()
        services.trade_check_hand_made(trade)  # before the body is validated: the refusal comes first
        serializer = self.get_serializer(trade, data=request.data)
        serializer.is_valid(raise_exception=True)
        trade = services.trade_update(tenant=request.tenant, actor=request.user, trade=trade,
                                      data=_trade_input(serializer.validated_data, source_key=trade.source_key))
        return Response(self._out(trade))

    def perform_destroy(self, instance):
        services.trade_delete(tenant=self.request.tenant, trade=instance)

    @extend_schema(request=PaymentAddSerializer, responses={201: TradePaymentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def payments(self, request, public_id=None):
        """支払登録: a later 入金/出金 (clearing entry). Idempotent when the same source_key is sent again."""
        trade = self.get_object()
        serializer = PaymentAddSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.trade_payment_add(
            tenant=request.tenant, trade=trade, source_key=data.get("source_key") or f"api:{uuid.uuid4()}",
            payment=services.PaymentInput(date=data["date"], wallet=data["wallet"], amount=data["amount"]))
        return Response(TradePaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PaymentCancelSerializer, responses={204: None, **ERRORS})
    @action(detail=True, methods=["post"], url_path="payment-cancel")
    def payment_cancel(self, request, public_id=None):
        """決済の取消: remove one payment of a trade entered by hand (audited); the amount is unsettled again."""
        trade = self.get_object()
        services.trade_check_hand_made(trade)
        serializer = PaymentCancelSerializer(data=request.data, context={"trade": trade})
        serializer.is_valid(raise_exception=True)
        services.trade_payment_cancel(tenant=request.tenant, actor=request.user,
                                      payment=serializer.validated_data["payment"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _out(self, trade: Trade) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=trade.pk)).data


class JournalEntryViewSet(TenantScopedReadOnlyViewSet):
    """仕訳 (read-only): filter by period (start, end), account_item and kind."""

    queryset = JournalEntry.objects.select_related("trade", "manual_journal").prefetch_related(
        Prefetch("lines", JournalLine.objects.select_related("account_item", "tax_code").order_by("id")))
    serializer_class = JournalEntrySerializer
    filterset_class = JournalEntryFilter
    ordering_fields = ["date"]
    ordering = ["date", "id"]


@extend_schema_view(create=extend_schema(responses={201: ManualJournalSerializer, **ERRORS}))
class ManualJournalViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, viewsets.GenericViewSet):
    """振替伝票: list, show and create (debit total must equal credit total)."""

    queryset = ManualJournal.objects.prefetch_related("lines__account_item", "lines__tax_code")
    serializer_class = ManualJournalSerializer
    ordering_fields = ["issue_date", "created_at"]
    ordering = ["-issue_date", "-id"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        journal = services.manual_journal_create(
            tenant=request.tenant, actor=request.user, issue_date=data["issue_date"],
            description=data.get("description", ""),
            lines=[services.ManualLineInput(**line) for line in data["lines"]])
        return Response(self.get_serializer(self.get_queryset().get(pk=journal.pk)).data,
                        status=status.HTTP_201_CREATED)
