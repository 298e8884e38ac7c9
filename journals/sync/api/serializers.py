"""会計連携 as the API shows it, and what clients send (separate input serializers)."""

from django.utils.translation import gettext_lazy as _

from core.api import typed as serializers
from journals.sync.documents import Group
from journals.sync.models import SyncRecord, SyncSettings, Target


class SyncRecordSerializer(serializers.ModelSerializer):
    """One row of API連携一覧 / API連携履歴."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    document_id = serializers.UUIDField(source="document_public_id", read_only=True, allow_null=True)
    operation_label = serializers.CharField(source="get_operation_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    actor = serializers.CharField(source="actor.username", default=None, read_only=True, allow_null=True)
    job = serializers.UUIDField(source="job.public_id", default=None, read_only=True, allow_null=True)

    class Meta:
        model = SyncRecord
        fields = ["id", "document_type", "document_id", "document_label", "document_date", "document_amount",
                  "operation", "operation_label", "status", "status_label", "actor", "target", "trade_id",
                  "freee_deal_id", "error_message", "note", "attempts", "job", "created_at", "started_at",
                  "finished_at"]
        read_only_fields = fields


class SyncRecordIdsSerializer(serializers.Serializer):
    """再連携 / 削除 of many rows at once (only error rows are touched)."""

    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=1000, label=_("連携履歴ID"))


class BulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="処理した件数（エラー以外の行は数えない）")


class SyncSettingsSerializer(serializers.ModelSerializer):
    """API連携設定: 自動連携 and the target (builtin | freee)."""

    warning = serializers.SerializerMethodField()

    class Meta:
        model = SyncSettings
        fields = ["auto_sync", "target", "auto_sync_since", "warning"]
        read_only_fields = ["auto_sync_since", "warning"]

    def get_warning(self, obj) -> str:
        from journals.sync.forms import TARGET_WARNING

        return str(TARGET_WARNING) if obj.target == Target.FREEE else ""


class ExportSerializer(serializers.Serializer):
    """取引明細の書出: 出力期間 (1年以内), 出力取引, 締切済のみ, 会計連携 (未連携のみ)."""

    start = serializers.DateField(label=_("出力期間（開始日）"))
    end = serializers.DateField(label=_("出力期間（終了日）"))
    groups = serializers.ListField(child=serializers.ChoiceField(choices=Group.CHOICES), default=[Group.SALES],
                                   label=_("出力取引"))
    closed_only = serializers.BooleanField(default=False, label=_("締切済の取引のみ出力する"))
    unsynced_only = serializers.BooleanField(default=False, label=_("会計連携（未連携のみ）"))


class TradeLinesQuerySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    groups = serializers.ListField(child=serializers.ChoiceField(choices=Group.CHOICES), required=False)
    closed_only = serializers.BooleanField(default=False)
    encoding = serializers.ChoiceField(choices=["utf-8-sig", "cp932"], default="utf-8-sig")
