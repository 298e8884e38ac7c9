"""Domain events: how apps announce what happened without importing the notifications app.

    from core import events
    events.emit(tenant=deal.tenant, kind=events.INVOICE_ISSUED, recipients=[deal.owner_id],
                key=f"invoice.issued:{invoice.public_id}", payload={...})

`emit` inserts a core.Event row in the caller's transaction (so the event is committed together with the
change, or not at all) and sends `event_emitted` after commit. The notifications app listens to the signal
and also sweeps rows whose `dispatched_at` is still empty, so a crash between commit and the signal loses
nothing. Recipients are user ids; the emitter knows who should hear about its event.

Payload convention (every kind): "title" (short Japanese heading), "text" (one or two Japanese sentences),
"url" (a path in this app, e.g. "/deals/<uuid>/"), plus kind-specific keys documented next to each kind.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from core.models import Event

# Sent after commit with kwargs event_id (int). Receivers must be idempotent (the sweeper may resend).
event_emitted = Signal()

# Invoices (recipients: the deal's owner). Payload adds "invoice_id" (public id), "deal_id" (public id).
INVOICE_ISSUED = "invoice.issued"
INVOICE_SETTLED = "invoice.settled"  # 決済済み
INVOICE_PAYMENT_FAILED = "invoice.payment_failed"  # 決済失敗
INVOICE_CANCELED = "invoice.canceled"  # 取消
# Admins of the tenant.
LEDGER_SYNC_FAILED = "ledger.sync_failed"  # payload adds "sync_id" (public id of the sync record)
FREEE_REAUTH_REQUIRED = "freee.reauth_required"
# Payment requests. Payload adds "request_id" (public id), "step_id", "round" for the approver kinds.
PAYMENT_REQUEST_SUBMITTED = "payment_request.submitted"  # -> approvers of the current step
PAYMENT_REQUEST_NEXT_STEP = "payment_request.next_step"  # -> approvers of the new current step
PAYMENT_REQUEST_APPROVED = "payment_request.approved"  # -> applicant
PAYMENT_REQUEST_REJECTED = "payment_request.rejected"  # -> applicant
PAYMENT_REQUEST_FEEDBACK = "payment_request.feedback"  # 差戻し -> applicant

KINDS = {
    INVOICE_ISSUED: "請求書の発行",
    INVOICE_SETTLED: "請求書の決済完了",
    INVOICE_PAYMENT_FAILED: "請求書の決済失敗",
    INVOICE_CANCELED: "請求書の取消",
    LEDGER_SYNC_FAILED: "会計連携のエラー",
    FREEE_REAUTH_REQUIRED: "freeeの再接続が必要",
    PAYMENT_REQUEST_SUBMITTED: "支払依頼の承認依頼",
    PAYMENT_REQUEST_NEXT_STEP: "支払依頼の承認依頼（次のステップ）",
    PAYMENT_REQUEST_APPROVED: "支払依頼の承認",
    PAYMENT_REQUEST_REJECTED: "支払依頼の却下",
    PAYMENT_REQUEST_FEEDBACK: "支払依頼の差戻し",
}


def emit(*, tenant, kind: str, recipients: Iterable, key: str, payload: dict) -> Event | None:
    """Record an event in the current transaction and signal it after commit. Returns None for a repeated key."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    recipient_ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    event = Event(tenant=tenant, kind=kind, recipient_ids=recipient_ids, key=key[:200], payload=payload)
    Event.objects.bulk_create([event], ignore_conflicts=True)
    stored = Event.objects.filter(tenant=tenant, key=event.key, public_id=event.public_id).first()
    if stored is None:  # the key existed already: this change was announced before
        return None
    transaction.on_commit(lambda: event_emitted.send(sender=Event, event_id=stored.pk))
    return stored
