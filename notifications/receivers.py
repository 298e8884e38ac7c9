"""The notifications app listens to core.events; apps never import it."""

import logging

from core.events import event_emitted
from core.jobs import enqueue_on_commit

logger = logging.getLogger(__name__)


def on_event_emitted(sender, event_id: int, **kwargs) -> None:
    """Fan the event out in a task. If the broker is unreachable the sweeper picks the event up later."""
    from notifications.tasks import event_fan_out_task

    try:
        enqueue_on_commit(event_fan_out_task, event_id)
    except Exception:  # never break the emitter's request: the event row is committed and will be swept
        logger.exception("notifications: could not enqueue fan-out of event %s", event_id)


def connect() -> None:
    event_emitted.connect(on_event_emitted, dispatch_uid="notifications.on_event_emitted")
