from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.audit import action_label

register = template.Library()


@register.filter
def audit_action_label(code: str) -> str:
    """The Japanese (or translated) label of an audit action code."""
    return action_label(code)


# The 設定 menu (templates/tenancy/_settings_nav.html): groups of (label, URL name), in the order shown.
SETTINGS_GROUPS: list[tuple[str, object, list[tuple[object, str]]]] = [
    ("basic", _("基本"), [(_("事業所の設定"), "tenancy:settings"), (_("会社情報"), "tenancy:company"),
                          (_("メンバー"), "tenancy:membership_list"), (_("メンバー招待"), "accounts:invitation_list"),
                          (_("権限プロファイル"), "tenancy:permission_profile_list"), (_("案件タイプ"), "deals:type_list"),
                          (_("退会・全データのダウンロード"), "accounts:leave")]),
    ("books", _("請求・会計"), [(_("請求書の設定"), "invoices:settings"),
                                (_("申請経路・支払依頼フォーム"), "payment_requests:settings"),
                                (_("会計設定"), "journals:settings"), (_("会計連携設定"), "journal_sync:settings")]),
    ("services", _("外部サービス連携"), [(_("会計freee"), "integrations:freee_settings"),
                                         (_("LINE WORKS連携"), "notifications:link_list")]),
    ("logs", _("履歴・ログ"), [(_("通知の配信ログ"), "notifications:delivery_list"),
                               (_("API呼び出しログ"), "integrations:api_call_log"), (_("ジョブ"), "core:job_list"),
                               (_("監査ログ"), "core:audit_list")]),
]
SANDBOX_GROUP = ("sandbox", _("サンドボックス"), [(_("freeeサンドボックス"), "sandbox:console"),
                                                   (_("LINE WORKSサンドボックス"), "sandbox:console-lineworks")])


@dataclass
class NavLink:
    label: str
    url: str
    current: bool = False


@dataclass
class NavGroup:
    key: str
    title: str
    links: list[NavLink]


@register.simple_tag(takes_context=True)
def settings_nav_groups(context) -> dict:
    """The 設定 menu's groups, with the link of the page being shown marked current: the link whose URL is the
    longest prefix of the request path (so 「メンバー」 stays current on a member's edit page)."""
    groups = SETTINGS_GROUPS + ([SANDBOX_GROUP] if settings.SANDBOX_ENABLED else [])
    built = [NavGroup(key, str(title), [NavLink(str(label), reverse(name)) for label, name in links])
             for key, title, links in groups]
    path = context["request"].path
    matching = [link for group in built for link in group.links if path.startswith(link.url)]
    current = max(matching, key=lambda link: len(link.url), default=None)
    if current:
        current.current = True
    return {"groups": built, "current": current}
