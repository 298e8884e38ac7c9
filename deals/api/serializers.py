from rest_framework import serializers

from deals.models import Deal, DealLine, DealType


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


class DealSerializer(serializers.ModelSerializer):
    """A deal as the API shows it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    deal_type = DealTypeSerializer(read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Deal
        fields = ["id", "name", "deal_type", "stage", "amount", "expected_order_date", "expected_billing_date",
                  "owner", "partner_freee_id", "partner_name", "created_at", "updated_at"]


class DealDetailSerializer(DealSerializer):
    lines = DealLineSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "lines"]


class DealInputSerializer(serializers.ModelSerializer):
    """What a client may write: the CRM fields (the partner is chosen from freee on the invoice tab)."""

    deal_type = TenantSlugRelatedField(queryset=DealType.objects.all())

    class Meta:
        model = Deal
        fields = ["name", "deal_type", "stage", "amount", "expected_order_date", "expected_billing_date"]
