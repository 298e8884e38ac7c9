"""The Japanese messages of the ID連携 errors (seed 003) and the link settings rules."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from integrations.lineworks.errors import AuthExpired, AuthFailed, RateLimited, Transient

# seed 003's error table: the message, then what the user can do about it (対処方法).
OTHER_TENANT = _("連携に失敗しました。freeeから事業所の切り替え操作を実施してください。LINE WORKSに連携済みの事業所に切り替え後、再度連携をお試しください。")
ALREADY_LINKED = _("連携に失敗しました。既に他のLINE WORKSにID連携されています。ID連携を解除してから再度お試しください。")
TOKEN_INVALID = _("連携に失敗しました。LINE WORKSの認証に失敗しました。LINE WORKSから一度ログアウトしてください。その後、LINE WORKSにログインし直し、再度連携をお試しください。")
# 「その他の原因不明のエラー」: three wordings; 「時間をおいて…」 only where trying again later can help.
OTHER = _("連携に失敗しました。時間をおいて再度LINE WORKSから連携をお試しください。")
SUPPORT = _("連携に失敗しました。エラーが発生しました。サポートデスクまでお問い合わせください。")
CLIENT_INVALID = _("有効ではないクライアント情報です")

OTHER_TENANT_HINT = _("LINE WORKSに連携済みの事業所に切り替えた後、再度連携設定を行ってください。")
ALREADY_LINKED_HINT = _("LINE WORKSに連携済みのLINE WORKSアカウントをそのままご利用いただくか、そちらを解除してから新しく連携したいLINE WORKSアカウントで連携設定を行ってください。")
TOKEN_INVALID_HINT = _("LINE WORKSを一度ログアウトして、LINE WORKSにログインし直し、再度連携をお試しください。")
OTHER_HINT = _("他の認証情報が残っている可能性があるため、プライベートモードで連携をお試しください。それでも解決しない場合、サポートデスクまでお問い合わせください。")
CLIENT_INVALID_HINT = _("LINE WORKS側のエラーです。事業所の管理者に、LINE WORKS連携の設定（接続テスト）を確認するよう依頼してください。")

# What we know about an 「その他」 case, shown under the message so the user is not left guessing.
CAUSE_OTHER_USER = _("このリンクは別のユーザーがプロフィール画面から開始したID連携です。開始したユーザーでログインしてください。")
CAUSE_ACCOUNT_TAKEN = _("このLINE WORKSアカウントは、この事業所の別のユーザーとID連携されています。そのユーザーでID連携を解除してから、もう一度お試しください。")
CAUSE_UNLINK_OTHER_USER = _("このLINE WORKSアカウントは、ログインしているユーザーとはID連携されていません。ID連携したユーザーでログインしてください。")
CAUSE_LINEWORKS_REFUSED = _("LINE WORKSが操作を受け付けませんでした（%(error)s）。")

USER_NOT_FOUND = _("LINE WORKSに該当するユーザーが見つかりません。ログインIDを確認してください。")

DOMAIN_TAKEN = _("このLINE WORKS（ドメインID: %(domain)s）は既に他の事業所と連携されています。1つのLINE WORKSに連携できる事業所は1つだけです。")
DOMAIN_ALREADY_HERE = _("このLINE WORKS（ドメインID: %(domain)s）は既にこの事業所と連携済みです。")
DOMAIN_INVALID = _("ドメインIDは数字で入力してください（LINE WORKSの管理者画面に表示される数字です。例: 40000001）。")
DOMAIN_MISMATCH = _("ドメインID %(domain)s は、入力した認証情報のLINE WORKSのものではありません（このBotが登録されているドメインID: %(found)s）。LINE WORKSの管理者画面でドメインIDを確認してください。")
DOMAIN_UNCHECKED = _("LINE WORKSに接続できなかったため、ドメインIDを確認できませんでした。時間をおいてもう一度お試しください。（%(error)s）")
DOMAIN_UNREADABLE = _("LINE WORKSからBotのドメインを読み取れませんでした。アプリのOAuth Scopesに bot が含まれているか確認してください。（%(error)s）")
BOT_NOT_FOUND = _("Bot ID %(bot)s のBotが、入力した認証情報のLINE WORKSに見つかりません。Bot IDを確認してください。")


class LinkError(ApplicationError):
    """An ID連携 failure: `case` names the row of seed 003's error table, `hint` is that row's 対処方法, and
    `cause` (optional) says what happened when the row is 「その他」.

    Cases: other_tenant, already_linked, token_invalid (rows 1-3); other (row 4, 「時間をおいて…」: LINE WORKS
    was unreachable or busy, so later can work); error (row 4, サポートデスク: trying again cannot help);
    client_invalid (row 4, 「有効ではないクライアント情報です」: LINE WORKS refused the tenant's app)."""

    code = "lineworks_link_failed"
    ROWS = {"other_tenant": (OTHER_TENANT, OTHER_TENANT_HINT), "already_linked": (ALREADY_LINKED, ALREADY_LINKED_HINT),
            "token_invalid": (TOKEN_INVALID, TOKEN_INVALID_HINT), "other": (OTHER, OTHER_HINT),
            "error": (SUPPORT, OTHER_HINT), "client_invalid": (CLIENT_INVALID, CLIENT_INVALID_HINT)}

    def __init__(self, case: str, *, cause: str = ""):
        message, hint = self.ROWS[case]
        super().__init__(str(message), code=case)
        self.case = case
        self.hint = str(hint)
        self.cause = str(cause)

    @property
    def full_text(self) -> str:
        """For a flash message: the message, what happened, what to do."""
        return " ".join(part for part in (self.message, self.cause, self.hint) if part)


def link_error_for(error) -> LinkError:
    """The row of a failed LINE WORKS call: busy or unreachable → 「時間をおいて…」; the app refused →
    「有効ではないクライアント情報です」; anything else LINE WORKS refused → サポートデスク."""
    if isinstance(error, RateLimited | Transient | AuthExpired):
        return LinkError("other")
    if isinstance(error, AuthFailed):
        return LinkError("client_invalid")
    return LinkError("error", cause=str(CAUSE_LINEWORKS_REFUSED) % {"error": error.detail})
