"""core.events.emit: one row per key, written in the caller's transaction, signalled only after commit."""

import pytest
from django.db import transaction

from core import events
from core.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def test_emit_signals_after_commit_and_ignores_a_repeated_key(world_a):
    heard = []

    def receiver(sender, event_id, **kwargs):
        heard.append(event_id)

    events.event_emitted.connect(receiver)
    try:
        with transaction.atomic():
            event = events.emit(tenant=world_a.tenant, kind=events.INVOICE_ISSUED, recipients=[world_a.member, None],
                                key="invoice.issued:1", payload={"title": "t", "text": "x", "url": "/"})
            assert heard == []
            again = events.emit(tenant=world_a.tenant, kind=events.INVOICE_ISSUED, recipients=[world_a.member],
                                key="invoice.issued:1", payload={})
        assert again is None and heard == [event.pk]
        assert Event.objects.get().recipient_ids == [world_a.member.pk]
    finally:
        events.event_emitted.disconnect(receiver)


def test_a_rolled_back_change_leaves_no_event(world_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(tenant=world_a.tenant, kind=events.LEDGER_SYNC_FAILED, recipients=[world_a.admin],
                    key="k", payload={})
        raise RuntimeError
    assert not Event.objects.exists()


def test_unknown_kinds_are_refused(world_a):
    with pytest.raises(ValueError):
        events.emit(tenant=world_a.tenant, kind="nope", recipients=[], key="k", payload={})
