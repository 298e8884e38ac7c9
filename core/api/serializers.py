from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.models import Job
from tenancy.models import Membership


class TenantSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="tenant.public_id")
    name = serializers.CharField(source="tenant.name")
    plan = serializers.CharField(source="tenant.plan")
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MeSerializer(serializers.ModelSerializer):
    current_tenant = serializers.SerializerMethodField()
    tenants = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["username", "email", "current_tenant", "tenants"]

    def get_current_tenant(self, user) -> dict:
        return TenantSummarySerializer(self.context["request"].membership).data

    def get_tenants(self, user) -> list[dict]:
        return TenantSummarySerializer(self.context["memberships"], many=True).data


class JobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind_label = serializers.CharField(read_only=True, help_text="The kind in the request's language (kind when unlabelled)")
    percent = serializers.IntegerField(read_only=True)
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Job
        fields = ["id", "kind", "kind_label", "status", "done", "total", "percent", "error", "result", "actor",
                  "created_at", "started_at", "finished_at"]
        read_only_fields = fields
