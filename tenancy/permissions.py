"""Member permissions a PermissionProfile can grant. Later features add their codes here."""

from django.utils.translation import gettext_lazy as _

FREEE_INVOICE_CREATE = "freee_invoice_create"
PAYMENT_REQUEST_CREATE = "payment_request_create"
LEDGER_SYNC = "ledger_sync"
CSV_EXPORT = "csv_export"
DEAL_IMPORT = "deal_import"

MEMBER_PERMISSIONS = {
    FREEE_INVOICE_CREATE: _("freee請求書の作成"),
    PAYMENT_REQUEST_CREATE: _("支払依頼の作成"),
    LEDGER_SYNC: _("会計連携の実行"),
    CSV_EXPORT: _("CSVエクスポート"),
    DEAL_IMPORT: _("案件のインポート"),
}

PERMISSION_CHOICES = list(MEMBER_PERMISSIONS.items())
