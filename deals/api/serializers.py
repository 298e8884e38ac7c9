from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.api import typed as serializers
from deals import amounts
from deals.models import Deal, DealLine, DealType, Product

MAX_LINES = 100  # as the deal form's formset (max_num)


class TenantSlugRelatedField(serializers.SlugRelatedField):
    """A related object chosen by public id, looked up only inside the request's tenant."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.context["request"].tenant)


class DealTypeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = DealType
        fields = ["id", "name", "linked_to_freee"]


class DealLineSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    product = serializers.CharField(source="product.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = DealLine
        fields = ["id", "product", "description", "quantity", "unit", "unit_price", "tax_rate"]


class DealLineInputSerializer(serializers.ModelSerializer):
    """One 商品内訳 line as a client writes it; the product is chosen by its public id inside the tenant."""

    product = TenantSlugRelatedField(queryset=Product.objects.all(), required=False, allow_null=True, default=None)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, default=Decimal(1))

    class Meta:
        model = DealLine
        fields = ["product", "description", "quantity", "unit", "unit_price", "tax_rate"]

    def validate_quantity(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError(_("数量は0より大きい値を入力してください。"))
        return value


class DealSerializer(serializers.ModelSerializer):
    """A deal as the API shows it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    deal_type = DealTypeSerializer(read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True, read_only=True)
    freee_latest_status = serializers.CharField(
        read_only=True, help_text="freee最新請求ステータスのコード（未発行は空文字。一覧の絞り込みでは none）")
    freee_latest_status_label = serializers.CharField(source="latest_status_label", read_only=True,
                                                      help_text="freee最新請求ステータス（日本語）")

    class Meta:
        model = Deal
        fields = ["id", "name", "deal_type", "stage", "amount", "expected_order_date", "expected_billing_date",
                  "owner", "partner_freee_id", "partner_name", "freee_latest_status", "freee_latest_status_label",
                  "external_source", "external_id", "created_at", "updated_at"]
        read_only_fields = ["external_source", "external_id"]


class DealDetailSerializer(DealSerializer):
    lines = DealLineSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "lines"]


class DealInputSerializer(serializers.ModelSerializer):
    """What a client may write: the CRM fields (the partner is chosen from freee on the invoice tab), and
    optionally `lines`, which replaces the deal's 商品内訳 as a whole (left out: the lines stay as they are)."""

    deal_type = TenantSlugRelatedField(queryset=DealType.objects.all())
    lines = DealLineInputSerializer(many=True, required=False, max_length=MAX_LINES,
                                    help_text="商品内訳（指定すると全行を置き換えます。省略時は変更しません）")

    class Meta:
        model = Deal
        fields = ["name", "deal_type", "stage", "amount", "expected_order_date", "expected_billing_date", "lines"]
        extra_kwargs = {"amount": {"help_text": "金額（円・税抜、999,999,999,999円まで）。商品内訳がある案件では無視され、"
                                                "商品内訳の合計（税抜）になります",
                                   "max_value": amounts.AMOUNT_MAX,
                                   "error_messages": {"max_value": amounts.AMOUNT_LIMIT_MESSAGE}}}
