"""Every change to queues and work items. Each function is one transaction that also
writes the `WorkEvent`s describing it (the outbox); edits check `version`.

One module per concern; callers use this package's names (`work.create_item(...)`):
`queues`, `intake` (items and files coming in), `claims` (pull, push, manual),
`transitions` (the life cycle, transfers, closing for a record), `edits` (fields and
payload), `comments`, `sweeper` (SLA alerts and escalation), `reveal` (personal data),
`events` (`publish`, the door for events outside the life cycle: a service line's own,
security alerts, audit checkpoints).
"""

from tercero.delivery.work.services.claims import (
    PULLABLE,
    assign,
    get_next,
    offer,
    offer_waiting,
    required_skills,
)
from tercero.delivery.work.services.comments import comment
from tercero.delivery.work.services.edits import update_item, update_payload
from tercero.delivery.work.services.events import (
    audit_checkpoint_event,
    publish,
    security_alert_event,
)
from tercero.delivery.work.services.intake import (
    ACCEPTING_WORK,
    Intake,
    attach,
    create_item,
    create_items,
    submit_item,
    take_in,
)
from tercero.delivery.work.services.queues import create_queue, update_queue
from tercero.delivery.work.services.reveal import break_glass, reveal, revealed
from tercero.delivery.work.services.sweeper import sweep
from tercero.delivery.work.services.transitions import (
    RECORD_ENDS,
    close_for_record,
    escalate,
    transfer,
    transition,
)

__all__ = [
    "ACCEPTING_WORK",
    "PULLABLE",
    "RECORD_ENDS",
    "Intake",
    "assign",
    "attach",
    "audit_checkpoint_event",
    "break_glass",
    "close_for_record",
    "comment",
    "create_item",
    "create_items",
    "create_queue",
    "escalate",
    "get_next",
    "offer",
    "offer_waiting",
    "publish",
    "required_skills",
    "reveal",
    "revealed",
    "security_alert_event",
    "submit_item",
    "sweep",
    "take_in",
    "transfer",
    "transition",
    "update_item",
    "update_payload",
    "update_queue",
]
