"""Console forms of the freee sandbox."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.utils import timezone

from core.input_guard import BIGINT_MAX
from integrations.sandbox.models import SandboxCompany
from integrations.sandbox.services import OOB_REDIRECT_URI


class AppCreateForm(forms.Form):
    """Register a new sandbox app."""

    name = forms.CharField(label="アプリ名", max_length=200, initial="CRM-会計連携ハブ（開発）")


class RedirectUrisForm(forms.Form):
    """An app's コールバックURL: one per line, each an absolute http(s) URL without fragment, or the OOB URI."""

    redirect_uris = forms.CharField(
        label="コールバックURL", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
        help_text="1行に1つ入力してください。認可リクエストのredirect_uriは、このいずれかと完全に一致する必要があります。")

    def clean_redirect_uris(self) -> list[str]:
        uris = [line.strip() for line in self.cleaned_data["redirect_uris"].splitlines() if line.strip()]
        for uri in uris:
            parts = urlsplit(uri)
            if uri != OOB_REDIRECT_URI and (parts.scheme not in ("http", "https") or not parts.netloc
                                            or parts.fragment or len(uri) > 1000):
                raise forms.ValidationError(f"「{uri}」は有効なURIではありません（http(s)の絶対URL、"
                                            f"または {OOB_REDIRECT_URI}）。")
        if not uris:
            raise forms.ValidationError("コールバックURLを1つ以上入力してください。")
        return list(dict.fromkeys(uris))


class CompanyCreateForm(forms.Form):
    """Add a 事業所 to an app."""

    name = forms.CharField(label="事業所名", max_length=200, initial="サンドボックス株式会社")


class CompanySettingsForm(forms.ModelForm):
    """Plan, 採番設定 and freee請求書 membership of a company."""

    class Meta:
        model = SandboxCompany
        fields = ["plan", "invoice_auto_numbering", "invoice_member_ok"]


# Bounds of the fault switches: a sleep of 10**30 ms or a count beyond bigint is a 500, not a fault.
MAX_LATENCY_MS = 60_000
MAX_COUNT = 10_000


class FaultsForm(forms.Form):
    """Every fault switch; 0 or empty turns a switch off."""

    latency_ms = forms.IntegerField(label="応答遅延（ミリ秒）", min_value=0, max_value=MAX_LATENCY_MS, required=False)
    rate_limit_429 = forms.IntegerField(label="次のN回を429にする", min_value=0, max_value=MAX_COUNT, required=False)
    lockout_minutes = forms.IntegerField(label="アクセス制限（403）を続ける分数", min_value=0, max_value=24 * 60,
                                         required=False)
    server_error_5xx = forms.IntegerField(label="次のN回をサーバーエラーにする", min_value=0, max_value=MAX_COUNT,
                                          required=False)
    server_error_status = forms.TypedChoiceField(label="サーバーエラーのステータス", coerce=int,
                                                 choices=[(500, "500"), (503, "503")], initial=500)
    timeout_after_create = forms.FloatField(
        label="請求書作成後に待つ秒数（次の1回）", min_value=0, max_value=600, required=False,
        help_text="請求書は作成されますが、応答が遅れるためクライアントはタイムアウトします。")
    malformed_body = forms.IntegerField(label="次のN回を壊れた応答にする", min_value=0, max_value=MAX_COUNT,
                                        required=False)

    def switches(self) -> dict:
        """The keyword arguments of sandbox_faults_set."""
        data = self.cleaned_data
        minutes = data.get("lockout_minutes") or 0
        errors = data.get("server_error_5xx") or 0
        return {
            "latency_ms": data.get("latency_ms") or None,
            "rate_limit_429": data.get("rate_limit_429") or None,
            "lockout_until": (timezone.now() + timedelta(minutes=minutes)).isoformat() if minutes else None,
            "server_error_5xx": {"count": errors, "status": data["server_error_status"]} if errors else None,
            "timeout_after_create": data.get("timeout_after_create") or None,
            "malformed_body": data.get("malformed_body") or None,
        }


class InvoiceStatusForm(forms.Form):
    """A status button on an invoice row."""

    invoice_id = forms.IntegerField(min_value=1, max_value=BIGINT_MAX)
    field = forms.ChoiceField(choices=[("payment_status", "payment_status"), ("sending_status", "sending_status")])
    value = forms.CharField(max_length=20)
