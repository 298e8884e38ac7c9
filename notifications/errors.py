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


class LinkError(ApplicationError):
    """An ID連携 failure; `case` names which of seed 003's four cases it is."""

    code = "lineworks_link_failed"

    def __init__(self, case: str):
        messages = {"other_tenant": OTHER_TENANT, "already_linked": ALREADY_LINKED, "token_invalid": TOKEN_INVALID,
                    "other": OTHER}
        super().__init__(str(messages[case]), code=case)
        self.case = case
