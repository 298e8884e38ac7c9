"""支払登録 (出金): an admin records that an approved request was paid, or takes the payment back.

The payment is booked as the "disbursement" document (payment_requests.ledger) through journals.sync.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from journals.models import Wallet
from journals.sync.services import document_changed
from payment_requests.ledger import DISBURSEMENT
from payment_requests.models import PaymentRequest, PaymentRequestComment
from payment_requests.services.base import Status, check_membership, fail
from tenancy.models import Membership, Tenant


def payment_request_pay(*, tenant: Tenant, payment_request: PaymentRequest, membership: Membership,
                        paid_on: dt.date, wallet: Wallet) -> PaymentRequest:
    """支払登録: an admin records that an approved request was paid on `paid_on` from `wallet`.

    Books the "disbursement" document (出金: 未払金/買掛金 against the wallet) through journals.sync, in the
    same transaction, and leaves a comment on the request as its record.
    """
    check_can_pay(tenant, payment_request, membership)
    if isinstance(paid_on, dt.datetime) or not isinstance(paid_on, dt.date):
        raise fail(_("支払日を年月日で入力してください。"), "paid_on_invalid")
    if wallet is None or wallet.tenant_id != tenant.pk:
        raise fail(_("支払口座が見つかりません。"), "wallet_not_found")
    if not wallet.is_active:
        raise fail(_("使用しない設定の口座には支払登録できません。"), "wallet_inactive")
    with transaction.atomic():
        payment_request = (PaymentRequest.objects.select_for_update(of=("self",)).select_related("tenant")
                           .get(pk=payment_request.pk))
        if payment_request.status != Status.APPROVED:
            raise fail(_("支払登録できるのは承認済みの支払依頼のみです。"), "not_approved")
        if payment_request.paid_on is not None:
            raise fail(_("この支払依頼は支払登録済みです（支払日: %(date)s）。") % {
                "date": payment_request.paid_on.strftime("%Y/%m/%d")}, "already_paid")
        payment_request.paid_on, payment_request.paid_wallet, payment_request.paid_by = paid_on, wallet, membership.user
        payment_request.save(update_fields=["paid_on", "paid_wallet", "paid_by", "updated_at"])
        _record(payment_request, membership, _("支払登録しました（支払日: %(date)s、口座: %(wallet)s、金額: %(amount)s円）。"),
                paid_on, wallet)
        _disbursement_changed(payment_request, "add", membership)
    return payment_request


def payment_request_unpay(*, tenant: Tenant, payment_request: PaymentRequest,
                          membership: Membership) -> PaymentRequest:
    """支払登録を取り消す: an admin clears the payment; the 出金 is deleted from the ledger (with 自動連携 on)."""
    check_can_pay(tenant, payment_request, membership)
    with transaction.atomic():
        payment_request = (PaymentRequest.objects.select_for_update(of=("self",))
                           .select_related("tenant", "paid_wallet").get(pk=payment_request.pk))
        if payment_request.paid_on is None:
            raise fail(_("この支払依頼は支払登録されていません。"), "not_paid")
        paid_on, wallet = payment_request.paid_on, payment_request.paid_wallet
        payment_request.paid_on, payment_request.paid_wallet, payment_request.paid_by = None, None, None
        payment_request.save(update_fields=["paid_on", "paid_wallet", "paid_by", "updated_at"])
        _record(payment_request, membership, _("支払登録を取り消しました（支払日: %(date)s、口座: %(wallet)s、金額: %(amount)s円）。"),
                paid_on, wallet)
        _disbursement_changed(payment_request, "delete", membership)
    return payment_request


def check_can_pay(tenant: Tenant, payment_request: PaymentRequest, membership: Membership | None) -> None:
    """Raise unless `membership` may register or take back the request's payment (admins of its tenant)."""
    if payment_request.tenant_id != tenant.pk:
        raise fail(_("支払依頼が見つかりません。"), "not_found", 404)
    check_membership(tenant, membership)
    if not membership.is_admin:
        raise fail(_("支払登録とその取消は管理者のみ行えます。"), "permission_denied", 403)


def _record(payment_request: PaymentRequest, membership: Membership, text: str, paid_on: dt.date,
            wallet: Wallet) -> None:
    """The payment's trace on the request: a comment by the admin (approval-flow logs are freee's actions only)."""
    comment = text % {"date": paid_on.strftime("%Y/%m/%d"), "wallet": wallet.name,
                      "amount": f"{payment_request.total_amount:,}"}
    PaymentRequestComment.objects.create(tenant=payment_request.tenant, request=payment_request,
                                         user=membership.user, comment=comment)


def _disbursement_changed(payment_request: PaymentRequest, operation: str, membership: Membership) -> None:
    document_changed(tenant=payment_request.tenant, document_type=DISBURSEMENT, document_id=payment_request.pk,
                     operation=operation,
                     actor=membership.user)
