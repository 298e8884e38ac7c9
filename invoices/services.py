"""Issuing deals as freee請求書 invoices: one click, one invoice.

The local row is written first with a reference that also goes into the freee invoice's 社内メモ; a task
posts it after commit. When the outcome of a POST is unknown (timeout, 5xx, a worker that died), the row is
要確認 and the next attempt first searches freee for the reference: freee has no idempotency keys, so the
search is what keeps a retry from creating a second invoice.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, jobs
from core.errors import ApplicationError
from core.retry import RetryLater
from deals.models import Deal, DealLine, FreeeLatestStatus, TaxRate
from integrations.freee import endpoints, schemas
from integrations.freee import messages as freee_messages
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError, RateLimited, Transient
from integrations.freee.services import connection_for
from integrations.models import FreeeConnection
from invoices import ledger, selectors
from invoices.models import CancelStatus, Invoice, InvoiceSettings, PaymentStatus, issuing_stale_before
from journals.sync import services as ledger_sync
from tenancy.models import Membership
from tenancy.permissions import FREEE_INVOICE_CREATE

RECONCILE_PAGE = 100  # freee請求書's largest page
OPEN_STATES = (Invoice.State.PENDING, Invoice.State.ISSUING, Invoice.State.NEEDS_CHECK)
PAYMENT_TO_LATEST = {PaymentStatus.CANCELED: FreeeLatestStatus.PAYMENT_CANCELED}
# How freee (and the sandbox) word "that partner does not exist": 見つかりません / 存在しません / 削除されて…
PARTNER_MISSING = ("見つかりません", "存在し", "削除", "not found", "does not exist", "deleted")
TAX_RATES = {TaxRate.STANDARD_10: (10, False), TaxRate.REDUCED_8: (8, True), TaxRate.ZERO: (0, False)}


def invoice_settings_for(*, tenant) -> InvoiceSettings:
    settings, _created = InvoiceSettings.objects.get_or_create(tenant=tenant)
    return settings


def invoice_settings_update(*, tenant, actor, data: dict) -> InvoiceSettings:
    """Save 請求書の設定 (validated by InvoiceSettingsForm) and record what changed in the audit trail."""
    with transaction.atomic():
        settings = InvoiceSettings.objects.select_for_update().get(pk=invoice_settings_for(tenant=tenant).pk)
        before = audit.snapshot(settings, list(data))
        for name, value in data.items():
            setattr(settings, name, value)
        settings.save()
        audit.audit_record(tenant=tenant, actor=actor, action="invoice_settings.update", target=settings,
                           target_label=_("請求書の設定"),
                           changes=audit.changes_between(before, audit.snapshot(settings, list(data))))
    return settings


def can_issue(membership: Membership | None) -> bool:
    """seed 000: with permission profiles on, only holders of "freee請求書の作成"; otherwise everyone.

    Unlike Membership.has_perm, admins are no exception: seed 000 says *only* users whose profile grants it
    see 請求書作成 when the tenant uses permission profiles."""
    if membership is None or not membership.has_perm(FREEE_INVOICE_CREATE):
        return False
    if membership.is_admin and membership.tenant.uses_permission_profiles:
        profile = membership.permission_profile
        return profile is not None and FREEE_INVOICE_CREATE in profile.permissions
    return True


def needs_grant_hint(membership: Membership | None) -> bool:
    """An admin of a tenant using profiles, without 「freee請求書の作成」: the tab tells them what to assign."""
    return membership is not None and membership.is_admin and not can_issue(membership)


# --------------------------------------------------------------------------- issue


def invoice_issue(*, deal: Deal, membership: Membership, partner_id: int | None, partner_name: str,
                  invoice_number: str | None = None) -> Invoice:
    """Write the invoice row and its Job, and queue the freee POST for after commit.

    `invoice_number` is needed (and only used) when freee's numbering is manual: the customer sees it, so it is
    never made up here (the internal reference goes to the memo only)."""
    _check_can_issue(deal, membership, partner_id)
    connection = connection_for(tenant=deal.tenant)
    number = _manual_number(deal, invoice_number) if connection.invoice_numbering == MANUAL else ""
    settings = invoice_settings_for(tenant=deal.tenant)
    from invoices.tasks import invoice_push_task

    with transaction.atomic():
        Deal.objects.select_for_update().get(pk=deal.pk)  # one issue at a time per deal
        _check_no_open_invoice(deal)
        job = jobs.job_create(tenant=deal.tenant, actor=membership.user, kind="invoices.issue", total=1)
        billing = _billing_date(settings, deal)
        invoice = Invoice.objects.create(
            tenant=deal.tenant, deal=deal, reference=f"hub-{uuid.uuid4().hex[:20]}", partner_id=partner_id,
            partner_name=partner_name, subject=settings.subject_template.replace("{deal_name}", deal.name)[:255],
            billing_date=billing, payment_date=_payment_date(settings, billing), job=job,
            issued_by=membership.user, invoice_number=number,
        )
        _deal_partner_set(deal, membership.user, partner_id, partner_name)
        jobs.enqueue_on_commit(invoice_push_task, invoice.pk)
        audit.audit_record(tenant=deal.tenant, actor=membership.user, action="invoice.issue", target=invoice,
                           target_label=deal.name, changes={"partner_name": [None, partner_name]})
    return invoice


MANUAL = FreeeConnection.Numbering.MANUAL
INVOICE_NUMBER_MAX = 255


def _manual_number(deal: Deal, invoice_number: str | None) -> str:
    """The 請求書番号 the user gave for a company whose freee numbering is manual (issue 14 item 4)."""
    number = (invoice_number or "").strip()
    if not number:
        raise ApplicationError(_("freeeの請求書の採番設定が「手動採番」のため、請求書番号を入力してください。"
                                 "入力しない場合は、freee請求書で「自動採番」をONにし、連携設定の採番設定を「自動採番」に"
                                 "してください。"), code="invoice_number_required")
    if len(number) > INVOICE_NUMBER_MAX or any(ord(c) < 32 or ord(c) == 127 for c in number):
        raise ApplicationError(_("請求書番号は制御文字を含まない255文字以内で入力してください。"),
                               code="invoice_number_invalid")
    taken = Invoice.objects.for_tenant(deal.tenant).filter(invoice_number=number).exclude(state=Invoice.State.FAILED)
    if taken.exists():
        raise ApplicationError(_("請求書番号「%(number)s」はすでに使われています。別の番号を入力してください。")
                               % {"number": number}, code="invoice_number_taken")
    return number


def _deal_partner_set(deal: Deal, actor, partner_id: int, partner_name: str) -> None:
    """発行 makes the chosen freee partner the deal's 取引先 — openly: the deal's 更新日時 moves, the page says it
    came from freee, and the audit trail records the change (issue 14 item 3). Same partner: only the status."""
    current = Deal.objects.filter(pk=deal.pk).values("partner_freee_id", "partner_name").get()
    changed = (current["partner_freee_id"], current["partner_name"]) != (partner_id, partner_name)
    fields = {"freee_latest_status": FreeeLatestStatus.ISSUING}
    if changed:
        now = timezone.now()
        fields.update(partner_freee_id=partner_id, partner_name=partner_name, partner_set_from_freee_at=now,
                      updated_at=now)
    Deal.objects.filter(pk=deal.pk).update(**fields)
    if changed:
        audit.audit_record(tenant=deal.tenant, actor=actor, action="deal.partner_set_from_freee", target=deal,
                           target_label=deal.name,
                           changes={"partner_name": [current["partner_name"], partner_name],
                                    "partner_freee_id": [current["partner_freee_id"], partner_id]})


def _check_can_issue(deal: Deal, membership: Membership, partner_id: int | None) -> None:
    if not can_issue(membership):
        raise ApplicationError(_("freee請求書の作成権限がありません。管理者に権限プロファイルの設定を依頼してください。"),
                               code="permission_denied", http_status=403)
    if not deal.deal_type.linked_to_freee:
        raise ApplicationError(_("この案件タイプはfreeeと連携していません。"), code="deal_type_not_linked")
    if not partner_id:
        raise ApplicationError(_("取引先を選択してください。請求書の発行には、会計freeeに登録済みの取引先が必要です。"),
                               code="partner_required")
    if deal.amount <= 0 and not deal.lines.exists():
        raise ApplicationError(_("金額が0円の案件は請求書を発行できません。金額か商品内訳を入力してください。"),
                               code="zero_amount")


def _check_no_open_invoice(deal: Deal) -> None:
    """One click, one invoice: no new issue while an invoice of the deal is in progress or its outcome unknown."""
    open_rows = Invoice.objects.for_tenant(deal.tenant).filter(deal=deal, state__in=OPEN_STATES)
    if open_rows.filter(_outcome_unknown()).exists():
        # A POST of that row may have created a freee invoice: a new issue could make it two.
        raise ApplicationError(_("freeeに請求書が作成されたか確認できていない請求書（要確認）があります。二重発行を防ぐため、"
                                 "その請求書の「再試行」でfreeeを確認してください（作成済みならその請求書が表示されます）。"),
                               code="invoice_needs_check")
    if open_rows.exists():
        raise ApplicationError(_("この案件には処理中の請求書があります。完了してから発行してください。"),
                               code="invoice_in_progress")


def _outcome_unknown() -> Q:
    """要確認 rows, and 発行中 rows whose worker died."""
    return Q(state=Invoice.State.NEEDS_CHECK) | _stale_issuing()


def _stale_issuing() -> Q:
    """発行中 rows claimed longer ago than any task may run: their worker died (SIGKILL, OOM, time limit)."""
    return Q(state=Invoice.State.ISSUING, updated_at__lt=issuing_stale_before())


def _billing_date(settings: InvoiceSettings, deal: Deal) -> date:
    today = timezone.localdate()
    if settings.billing_date_rule == InvoiceSettings.BillingDate.DEAL and deal.expected_billing_date:
        return deal.expected_billing_date
    return today


def _payment_date(settings: InvoiceSettings, billing: date) -> date:
    if settings.payment_term == InvoiceSettings.PaymentTerm.DAYS_30:
        return billing + timedelta(days=30)
    year, month = (billing.year, billing.month)
    if settings.payment_term == InvoiceSettings.PaymentTerm.END_OF_NEXT_MONTH:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


# --------------------------------------------------------------------------- the freee side


def invoice_body(invoice: Invoice, connection: FreeeConnection) -> schemas.InvoiceCreate:
    """The freee請求書 body from the deal as it is now (lines, or one line of the deal amount at 10%)."""
    settings = invoice_settings_for(tenant=invoice.tenant)
    deal = invoice.deal
    lines = [_line(line) for line in DealLine.objects.for_tenant(invoice.tenant).filter(deal=deal)]
    if not lines:
        lines = [schemas.InvoiceLineInput(type="item", description=deal.name[:255], quantity=Decimal(1),
                                          unit_price=str(deal.amount), tax_rate=10)]
    # The internal reference goes in the memo only (reconciliation finds it there); the number the customer sees
    # is freee's own (自動採番) or the one the user typed (手動採番), never the reference.
    number = None
    if connection.invoice_numbering == FreeeConnection.Numbering.MANUAL:
        if not invoice.invoice_number:
            raise ApplicationError(_("freeeの採番設定が「手動採番」ですが、請求書番号がありません。freee請求書で「自動採番」を"
                                     "ONにするか、請求書番号を入力して発行し直してください。"), code="invoice_number_required")
        number = invoice.invoice_number
    return schemas.InvoiceCreate(
        partner_id=invoice.partner_id, partner_title=settings.partner_title, billing_date=invoice.billing_date,
        payment_date=invoice.payment_date, subject=invoice.subject, tax_entry_method=settings.tax_entry_method,
        tax_fraction=settings.tax_fraction, withholding_tax_entry_method="out", memo=invoice.reference,
        invoice_number=number, lines=lines,
    )


def _line(line: DealLine) -> schemas.InvoiceLineInput:
    rate, reduced = TAX_RATES[line.tax_rate]
    return schemas.InvoiceLineInput(
        type="item", description=line.description[:255], quantity=line.quantity, unit=line.unit or None,
        unit_price=format(line.unit_price.normalize(), "f"), tax_rate=rate, reduced_tax_rate=reduced or None,
    )


def invoice_push(*, invoice_id: int) -> None:
    """The task's work: claim the row, find or create the freee invoice, record the outcome.

    Also what the abandoned-job sweeper re-sends when a worker died mid-push: the row it left 発行中 is
    claimed again once the claim is stale, and reconciled before any POST if one may have been sent."""
    if not _claim(invoice_id):
        return
    invoice = Invoice.objects.select_related("deal", "job").get(pk=invoice_id)
    _job_running(invoice)
    unconfirmed = invoice.post_attempts > 0  # an earlier POST may have created the invoice: search first
    try:
        connection = connection_for(tenant=invoice.tenant)
        client = FreeeClient(connection)
        remote = _reconcile(client, invoice) if unconfirmed else None
        unconfirmed = False
        if remote is None:
            Invoice.objects.filter(pk=invoice.pk).update(post_attempts=F("post_attempts") + 1)
            remote = client.invoice_create(invoice_body(invoice, connection))
    except RateLimited as error:
        # freee refused without processing: nothing was created, the row simply waits.
        _set_state(invoice, Invoice.State.PENDING if not invoice.post_attempts else Invoice.State.NEEDS_CHECK,
                   freee_messages.call_error(error, invoice=True))
        raise RetryLater(error.retry_after) from error
    except Transient as error:
        _set_state(invoice, Invoice.State.NEEDS_CHECK, _("freeeの応答を確認できませんでした（要確認）。freeeに請求書が作成されたかを"
                                                         "確認してから再試行します。"))
        raise RetryLater(30) from error
    except ApplicationError as error:
        (_unconfirmed if unconfirmed else _fail)(invoice, error.message)
        return
    except FreeeError as error:
        if unconfirmed:  # the search failed, not our invoice: freee's own words, without 登録に失敗
            _unconfirmed(invoice, freee_messages.call_error(error, invoice=True))
        else:
            _fail(invoice, _rejection_message(error))
        return
    invoice_apply_remote(invoice, remote)
    _job_done(invoice)


def _claim(invoice_id: int) -> bool:
    """Take the row with one conditional UPDATE: waiting rows, and 発行中 rows whose worker died."""
    claimable = Q(state__in=[Invoice.State.PENDING, Invoice.State.NEEDS_CHECK]) | _stale_issuing()
    claimed = Invoice.objects.filter(claimable, pk=invoice_id)
    return claimed.update(state=Invoice.State.ISSUING, updated_at=timezone.now()) == 1


def _rejection_message(error: FreeeError) -> str:
    """Why freee refused the invoice; a 400 keeps the FAQ's wording (請求書の登録に失敗しました)."""
    message = invoice_error_message(error)
    prefix = _("請求書の登録に失敗しました。")
    if error.status == 400 and not partner_missing(error) and not message.startswith(prefix):
        message = prefix + message
    return message


def invoice_error_message(error: FreeeError) -> str:
    """A failed invoice call explained; a partner missing in freee says so plainly (seed 000's limits)."""
    if partner_missing(error):
        return _("選択した取引先がfreeeに見つかりません（削除された可能性があります）。freeeの取引先ページで確認し、"
                 "取引先を選び直してください。")
    return freee_messages.call_error(error, invoice=True)


def partner_missing(error: FreeeError) -> bool:
    """freee's 400/404 naming the partner as not found / nonexistent / deleted."""
    if error.status not in {400, 404}:
        return False
    return any(("取引先" in text or "partner" in text.lower()) and any(hint in text.lower() for hint in PARTNER_MISSING)
               for text in error.messages)


def _reconcile(client: FreeeClient, invoice: Invoice):
    """Search freee for an invoice carrying our reference (same partner and billing date).

    freee請求書 lists stop at limit + offset = 10,000: past that, absence is not proven and a POST could make a
    second invoice, so the search gives up with what to do instead (the row stays 要確認)."""
    offset = 0
    while offset + RECONCILE_PAGE <= endpoints.IV_LIST_MAX_ROWS:
        page = client.invoices_list(partner_ids=[invoice.partner_id], start_billing_date=invoice.billing_date,
                                    end_billing_date=invoice.billing_date, offset=offset, limit=RECONCILE_PAGE)
        for remote in page:
            if remote.memo and invoice.reference in remote.memo:
                return remote
        if len(page) < RECONCILE_PAGE:
            return None
        offset += RECONCILE_PAGE
    raise ApplicationError(
        _("freeeに同じ取引先・同じ請求日の請求書が10,000件を超えてあるため、freeeの一覧では作成済みかを確認できません。"
          "二重発行を防ぐため要確認のままにしています。freee請求書で社内メモに「%(reference)s」を含む請求書があるか"
          "確認してください。")
        % {"reference": invoice.reference}, code="reconcile_over_list_cap")


RATE_KEYS = ("10", "8", "8_reduced", "0")


def amounts_by_rate(remote) -> dict | None:
    """freee's tax-inclusive amount and tax of each rate the invoice uses; None when `remote` does not carry them
    (GET /invoices lists no per-rate amounts: the ones stored from the full invoice stay)."""
    if not hasattr(remote, "amount_including_tax_10"):
        return None
    found = {}
    for key in RATE_KEYS:
        including = getattr(remote, f"amount_including_tax_{key}", None)
        if including:
            found[key] = {"including": int(including), "tax": int(getattr(remote, f"amount_tax_{key}", None) or 0)}
    return found


def invoice_apply_remote(invoice: Invoice, remote, *, actor=None) -> None:
    """Copy freee's id, number, URL, amounts and statuses onto the row; announce what changed (events, ledger)."""
    before = ledger.snapshot(invoice)
    fields = {
        "freee_invoice_id": remote.id, "invoice_number": remote.invoice_number or "", "report_url": remote.report_url,
        "total_amount": remote.total_amount, "amount_tax": getattr(remote, "amount_tax", None),
        "sending_status": remote.sending_status or "", "payment_status": remote.payment_status or "",
        "cancel_status": remote.cancel_status or "", "deal_status": remote.deal_status or "",
        "state": Invoice.State.ISSUED, "last_error": "", "last_synced_at": timezone.now(),
    }
    by_rate = amounts_by_rate(remote)
    if by_rate is not None:
        fields["amounts_by_rate"] = by_rate
    if getattr(remote, "partner_name", None):
        fields["partner_name"] = remote.partner_name[:255]  # the partner freee actually billed, as freee names it
    if invoice.issued_at is None:
        fields["issued_at"] = timezone.now()
    if fields["payment_status"] == PaymentStatus.SETTLED and before["payment_status"] != PaymentStatus.SETTLED:
        fields["settled_on"] = timezone.localdate()
    with transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(**fields, updated_at=timezone.now())
        invoice.refresh_from_db()
        deal_latest_status_update(deal_id=invoice.deal_id)
        ledger.invoices_changed(tenant=invoice.tenant, changes=[(before, invoice)], actor=actor)


def latest_status_of(invoice: Invoice) -> str:
    """The deal-list status code of one invoice (FreeeLatestStatus)."""
    if invoice.state in (Invoice.State.PENDING, Invoice.State.ISSUING):
        return FreeeLatestStatus.ISSUING
    if invoice.state == Invoice.State.NEEDS_CHECK:
        return FreeeLatestStatus.NEEDS_CHECK
    if invoice.state == Invoice.State.FAILED:
        return FreeeLatestStatus.ISSUE_FAILED
    if invoice.cancel_status == CancelStatus.CANCELED:
        return FreeeLatestStatus.CANCELED
    if invoice.payment_status:
        return PAYMENT_TO_LATEST.get(invoice.payment_status, invoice.payment_status)
    return invoice.sending_status or FreeeLatestStatus.UNSENT


def deal_latest_status_update(*, deal_id: int) -> None:
    """freee最新請求ステータス of one deal (see deals_latest_status_update)."""
    deals_latest_status_update(deal_ids=[deal_id])


def deals_latest_status_update(*, deal_ids: Iterable[int]) -> None:
    """freee最新請求ステータス of many deals at once, a few queries whatever their number."""
    deal_ids = set(deal_ids)
    if not deal_ids:
        return
    by_deal: dict[int, list[Invoice]] = defaultdict(list)
    rows = (Invoice.objects.filter(deal_id__in=deal_ids).order_by("deal_id", "-created_at", "-id")
            .only("deal_id", "state", "cancel_status", "payment_status", "sending_status"))
    for invoice in rows:
        by_deal[invoice.deal_id].append(invoice)
    by_status: dict[str, list[int]] = defaultdict(list)
    for deal_id in deal_ids:
        by_status[_latest_status(by_deal.get(deal_id, []))].append(deal_id)
    for status, ids in by_status.items():
        Deal.objects.filter(pk__in=ids).exclude(freee_latest_status=status).update(freee_latest_status=status)


def _latest_status(invoices: list[Invoice]) -> str:
    """The newest invoice that is not canceled or failed; 取消 only when every invoice is canceled."""
    live = [i for i in invoices if i.cancel_status != CancelStatus.CANCELED and i.state != Invoice.State.FAILED]
    chosen = live[0] if live else (invoices[0] if invoices else None)
    return latest_status_of(chosen) if chosen else FreeeLatestStatus.NONE


def _set_state(invoice: Invoice, state: str, error: str) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(state=state, last_error=error, updated_at=timezone.now())
    deal_latest_status_update(deal_id=invoice.deal_id)


def _fail(invoice: Invoice, message: str) -> None:
    _set_state(invoice, Invoice.State.FAILED, message)
    if invoice.job_id:
        jobs.job_fail(job=invoice.job, error=message)


def _unconfirmed(invoice: Invoice, reason: str) -> None:
    """Reconciliation itself failed after a POST of unknown outcome: the row stays 要確認, never エラー,
    so that no new 発行 can create a second freee invoice while the first may exist."""
    message = _("freeeに請求書が作成されたかを確認できませんでした（要確認）: %(reason)s 原因を解消してから「再試行」を"
                "押してください（freeeに作成済みの場合は、二重に作成せずその請求書に紐づけます）。") % {"reason": reason}
    _set_state(invoice, Invoice.State.NEEDS_CHECK, message)
    if invoice.job_id:
        jobs.job_fail(job=invoice.job, error=message)


def _job_running(invoice: Invoice) -> None:
    if invoice.job_id and invoice.job.status == invoice.job.Status.QUEUED:
        jobs.job_claim(job_id=invoice.job_id)


def _job_done(invoice: Invoice) -> None:
    if invoice.job_id:
        invoice.job.refresh_from_db()
        jobs.job_advance(job=invoice.job, by=1 - invoice.job.done)
        jobs.job_succeed(job=invoice.job, result={"invoice_number": invoice.invoice_number})


# --------------------------------------------------------------------------- after issue


def invoice_retry(*, invoice: Invoice, membership: Membership) -> None:
    """再試行 of a 要確認, failed, or abandoned 発行中 invoice: reconcile first, POST only if freee has none for it.

    Refused (409) for a failure that the deal's later good invoice closed, and for a failure while another invoice
    of the deal is in progress: either retry could become a second freee invoice for one deal (issue 14 item 6)."""
    from invoices.tasks import invoice_push_task

    if not can_issue(membership):
        raise ApplicationError(_("freee請求書の作成権限がありません。"), code="permission_denied", http_status=403)
    with transaction.atomic():
        Deal.objects.select_for_update().get(pk=invoice.deal_id)  # the lock 発行 takes: one at a time per deal
        _check_retry_allowed(invoice)
        retryable = Q(state__in=[Invoice.State.NEEDS_CHECK, Invoice.State.FAILED]) | _stale_issuing()
        updated = Invoice.objects.filter(retryable, pk=invoice.pk).update(state=Invoice.State.NEEDS_CHECK,
                                                                          updated_at=timezone.now())
        if updated:
            jobs.enqueue_on_commit(invoice_push_task, invoice.pk)
            audit.audit_record(tenant=invoice.tenant, actor=membership.user, action="invoice.retry", target=invoice,
                               target_label=invoice.reference)


def _check_retry_allowed(invoice: Invoice) -> None:
    current = selectors.with_superseded(Invoice.objects.filter(pk=invoice.pk)).get()
    if current.is_superseded:
        raise ApplicationError(
            _("この請求書の発行エラーは、後から発行された請求書 %(number)s で解決済みのため終了しました。"
              "二重発行を防ぐため再試行できません。") % {"number": current.superseded_by_number or "-"},
            code="invoice_superseded", http_status=409)
    others_open = (Invoice.objects.for_tenant(invoice.tenant).filter(deal_id=invoice.deal_id, state__in=OPEN_STATES)
                   .exclude(pk=invoice.pk))
    if current.state == Invoice.State.FAILED and others_open.exists():
        raise ApplicationError(_("この案件には処理中の請求書があります。完了してから再試行してください。"),
                               code="invoice_in_progress", http_status=409)


@dataclass(frozen=True)
class StatusChange:
    """One value ステータス更新 copied from freee, as the user reads it: label, before → after."""

    label: str
    before: str
    after: str


REFRESH_SHOWN = ["sending_status", "payment_status", "cancel_status", "deal_status", "total_amount", "amount_tax",
                 "invoice_number", "billing_date"]


def _shown(invoice: Invoice, name: str) -> str:
    """A field of the invoice as the tab shows it (choice labels, yen with commas, Y/m/d)."""
    value = getattr(invoice, name)
    if value in (None, ""):
        return "-"
    if name in ("total_amount", "amount_tax"):
        return f"{value:,}" + _("円")
    if name == "billing_date":
        return value.strftime("%Y/%m/%d")
    choices = Invoice._meta.get_field(name).choices
    return str(dict(choices).get(value, value)) if choices else str(value)


def invoice_refresh(*, invoice: Invoice) -> list[StatusChange]:
    """ステータス更新 of one invoice: GET it from freee, copy its statuses; returns what changed ([]: nothing)."""
    if invoice.freee_invoice_id is None:
        raise ApplicationError(_("この請求書はまだfreeeに発行されていません。"), code="not_issued")
    client = FreeeClient(connection_for(tenant=invoice.tenant), max_wait=5)
    try:
        remote = client.invoice_show(invoice.freee_invoice_id)
    except FreeeError as error:
        raise ApplicationError(freee_messages.call_error(error, invoice=True), code="freee_error") from error
    before = {name: _shown(invoice, name) for name in REFRESH_SHOWN}
    invoice_apply_remote(invoice, remote)
    after = {name: _shown(invoice, name) for name in REFRESH_SHOWN}
    return [StatusChange(label=str(Invoice._meta.get_field(name).verbose_name), before=before[name], after=after[name])
            for name in REFRESH_SHOWN if before[name] != after[name]]


def invoice_resync(*, invoice: Invoice, membership: Membership) -> Invoice:
    """再連携: PUT the current deal onto the same freee invoice (never a second POST)."""
    if not can_issue(membership):
        raise ApplicationError(_("freee請求書の作成権限がありません。"), code="permission_denied", http_status=403)
    if invoice.freee_invoice_id is None:
        raise ApplicationError(_("この請求書はまだfreeeに発行されていません。"), code="not_issued")
    connection = connection_for(tenant=invoice.tenant)
    try:
        remote = FreeeClient(connection, max_wait=5).invoice_update(invoice.freee_invoice_id,
                                                                     invoice_body(invoice, connection))
    except FreeeError as error:
        raise ApplicationError(invoice_error_message(error), code="freee_error") from error
    with transaction.atomic():
        before = ledger.snapshot(invoice)
        invoice_apply_remote(invoice, remote, actor=membership.user)
        after = ledger.snapshot(invoice)
        already_queued = before["state"] != after["state"] or any(before[f] != after[f] for f in ledger.EDIT_FIELDS)
        if not already_queued and invoice.state == Invoice.State.ISSUED:
            # 再連携 is an edit of the document even when the amounts stayed the same.
            ledger_sync.document_changed(tenant=invoice.tenant, document_type=ledger.INVOICE, document_id=invoice.pk,
                                         operation="edit", actor=membership.user)
        audit.audit_record(tenant=invoice.tenant, actor=membership.user, action="invoice.resync", target=invoice,
                           target_label=invoice.invoice_number or invoice.reference,
                           changes={"total_amount": [before.get("total_amount"), after.get("total_amount")]}
                           if before.get("total_amount") != after.get("total_amount") else {})
    return invoice


# --------------------------------------------------------------------------- 取消 / 取消解除


def invoice_cancel(*, invoice: Invoice, membership: Membership) -> Invoice:
    """取消 of an issued invoice in freee請求書 (PUT /invoices/{id}/cancel), then our row follows freee.

    freee deletes the invoice's linked 取引 on cancel, so the invoice's ordinary ledger sync runs (journals decides
    what a canceled document means there). The invoice is read from freee first: a settled or already canceled
    invoice is refused with the reason, and nothing is sent."""
    client = _checked_for_cancel(invoice, membership)
    remote = _fetched(client, invoice)
    if remote.cancel_status == CancelStatus.CANCELED:
        invoice_apply_remote(invoice, remote, actor=membership.user)
        raise ApplicationError(_("この請求書はすでにfreeeで取り消されています。"), code="invoice_already_canceled",
                               http_status=409)
    if remote.payment_status == PaymentStatus.SETTLED:
        invoice_apply_remote(invoice, remote, actor=membership.user)
        raise ApplicationError(_("決済済みの請求書は取り消せません。入金を取り消す場合は、freeeで決済を取り消してから"
                                 "もう一度お試しください。"), code="invoice_settled", http_status=409)
    return _cancel_call(client, invoice, membership, cancel=True)


def invoice_uncancel(*, invoice: Invoice, membership: Membership) -> Invoice:
    """取消解除 (PUT /invoices/{id}/uncancel). Refused when the deal has another live invoice (issued after the
    cancel, or in progress): restoring this one would bill the deal twice. freee does not bring the deleted 取引
    back; the re-read statuses say so (取引登録待ち) and the ledger sync runs again."""
    client = _checked_for_cancel(invoice, membership)
    live_others = (Invoice.objects.for_tenant(invoice.tenant).filter(deal_id=invoice.deal_id)
                   .exclude(pk=invoice.pk).exclude(state=Invoice.State.FAILED)
                   .exclude(state=Invoice.State.ISSUED, cancel_status=CancelStatus.CANCELED))
    if live_others.exists():
        raise ApplicationError(_("この案件には取り消されていない別の請求書があるため、取消解除できません（二重請求になります）。"
                                 "先にその請求書を取り消してください。"), code="invoice_deal_has_live_invoice",
                               http_status=409)
    remote = _fetched(client, invoice)
    if remote.cancel_status != CancelStatus.CANCELED:
        invoice_apply_remote(invoice, remote, actor=membership.user)
        raise ApplicationError(_("この請求書は取り消されていません。"), code="invoice_not_canceled", http_status=409)
    return _cancel_call(client, invoice, membership, cancel=False)


def _checked_for_cancel(invoice: Invoice, membership: Membership) -> FreeeClient:
    if not can_issue(membership):
        raise ApplicationError(_("freee請求書の作成権限がありません。管理者に権限プロファイルの設定を依頼してください。"),
                               code="permission_denied", http_status=403)
    if invoice.state != Invoice.State.ISSUED or invoice.freee_invoice_id is None:
        raise ApplicationError(_("この請求書はまだfreeeに発行されていません。"), code="not_issued")
    return FreeeClient(connection_for(tenant=invoice.tenant), max_wait=5)


def _fetched(client: FreeeClient, invoice: Invoice):
    try:
        return client.invoice_show(invoice.freee_invoice_id)
    except FreeeError as error:
        raise ApplicationError(freee_messages.call_error(error, invoice=True), code="freee_error") from error


def _cancel_call(client: FreeeClient, invoice: Invoice, membership: Membership, *, cancel: bool) -> Invoice:
    """The PUT, then the invoice re-read (the PUT answers only id and cancel_status) and recorded with an audit
    entry. A failure of the re-read leaves freee's cancel_status on the row; the next refresh completes it."""
    try:
        (client.invoice_cancel if cancel else client.invoice_uncancel)(invoice.freee_invoice_id)
    except FreeeError as error:
        raise ApplicationError(_cancel_error_message(error, cancel=cancel), code="freee_error") from error
    before = invoice.cancel_status
    try:
        remote = client.invoice_show(invoice.freee_invoice_id)
    except FreeeError:
        remote = None
    with transaction.atomic():
        if remote is not None:
            invoice_apply_remote(invoice, remote, actor=membership.user)
        else:
            _cancel_status_set(invoice, CancelStatus.CANCELED if cancel else CancelStatus.UNCANCELED, membership)
        audit.audit_record(tenant=invoice.tenant, actor=membership.user,
                           action="invoice.cancel" if cancel else "invoice.uncancel", target=invoice,
                           target_label=invoice.invoice_number or invoice.reference,
                           changes={"cancel_status": [before, invoice.cancel_status]})
    return invoice


def _cancel_status_set(invoice: Invoice, status: str, membership: Membership) -> None:
    before = ledger.snapshot(invoice)
    Invoice.objects.filter(pk=invoice.pk).update(cancel_status=status, updated_at=timezone.now())
    invoice.refresh_from_db()
    deal_latest_status_update(deal_id=invoice.deal_id)
    ledger.invoices_changed(tenant=invoice.tenant, changes=[(before, invoice)], actor=membership.user)


def _cancel_error_message(error: FreeeError, *, cancel: bool) -> str:
    """freee's refusal of a cancel / uncancel, translated into what to do."""
    if error.status == 400:
        reason = "、".join(error.messages) or error.message
        if cancel:
            return _("freeeが請求書の取消を受け付けませんでした（%(reason)s）。freee請求書で請求書の状態を確認し、"
                     "「ステータス更新」で最新にしてからもう一度お試しください。") % {"reason": reason}
        return _("freeeが請求書の取消解除を受け付けませんでした（%(reason)s）。freee請求書で請求書の状態を確認し、"
                 "「ステータス更新」で最新にしてからもう一度お試しください。") % {"reason": reason}
    return invoice_error_message(error)
