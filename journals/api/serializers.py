"""Serializers of the ledger API: masters, trades with nested details and payments, entries, 振替伝票."""

from __future__ import annotations

from core.api import typed as serializers
from core.input_guard import BIGINT_MAX
from deals.api.serializers import TenantSlugRelatedField
from deals.models import Deal
from journals.models import (
    MAX_TRADE_DETAILS,
    AccountItem,
    JournalEntry,
    JournalLine,
    ManualJournal,
    ManualJournalLine,
    Side,
    TaxCode,
    Trade,
    TradeDetail,
    TradePayment,
    Wallet,
)

# The forms' limit (journals.forms): MAX_TRADE_DETAILS of them still sum within bigint (trade amount, journals).
MAX_AMOUNT = 10**12


class TaxCodeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = TaxCode
        fields = ["id", "code", "name", "name_ja", "rate", "reduced", "usable_for_income", "usable_for_expense",
                  "freee_available"]


class BreakdownEntrySerializer(serializers.Serializer):
    """One partner or item of 勘定科目の内訳管理, as freee's account_item.partners[] / items[]."""

    id = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="freeeの取引先ID・品目ID")
    name = serializers.CharField(max_length=255)


def _breakdown_entries(entries: list[dict]) -> list[dict]:
    ids = [entry["id"] for entry in entries]
    if len(ids) != len(set(ids)):
        raise serializers.ValidationError("同じIDが重複しています。")
    return [{"id": entry["id"], "name": entry["name"]} for entry in entries]


class AccountItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    counterpart = TenantSlugRelatedField(queryset=AccountItem.objects.all(), required=False, allow_null=True,
                                         help_text="相手勘定科目のID")
    default_tax_code = serializers.SlugRelatedField(slug_field="code", required=False, allow_null=True,
                                                    queryset=TaxCode.objects.none(), help_text="税区分コード")
    breakdown_partners = BreakdownEntrySerializer(many=True, required=False, max_length=3000,
                                                  help_text="内訳管理する取引先（支払依頼ではこの取引先のみ設定できます）")
    breakdown_items = BreakdownEntrySerializer(many=True, required=False, max_length=3000,
                                               help_text="内訳管理する品目（支払依頼ではこの品目のみ設定できます）")

    class Meta:
        model = AccountItem
        fields = ["id", "name", "shortcut", "code", "category", "account_category", "counterpart",
                  "default_tax_code", "role", "freee_id", "is_active", "breakdown_partners", "breakdown_items"]
        read_only_fields = ["freee_id"]
        validators = []  # (tenant, name) and (tenant, role) are unique: services.account_item_save checks them

    def validate_breakdown_partners(self, entries: list[dict]) -> list[dict]:
        return _breakdown_entries(entries)

    def validate_breakdown_items(self, entries: list[dict]) -> list[dict]:
        return _breakdown_entries(entries)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "tenant", None) is not None:
            fields["default_tax_code"].queryset = TaxCode.objects.for_tenant(request.tenant)
        return fields


class WalletSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    account_item = TenantSlugRelatedField(queryset=AccountItem.objects.all(), help_text="勘定科目のID")

    class Meta:
        model = Wallet
        fields = ["id", "kind", "name", "account_item", "freee_id", "is_active"]
        read_only_fields = ["freee_id"]
        validators = []  # (tenant, name) is unique: services.wallet_save checks it


class TradeDetailSerializer(serializers.ModelSerializer):
    account_item = TenantSlugRelatedField(queryset=AccountItem.objects.all(), help_text="勘定科目のID")
    tax_code = serializers.SlugRelatedField(slug_field="code", queryset=TaxCode.objects.none(),
                                            help_text="税区分コード（freeeの番号）")
    account_item_name = serializers.CharField(source="account_item.name", read_only=True)
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="税込金額（円）")

    class Meta:
        model = TradeDetail
        fields = ["account_item", "account_item_name", "tax_code", "amount", "tax_amount", "description"]
        read_only_fields = ["tax_amount"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "tenant", None) is not None:
            fields["tax_code"].queryset = TaxCode.objects.for_tenant(request.tenant)
        return fields


class TradePaymentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True, help_text="決済のID（決済の取消で指定）")
    wallet = TenantSlugRelatedField(queryset=Wallet.objects.all(), help_text="口座のID")
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT)

    class Meta:
        model = TradePayment
        fields = ["id", "date", "wallet", "amount", "source_key"]
        read_only_fields = ["source_key"]


class PaymentCancelSerializer(serializers.Serializer):
    """決済の取消: which payment of the trade (its id)."""

    payment = serializers.UUIDField(help_text="取り消す決済のID")

    def validate_payment(self, value):
        payment = self.context["trade"].payments.select_related("wallet").filter(public_id=value).first()
        if payment is None:
            raise serializers.ValidationError("この取引の決済が見つかりません。")
        return payment


class PaymentAddSerializer(TradePaymentSerializer):
    source_key = serializers.CharField(required=False, max_length=200,
                                       help_text="同じ値で再送しても決済は1件（冪等キー）")

    class Meta(TradePaymentSerializer.Meta):
        read_only_fields = []


class TradeSerializer(serializers.ModelSerializer):
    """A trade with its details and payments. On write, details and payments replace the old ones."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    deal = TenantSlugRelatedField(queryset=Deal.objects.all(), required=False, allow_null=True, help_text="案件ID")
    details = TradeDetailSerializer(many=True)
    payments = TradePaymentSerializer(many=True, required=False)
    counterpart = serializers.CharField(source="counterpart.name", read_only=True)
    unsettled_amount = serializers.IntegerField(read_only=True)

    class Meta:
        model = Trade
        fields = ["id", "kind", "issue_date", "due_date", "partner_name", "partner_freee_id", "description", "deal",
                  "source_key", "amount", "settled_amount", "unsettled_amount", "counterpart", "details", "payments",
                  "created_at", "updated_at"]
        read_only_fields = ["source_key", "amount", "settled_amount", "created_at", "updated_at"]

    def validate_details(self, value):
        if not 1 <= len(value) <= MAX_TRADE_DETAILS:
            raise serializers.ValidationError(f"取引の明細は1行以上{MAX_TRADE_DETAILS}行以内で入力してください。")
        return value


class JournalLineSerializer(serializers.ModelSerializer):
    account_item = serializers.UUIDField(source="account_item.public_id", read_only=True)
    account_item_name = serializers.CharField(source="account_item.name", read_only=True)
    tax_code = serializers.IntegerField(source="tax_code.code", read_only=True, default=None)

    class Meta:
        model = JournalLine
        fields = ["side", "account_item", "account_item_name", "tax_code", "amount", "partner_name", "description"]


class JournalEntrySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    trade = serializers.UUIDField(source="trade.public_id", read_only=True, default=None)
    manual_journal = serializers.UUIDField(source="manual_journal.public_id", read_only=True, default=None)
    lines = JournalLineSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "date", "kind", "description", "trade", "manual_journal", "lines"]


class ManualJournalLineSerializer(serializers.ModelSerializer):
    side = serializers.ChoiceField(choices=Side.choices)
    account_item = TenantSlugRelatedField(queryset=AccountItem.objects.all(), help_text="勘定科目のID")
    tax_code = serializers.SlugRelatedField(slug_field="code", queryset=TaxCode.objects.none(), required=False,
                                            allow_null=True, help_text="税区分コード")
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT)

    class Meta:
        model = ManualJournalLine
        fields = ["side", "account_item", "tax_code", "amount", "description"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "tenant", None) is not None:
            fields["tax_code"].queryset = TaxCode.objects.for_tenant(request.tenant)
        return fields


class ManualJournalSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    lines = ManualJournalLineSerializer(many=True)

    class Meta:
        model = ManualJournal
        fields = ["id", "issue_date", "description", "lines", "created_at"]
        read_only_fields = ["created_at"]
