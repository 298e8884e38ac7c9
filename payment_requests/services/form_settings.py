"""申請フォームの設定 (admins): required fields, the routes payment requests may use, and the 基本経路."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core import audit
from payment_requests.models import ApprovalFlowRoute, RequestFormSetting
from payment_requests.selectors import form_setting_for
from payment_requests.services.base import check_admin, fail
from tenancy.models import Membership, Tenant


def form_setting_save(*, tenant: Tenant, membership: Membership, required_fields: list[str],
                      usable_routes: list[ApprovalFlowRoute], default_route: ApprovalFlowRoute | None
                      ) -> RequestFormSetting:
    """申請フォームの設定: 入力の必須化, the routes usable for payment requests, and the 基本経路."""
    check_admin(tenant, membership)
    unknown = set(required_fields) - set(RequestFormSetting.REQUIRABLE_FIELDS)
    if unknown:
        raise fail(_("必須にできない項目が含まれています。"), "setting_invalid")
    if any(route.tenant_id != tenant.pk or not route.usable_for_payment_requests for route in usable_routes):
        raise fail(_("支払依頼に利用できる申請経路のみ選べます。"), "setting_invalid")
    if default_route is not None and usable_routes and default_route not in usable_routes:
        raise fail(_("基本経路は支払依頼で利用する申請経路から選んでください。"), "setting_invalid")
    setting = form_setting_for(tenant=tenant)
    before = _form_setting_snapshot(setting)
    with transaction.atomic():
        setting.required_fields, setting.default_route = list(required_fields), default_route
        setting.save()
        setting.usable_routes.set(usable_routes)
        audit.audit_record(tenant=tenant, actor=membership.user, action="payment_request.settings_update",
                           target=setting, target_label=_("申請フォームの設定"),
                           changes=audit.changes_between(before, _form_setting_snapshot(setting)))
    return setting


def _form_setting_snapshot(setting: RequestFormSetting) -> dict:
    return {"required_fields": sorted(setting.required_fields),
            "usable_routes": sorted(route.name for route in setting.usable_routes.all()),
            "default_route": setting.default_route.name if setting.default_route else None}
