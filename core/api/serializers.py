from django.contrib.auth import get_user_model

from core.api import typed as serializers
from core.models import ApiToken, Job
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


class TokenObtainSerializer(serializers.Serializer):
    """POST /api/v1/auth/token/: credentials, and optionally a name and an expiry for the new token."""

    username = serializers.CharField(max_length=150, write_only=True)
    password = serializers.CharField(max_length=4096, write_only=True, trim_whitespace=False,
                                     style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                 help_text="トークンの用途（一覧で区別するため）")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           help_text="有効期限（省略時はAPI_TOKEN_TTL_DAYS日後、未設定なら無期限）")
    code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="", write_only=True,
                                 help_text="2段階認証を有効にしているユーザーは必須: 認証アプリの6桁のコード、"
                                           "またはリカバリーコード")


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it in the list: never its key."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    expired = serializers.BooleanField(source="is_expired", read_only=True)
    current = serializers.SerializerMethodField(help_text="このリクエストの認証に使われたトークンか")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "expired", "current"]
        read_only_fields = fields

    def get_current(self, token) -> bool:
        request = self.context.get("request")
        return bool(request is not None and getattr(request.auth, "pk", None) == token.pk)


class IssuedTokenSerializer(ApiTokenSerializer):
    """The answer to POST /api/v1/auth/token/: the key, shown this once."""

    token = serializers.CharField(read_only=True, help_text="Authorization: Token <token> で使うキー（再表示不可）")

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]
        read_only_fields = fields
