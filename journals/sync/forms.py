"""Forms of the 会計連携 pages: API連携設定 and 取引明細の書出."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journals.sync.documents import Group, groups_for_plan
from journals.sync.models import SyncSettings, Target


class SyncSettingsForm(forms.ModelForm):
    class Meta:
        model = SyncSettings
        fields = ["auto_sync", "target"]
        widgets = {"target": forms.RadioSelect}


class ExportForm(forms.Form):
    """出力期間 (1年以内), 出力取引 (仕入・支払 only on professional and trial), 締切済のみ, 会計連携 (未連携のみ)."""

    ENCODINGS = [("utf-8-sig", _("UTF-8（BOM付き）")), ("cp932", _("Shift_JIS"))]

    start = forms.DateField(label=_("出力期間（開始日）"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("出力期間（終了日）"), widget=forms.DateInput(attrs={"type": "date"}))
    groups = forms.MultipleChoiceField(label=_("出力取引"), widget=forms.CheckboxSelectMultiple)
    closed_only = forms.BooleanField(label=_("締切済の取引のみ出力する"), required=False)
    unsynced_only = forms.BooleanField(label=_("会計連携（未連携のみ）"), required=False,
                                       help_text=_("チェックすると、会計に未連携の帳票のみを連携します。"))
    encoding = forms.ChoiceField(label=_("文字コード（CSV）"), choices=ENCODINGS, initial="utf-8-sig", required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = groups_for_plan(tenant.plan)
        self.fields["groups"].choices = [(g, label) for g, label in Group.CHOICES if g in allowed]
        self.fields["groups"].initial = [Group.SALES]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("start", today.replace(day=1))
            self.initial.setdefault("end", today)


TARGET_WARNING = _("freee会計を連携先にすると、売上の取引をfreee会計に直接登録します。freee請求書の「取引反映」も"
                   "使うと同じ売上が二重に計上されます。どちらか一方だけを使ってください。")
__all__ = ["ExportForm", "SyncSettingsForm", "TARGET_WARNING", "Target"]
