"""The audit trail: `audit_record` writes one append-only AuditEntry per change a tenant must be able to trace.

    audit_record(tenant=request.tenant, actor=request.user, action=audit.FREEE_CONNECT, target=connection,
                 changes=changes_between(before, after))

Secrets never reach the trail: any changed field whose name looks like a secret is stored as "********".
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry

MASK = "********"
_SECRET_NAME = re.compile(r"secret|token|password|private_key|api_key|credential", re.IGNORECASE)

# action code -> Japanese label (apps add their codes here; unknown codes are shown as they are)
ACTIONS: dict[str, object] = {
    "freee.client_update": _("freeeアプリ設定の変更"),
    "freee.connect": _("freeeとの接続"),
    "freee.disconnect": _("freeeとの接続解除"),
    "freee.deal_types_update": _("freee連携する案件タイプの変更"),
    "tenant.settings_update": _("事業所の設定の変更"),
    "deal_type.create": _("案件タイプの作成"),
    "membership.update": _("メンバーの権限の変更"),
    "permission_profile.create": _("権限プロファイルの作成"),
    "permission_profile.update": _("権限プロファイルの変更"),
    "permission_profile.delete": _("権限プロファイルの削除"),
    "invoice_settings.update": _("請求書の設定の変更"),
    "invoice.issue": _("請求書の発行"),
    "invoice.resync": _("請求書の再連携"),
    "invoice.retry": _("請求書の再送信"),
    "deal.partner_set_from_freee": _("案件の取引先をfreeeから設定"),
    "csv.export": _("CSVの書出"),
    "ledger.settings_update": _("会計設定の変更"),
    "ledger.sync_settings_update": _("会計連携設定の変更"),
    "ledger.export": _("取引明細の書出"),
    "ledger.payment_cancel": _("決済の取消"),
    "payment_request.create": _("支払依頼の作成"),
    "payment_request.update": _("支払依頼の更新"),
    "payment_request.delete": _("支払依頼の削除"),
    "payment_request.action": _("支払依頼の操作"),
    "approval_route.create": _("申請経路の作成"),
    "approval_route.update": _("申請経路の変更"),
    "approval_route.delete": _("申請経路の削除"),
    "approval_route.import": _("申請経路の取り込み"),
    "payment_request.settings_update": _("申請フォームの設定の変更"),
    "payment_request.mirror_update": _("freee会計の支払依頼との連携の変更"),
    "payment_request.freee_users_update": _("freeeユーザーとの対応付けの変更"),
    "lineworks.tenant_link": _("LINE WORKSの事業所連携"),
    "lineworks.tenant_unlink": _("LINE WORKSの事業所連携解除"),
    "lineworks.user_link": _("LINE WORKSのID連携"),
    "lineworks.user_unlink": _("LINE WORKSのID連携解除"),
    # the account lifecycle (accounts/)
    "tenant.sign_up": _("新規登録（事業所の作成）"),
    "tenant.company_update": _("会社情報の変更"),
    "tenant.mfa_requirement_update": _("2段階認証の必須設定の変更"),
    "tenant.export": _("全データのダウンロード"),
    "invitation.create": _("メンバーの招待"),
    "invitation.resend": _("招待の再送信"),
    "invitation.revoke": _("招待の取り消し"),
    "invitation.accept": _("招待の承諾"),
    "membership.deactivate": _("メンバーの無効化"),
    "membership.reactivate": _("メンバーの再有効化"),
    "membership.remove": _("メンバーの削除"),
    "account.email_change": _("メールアドレスの変更"),
    "account.mfa_update": _("2段階認証の設定の変更"),
}


def is_secret_field(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Model):
        return str(value)
    return str(value)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [before, after]} for the fields whose value differs; secret fields masked on both sides."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old == new:
            continue
        changed[name] = [MASK, MASK] if is_secret_field(name) else [old, new]
    return changed


def snapshot(instance: Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of a model instance, ready for changes_between."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def audit_record(*, tenant, actor, action: str, target: Model | None = None, target_label: str = "",
                 changes: dict | None = None) -> AuditEntry:
    """Append one entry. Call it in the transaction of the change, so the trail and the change commit together."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        tenant=tenant, actor=actor, actor_label=actor.get_username() if actor else "",
        action=action, target_type=target._meta.label_lower if target is not None else "",
        target_id=str(getattr(target, "public_id", None) or getattr(target, "pk", "") or ""),
        target_label=(target_label or (str(target) if target is not None else ""))[:255],
        changes=changes or {},
    )


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def allow_purge_of_tenant(tenant_id: int) -> None:
    """Inside the transaction that deletes a leaving tenant: let its own audit entries be deleted (the database
    trigger refuses every other UPDATE and DELETE; migration core 0007). Ends with the transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('hub.purging_tenant', %s, true)", [str(int(tenant_id))])
