"""The Japanese messages of the ID連携 errors (seed 003) and the link settings rules."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

OTHER_TENANT = _("連携に失敗しました。freeeから事業所の切り替え操作を実施してください。LINE WORKSに連携済みの事業所に切り替え後、再度連携をお試しください。")
ALREADY_LINKED = _("連携に失敗しました。既に他のLINE WORKSにID連携されています。ID連携を解除してから再度お試しください。")
TOKEN_INVALID = _("連携に失敗しました。LINE WORKSの認証に失敗しました。LINE WORKSから一度ログアウトしてください。その後、LINE WORKSにログインし直し、再度連携をお試しください。")
OTHER = _("連携に失敗しました。時間をおいて再度LINE WORKSから連携をお試しください。")
USER_NOT_FOUND = _("LINE WORKSに該当するユーザーが見つかりません。ログインIDを確認してください。")

DOMAIN_TAKEN = _("このLINE WORKS（ドメインID: %(domain)s）は既に他の事業所と連携されています。1つのLINE WORKSに連携できる事業所は1つだけです。")
DOMAIN_ALREADY_HERE = _("このLINE WORKS（ドメインID: %(domain)s）は既にこの事業所と連携済みです。")
DOMAIN_INVALID = _("ドメインIDは数字で入力してください（LINE WORKSの管理者画面に表示される数字です。例: 40000001）。")
DOMAIN_MISMATCH = _("ドメインID %(domain)s は、入力した認証情報のLINE WORKSのものではありません（このBotが登録されているドメインID: %(found)s）。LINE WORKSの管理者画面でドメインIDを確認してください。")
DOMAIN_UNCHECKED = _("LINE WORKSに接続できなかったため、ドメインIDを確認できませんでした。時間をおいてもう一度お試しください。（%(error)s）")
DOMAIN_UNREADABLE = _("LINE WORKSからBotのドメインを読み取れませんでした。アプリのOAuth Scopesに bot が含まれているか確認してください。（%(error)s）")
BOT_NOT_FOUND = _("Bot ID %(bot)s のBotが、入力した認証情報のLINE WORKSに見つかりません。Bot IDを確認してください。")


class LinkError(ApplicationError):
    """An ID連携 failure; `case` names which of seed 003's four cases it is."""

    code = "lineworks_link_failed"

    def __init__(self, case: str):
        messages = {"other_tenant": OTHER_TENANT, "already_linked": ALREADY_LINKED, "token_invalid": TOKEN_INVALID,
                    "other": OTHER}
        super().__init__(str(messages[case]), code=case)
        self.case = case
