"""Ledger targets behind one interface: the built-in ledger (default) and freee会計 (/api/1/deals).

`target.sync(tenant=, items=)` books a batch of WorkItems and fills each one's outcome (trade_id /
freee_deal_id / note, or error); `chunk` is how many documents one call takes. One module per target
(builtin, freee) and what they share (base).
"""

from journals.sync.models import Target
from journals.sync.targets.base import WorkItem, reference_for
from journals.sync.targets.builtin import BuiltinTarget, lock_documents, trade_ids
from journals.sync.targets.freee import (
    FreeeTarget,
    deal_create_body,
    deal_update_body,
    payment_reconcile,
    project_tag_ids,
    project_tag_name,
    reconcile,
    walletable,
)

__all__ = ["BuiltinTarget", "FreeeTarget", "WorkItem", "deal_create_body", "deal_update_body", "lock_documents",
           "payment_reconcile", "project_tag_ids", "project_tag_name", "reconcile", "reference_for", "target_for",
           "trade_ids", "walletable"]


def target_for(code: str) -> BuiltinTarget | FreeeTarget:
    """The target a record is synced to (its `target` code); the built-in ledger unless it says freee."""
    return FreeeTarget() if code == Target.FREEE else BuiltinTarget()
