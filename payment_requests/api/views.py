"""The payment-request API, shaped like freee's: create, update (PUT), delete, actions; plus list, show,
comments, the freee mirror's retry and refresh, and the routes. Thin: every rule is in services."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import TenantScopedMixin, TenantScopedReadOnlyViewSet
from payment_requests import mirror, services
from payment_requests.api.serializers import (
    ActionInputSerializer,
    CommentInputSerializer,
    PayInputSerializer,
    PaymentRequestEnvelope,
    PaymentRequestInputSerializer,
    PaymentRequestListSerializer,
    PaymentRequestSerializer,
    RouteSerializer,
)
from payment_requests.filters import PaymentRequestFilter
from payment_requests.models import ApprovalFlowRoute, ApprovalFlowStep, PaymentRequest


class PlanAvailableMixin:
    """Every 支払依頼 endpoint answers seed 004's plan explanation (403) when the tenant's freee plan lacks it."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        services.check_plan(request.tenant)


ERRORS = {
    400: OpenApiResponse(description="入力・業務ルールのエラー（seed 004 の各ルール。error.message に理由）"),
    403: OpenApiResponse(description="この操作を行う権限がない、またはfreeeのプランが支払依頼に対応していない"),
    404: OpenApiResponse(description="この事業所に存在しない"),
    409: OpenApiResponse(description="target_step_id / target_round が現在の承認ステップ・ラウンドと一致しない"),
}

PAY_ERRORS = {code: ERRORS[code] for code in (400, 403, 404)}


def _requests():
    return PaymentRequest.objects.select_related("route", "current_step", "parent", "paid_wallet").prefetch_related(
        "lines__account_item", "lines__tax_code", "approvers__step", "approvers__user", "comments", "logs__step")


def _envelope(request_obj, http_status=status.HTTP_200_OK) -> Response:
    fresh = _requests().get(pk=request_obj.pk)
    return Response({"payment_request": PaymentRequestSerializer(fresh).data}, status=http_status)


@extend_schema_view(
    create=extend_schema(request=PaymentRequestInputSerializer, responses={201: PaymentRequestEnvelope, **ERRORS}),
    update=extend_schema(request=PaymentRequestInputSerializer, responses={200: PaymentRequestEnvelope, **ERRORS}),
    retrieve=extend_schema(responses={200: PaymentRequestEnvelope, 404: ERRORS[404]}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
    actions=extend_schema(request=ActionInputSerializer, responses={201: PaymentRequestEnvelope, **ERRORS}),
    comments=extend_schema(request=CommentInputSerializer, responses={201: PaymentRequestEnvelope, **ERRORS}),
    mirror_retry=extend_schema(request=None, responses={202: PaymentRequestEnvelope, **ERRORS}),
    refresh=extend_schema(request=None, responses={200: PaymentRequestEnvelope, **ERRORS}),
)
class PaymentRequestViewSet(PlanAvailableMixin, TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """支払依頼: list (filters of freee's list), show, create, PUT, DELETE and POST .../actions."""

    queryset = _requests()
    filterset_class = PaymentRequestFilter
    ordering_fields = ["application_date", "issue_date", "total_amount", "application_number", "created_at"]
    ordering = ["-application_date", "-id"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_serializer_class(self):
        return PaymentRequestListSerializer if self.action == "list" else PaymentRequestSerializer

    def retrieve(self, request, *args, **kwargs):
        return _envelope(self.get_object())

    def create(self, request):
        body = PaymentRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.payment_request_create(tenant=request.tenant, membership=request.membership,
                                                  data=body.to_input(request.tenant))
        return _envelope(created, status.HTTP_201_CREATED)

    def update(self, request, public_id=None):
        target = self.get_object()
        body = PaymentRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.payment_request_update(payment_request=target, membership=request.membership,
                                                  data=body.to_input(request.tenant))
        return _envelope(updated)

    def destroy(self, request, public_id=None):
        services.payment_request_delete(payment_request=self.get_object(), membership=request.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def actions(self, request, public_id=None):
        """approve / force_approve / cancel / reject / feedback / force_feedback, quoting the current step and round."""
        target = self.get_object()
        body = ActionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        acted = services.payment_request_act(payment_request=target, membership=request.membership,
                                             data=body.to_input(request.tenant))
        return _envelope(acted, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def comments(self, request, public_id=None):
        """Add a comment."""
        target = self.get_object()
        body = CommentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.payment_request_comment(payment_request=target, membership=request.membership,
                                          comment=body.validated_data["comment"])
        return _envelope(target, status.HTTP_201_CREATED)

    @extend_schema(methods=["POST"], request=PayInputSerializer, responses={200: PaymentRequestEnvelope, **PAY_ERRORS},
                   summary="支払登録（管理者）", operation_id="payment_requests_pay")
    @extend_schema(methods=["DELETE"], request=None, responses={200: PaymentRequestEnvelope, **PAY_ERRORS},
                   summary="支払登録の取消（管理者）", operation_id="payment_requests_unpay")
    @action(detail=True, methods=["post", "delete"])
    def pay(self, request, public_id=None):
        """支払登録 (POST: date, walletable_id) or its 取消 (DELETE); admins only; booked as 出金 with 自動連携 on."""
        target = self.get_object()
        if request.method == "DELETE":
            return _envelope(services.payment_request_unpay(tenant=request.tenant, payment_request=target,
                                                            membership=request.membership))
        services.check_can_pay(request.tenant, target, request.membership)
        body = PayInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        paid = services.payment_request_pay(tenant=request.tenant, payment_request=target,
                                            membership=request.membership, paid_on=body.validated_data["date"],
                                            wallet=body.wallet(request.tenant))
        return _envelope(paid)

    @action(detail=True, methods=["post"], url_path="mirror-retry")
    def mirror_retry(self, request, public_id=None):
        """再試行 of a failed freee mirror call (reconciles a create first)."""
        target = self.get_object()
        mirror.mirror_retry(payment_request=target, membership=request.membership)
        return _envelope(target, status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def refresh(self, request, public_id=None):
        """ステータス更新 from freee (mirrored requests)."""
        return _envelope(mirror.mirror_pull_one(payment_request=self.get_object()))


class ApprovalFlowRouteViewSet(PlanAvailableMixin, TenantScopedReadOnlyViewSet):
    """申請経路 with their steps (freee's approval_flow_routes)."""

    queryset = ApprovalFlowRoute.objects.select_related("first_step").prefetch_related(
        Prefetch("steps", queryset=ApprovalFlowStep.objects.select_related("next_step").prefetch_related("users")))
    serializer_class = RouteSerializer
    filterset_fields = []
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]
