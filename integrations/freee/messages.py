"""Japanese explanations of freee failures, following seed 000's FAQ: what went wrong, what to do."""

from django.utils.translation import gettext as _

from integrations.freee.errors import FreeeError, Permanent, RateLimited, ReauthorizationRequired, Transient

REQUIRED_PERMISSIONS = [
    "[会計] 勘定科目の参照",
    "[会計] 事業所の参照",
    "[会計] 見積書・納品書・請求書・領収書・発注書の参照、更新",
    "[会計] 取引先の参照、更新",
    "[freee請求書] 見積書・請求書・納品書の参照、更新",
]


def permissions_hint() -> str:
    return _("freeeのアプリ設定で次の権限が有効か確認してください: %(perms)s") % {
        "perms": "、".join(REQUIRED_PERMISSIONS)
    }


def connect_error(error: FreeeError) -> str:
    """Why connecting (code exchange) failed, and what the admin should check."""
    if error.code == "invalid_grant":
        # A wrong or expired code; with correct values, seed 000's FAQ blames the app's permissions.
        return _("認可コードが無効か、有効期限（10分）が切れています。新しい認可コードを取得して、もう一度接続してください。") + permissions_hint()
    if error.code in {"invalid_client", "unauthorized_client"}:
        return _("Client ID または Client Secret が正しくありません。freeeのアプリ設定の値を確認してください。") + permissions_hint()
    if isinstance(error, Transient):
        return _("freeeに接続できませんでした。時間をおいてもう一度お試しください。")
    return _("freeeとの接続に失敗しました（%(detail)s）。") % {"detail": error.message} + permissions_hint()


def call_error(error: FreeeError, *, invoice: bool = False) -> str:
    """A failed API call explained for the user who triggered it."""
    if isinstance(error, ReauthorizationRequired):
        return _("freeeとの接続が切れています。管理者に再接続を依頼してください。")
    if isinstance(error, RateLimited):
        return _("freeeのAPI利用上限に達しました。%(seconds)d秒ほど待ってから再度お試しください。") % {
            "seconds": max(1, int(error.retry_after))
        }
    if isinstance(error, Transient):
        return _("freeeが一時的に応答しません。しばらく待ってから再度お試しください。")
    if isinstance(error, Permanent) and error.status in {401, 403}:
        if invoice:
            return _("アプリの作成者がfreee請求書のメンバーに含まれていないか、請求書の権限がありません。freee請求書の"
                     "メンバー設定と、アプリの権限を確認してください。")
        return permissions_hint()
    if invoice and any("請求書番号" in m or "invoice_number" in m for m in error.messages):
        return _("請求書の登録に失敗しました。freee請求書の採番設定で「自動採番」をONにするか、連携設定の採番設定を"
                 "freeeに合わせてください。")
    return "、".join(error.messages) or error.message
