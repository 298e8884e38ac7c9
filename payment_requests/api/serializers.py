"""The payment-request API bodies, shaped like freee's /api/1/payment_requests (ids are our public ids).

Input serializers turn ids into the tenant's objects (an id of another tenant is "not found"); every
business rule lives in payment_requests.services.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.api import typed as serializers
from core.input_guard import BIGINT_MAX
from journals.models import AccountItem, TaxCode, Wallet
from payment_requests import selectors, services, validators
from payment_requests.models import (
    ApprovalFlowLog,
    ApprovalFlowRoute,
    ApprovalFlowStep,
    PaymentRequest,
    PaymentRequestApprover,
    PaymentRequestComment,
    PaymentRequestLine,
)

NOT_FOUND = _("見つかりません。")


class LineSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    account_item_id = serializers.UUIDField(source="account_item.public_id", default=None, read_only=True)
    account_item_name = serializers.CharField(source="account_item.name", default=None, read_only=True)
    tax_code = serializers.IntegerField(source="tax_code.code", default=None, read_only=True)
    tax_code_name = serializers.CharField(source="tax_code.name_ja", default=None, read_only=True)

    class Meta:
        model = PaymentRequestLine
        fields = ["id", "line_type", "description", "amount", "account_item_id", "account_item_name", "tax_code",
                  "tax_code_name", "item_id", "item_name", "freee_line_id"]
        read_only_fields = fields


class ApproverSerializer(serializers.ModelSerializer):
    step_id = serializers.UUIDField(source="step.public_id", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    user_name = serializers.CharField(source="user.username", default=None, read_only=True)

    class Meta:
        model = PaymentRequestApprover
        fields = ["step_id", "user_id", "user_name", "status", "is_force_action", "resource_type"]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    posted_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = PaymentRequestComment
        fields = ["comment", "user_id", "posted_at"]
        read_only_fields = ["user_id", "posted_at"]


class CommentInputSerializer(serializers.Serializer):
    """POST .../comments: a JSON string (an object or a number is refused, not stored as its repr); the service
    says when it is empty or too long."""

    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                    trim_whitespace=False, help_text=_("コメント（2000文字以内）"))


class LogSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    step_id = serializers.UUIDField(source="step.public_id", default=None, read_only=True)
    updated_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ApprovalFlowLog
        fields = ["action", "user_id", "step_id", "round", "updated_at"]
        read_only_fields = fields


class PaymentRequestSerializer(serializers.ModelSerializer):
    """freee's `payment_request` object (plus our mirror fields)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    applicant_id = serializers.IntegerField(read_only=True)
    approval_flow_route_id = serializers.UUIDField(source="route.public_id", read_only=True)
    current_step_id = serializers.UUIDField(source="current_step.public_id", default=None, read_only=True)
    parent_id = serializers.UUIDField(source="parent.public_id", default=None, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    payment_request_lines = LineSerializer(source="lines", many=True, read_only=True)
    approvers = ApproverSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    approval_flow_logs = LogSerializer(source="logs", many=True, read_only=True)
    paid_walletable_id = serializers.UUIDField(source="paid_wallet.public_id", default=None, read_only=True,
                                               help_text=_("支払口座のID（支払登録済みのとき）"))
    paid_by_id = serializers.IntegerField(default=None, read_only=True)

    class Meta:
        model = PaymentRequest
        fields = ["id", "application_number", "title", "application_date", "issue_date", "description",
                  "total_amount", "status", "status_label", "payment_request_lines", "applicant_id", "approvers",
                  "approval_flow_route_id", "comments", "approval_flow_logs", "current_step_id", "current_round",
                  "document_code", "receipt_ids", "payment_date", "payment_method", "partner_id", "partner_code",
                  "partner_name", *services.BANK_FIELDS, "qualified_invoice_status", "parent_id", "booked_as",
                  "mirror_state", "mirror_error", "freee_id", "freee_deal_id", "freee_deal_status",
                  "paid_on", "paid_walletable_id", "paid_by_id", "created_at", "updated_at"]
        read_only_fields = fields


class PaymentRequestListSerializer(PaymentRequestSerializer):
    """List items omit lines, comments and logs (as freee's list does)."""

    class Meta(PaymentRequestSerializer.Meta):
        fields = [f for f in PaymentRequestSerializer.Meta.fields
                  if f not in {"payment_request_lines", "comments", "approval_flow_logs", "description"}]
        read_only_fields = fields


class PaymentRequestEnvelope(serializers.Serializer):
    payment_request = PaymentRequestSerializer()


def _tenant_object(queryset, tenant, **lookup):
    obj = queryset.for_tenant(tenant).filter(**lookup).first()
    if obj is None:
        raise serializers.ValidationError(NOT_FOUND)
    return obj


class LineInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, allow_null=True)
    line_type = serializers.ChoiceField(choices=PaymentRequestLine.LineType.choices, default="deal_line")
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    amount = serializers.IntegerField()
    account_item_id = serializers.UUIDField(required=False, allow_null=True)
    tax_code = serializers.IntegerField(required=False, allow_null=True)
    item_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=BIGINT_MAX,
                                       help_text=_("品目ID（freee）。内訳管理している勘定科目では紐づけられた品目のみ"))


class PaymentRequestInputSerializer(serializers.Serializer):
    """freee's POST/PUT body: title, issue_date, payment_request_lines and draft, plus the optional fields.

    POST: an optional field left out takes its default (no approval_flow_route_id: the 基本経路). PUT: a field
    left out (or a null approval_flow_route_id) keeps the request's value."""

    title = serializers.CharField(max_length=250, allow_blank=True)
    issue_date = serializers.DateField()
    payment_request_lines = LineInputSerializer(many=True, allow_empty=True)
    draft = serializers.BooleanField()
    approval_flow_route_id = serializers.UUIDField(
        required=False, allow_null=True,
        help_text=_("申請経路ID。作成時に省略すると基本経路、更新時に省略（null）すると現在の申請経路のままです。"))
    approver_id = serializers.IntegerField(required=False, allow_null=True)
    application_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    parent_id = serializers.UUIDField(required=False, allow_null=True)
    document_code = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    receipt_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                        max_length=services.MAX_LINES)
    payment_date = serializers.DateField(required=False, allow_null=True)
    payment_method = serializers.ChoiceField(choices=PaymentRequest.PaymentMethod.choices, default="none")
    partner_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    partner_code = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    partner_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    bank_code = serializers.CharField(max_length=4, required=False, allow_blank=True, default="")
    bank_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    bank_name_kana = serializers.CharField(max_length=15, required=False, allow_blank=True, default="")
    branch_code = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    branch_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    branch_kana = serializers.CharField(max_length=15, required=False, allow_blank=True, default="")
    account_type = serializers.ChoiceField(choices=PaymentRequest.AccountType.choices, default="ordinary")
    account_number = serializers.CharField(max_length=7, required=False, allow_blank=True, default="")
    account_name = serializers.CharField(max_length=48, required=False, allow_blank=True, default="")
    qualified_invoice_status = serializers.ChoiceField(choices=PaymentRequest.QualifiedInvoiceStatus.choices,
                                                       default="unspecified")

    def validate_payment_request_lines(self, lines: list[dict]) -> list[dict]:
        return validators.checked_total(lines)

    API_NAMES = {"route": "approval_flow_route_id", "approver": "approver_id", "parent": "parent_id"}

    def omitted(self) -> frozenset[str]:
        """The input names the body leaves out (a PUT keeps their values); a null route counts as left out."""
        sent = self.initial_data if isinstance(self.initial_data, dict) else {}
        names = {name for name in services.OMITTABLE if self.API_NAMES.get(name, name) not in sent}
        if sent.get("approval_flow_route_id") is None:
            names.add("route")
        return frozenset(names)

    def to_input(self, tenant) -> services.RequestInput:
        data = dict(self.validated_data)
        lines = [self._line(tenant, line) for line in data.pop("payment_request_lines")]
        route_id, approver_id, parent_id = (data.pop("approval_flow_route_id", None), data.pop("approver_id", None),
                                            data.pop("parent_id", None))
        route = _tenant_object(ApprovalFlowRoute.objects, tenant, public_id=route_id) if route_id else None
        parent = _tenant_object(PaymentRequest.objects, tenant, public_id=parent_id) if parent_id else None
        approver = selectors.member_users(tenant).filter(pk=approver_id).first() if approver_id else None
        if approver_id and approver is None:
            raise serializers.ValidationError({"approver_id": [NOT_FOUND]})
        return services.RequestInput(lines=lines, route=route, parent=parent, approver=approver,
                                     omitted=self.omitted(), **data)

    @staticmethod
    def _line(tenant, line: dict) -> services.LineInput:
        account = line.get("account_item_id")
        code = line.get("tax_code")
        try:
            return services.LineInput(
                id=line.get("id"), line_type=line["line_type"], description=line.get("description", ""),
                amount=line["amount"], item_id=line.get("item_id"),
                account_item=_tenant_object(AccountItem.objects, tenant, public_id=account) if account else None,
                tax_code=_tenant_object(TaxCode.objects, tenant, code=code) if code is not None else None)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"payment_request_lines": error.detail}) from error


class ActionInputSerializer(serializers.Serializer):
    """freee's POST /payment_requests/{id}/actions body."""

    approval_action = serializers.ChoiceField(choices=[(a, a) for a in services.ACTIONS])
    target_step_id = serializers.UUIDField(allow_null=True, help_text=_("現在の承認ステップID（current_step_id）"))
    target_round = serializers.IntegerField(min_value=0, help_text=_("現在のラウンド（current_round）"))
    next_approver_id = serializers.IntegerField(required=False, allow_null=True)

    def to_input(self, tenant) -> services.ActionInput:
        data = self.validated_data
        next_approver = None
        if data.get("next_approver_id"):
            next_approver = get_user_model().objects.filter(pk=data["next_approver_id"],
                                                            memberships__tenant=tenant).first()
            if next_approver is None:
                raise serializers.ValidationError({"next_approver_id": [NOT_FOUND]})
        return services.ActionInput(action=data["approval_action"], target_step_id=data["target_step_id"],
                                    target_round=data["target_round"], next_approver=next_approver)


class PayInputSerializer(serializers.Serializer):
    """支払登録: POST /payment_requests/{id}/pay (admins)."""

    date = serializers.DateField(help_text=_("支払日（日本時間の年月日）"))
    walletable_id = serializers.UUIDField(help_text=_("支払口座のID（口座APIのid）"))

    def wallet(self, tenant) -> Wallet:
        return _tenant_object_field(Wallet.objects, tenant, "walletable_id",
                                    public_id=self.validated_data["walletable_id"])


def _tenant_object_field(queryset, tenant, field_name: str, **lookup):
    try:
        return _tenant_object(queryset, tenant, **lookup)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({field_name: error.detail}) from error


class StepSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    next_step_id = serializers.UUIDField(source="next_step.public_id", default=None, read_only=True)
    users_ids = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalFlowStep
        fields = ["id", "next_step_id", "resource_type", "users_ids", "freee_step_id"]
        read_only_fields = fields

    def get_users_ids(self, step) -> list[int]:
        return [user.pk for user in step.users.all()]


class RouteSerializer(serializers.ModelSerializer):
    """freee's approval_flow_route with its steps."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    first_step_id = serializers.UUIDField(source="first_step.public_id", default=None, read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalFlowRoute
        fields = ["id", "name", "description", "usages", "first_step_id", "steps", "freee_route_id"]
        read_only_fields = fields
