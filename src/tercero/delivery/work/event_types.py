"""Outbox event types: every kind of `WorkEvent` has one schema, registered here.

The engine registers the kinds it writes itself (below); a service line lists its own in
its manifest (`ServiceLine.events`), and `registry.register_line` installs them. Every
event is checked against its kind's schema on the way into the outbox (`checked`), so a
consumer, a client's webhook or the audit chain never meets a kind or a field nobody
declared. Kinds are dotted past tenses (`care.ticket.solved`); a service line's start
with its key.

    EventType("payroll.run.finalised", RunFinalised, "A pay run was finalised.")
"""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED, Checkpoint

KIND = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
MAX_KIND = 32  # WorkEvent.kind
# past participles that do not end in -ed, for kinds like `payroll.payment.sent`
IRREGULAR_PAST = frozenset(
    {"begun", "built", "cut", "done", "drawn", "found", "given", "held", "kept", "left"}
    | {"lost", "made", "paid", "run", "seen", "sent", "set", "shown", "sold", "split"}
    | {"spent", "taken", "undone", "withdrawn", "won", "written"}
)


class EventData(BaseModel):
    """Base of event schemas: a field nobody declared is refused, so nothing (personal
    data least of all) slips into an event unseen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class EventType:
    kind: str
    schema: type[BaseModel]
    description: str


_TYPES: dict[str, EventType] = {}


def problems(event_type: EventType) -> list[str]:
    """What stops an event type from being registered, in words (empty when sound)."""
    kind = event_type.kind
    found = []
    if not KIND.match(kind):
        found.append(f"event kind {kind!r} must be dotted lower-case words (care.ticket.solved)")
    if len(kind) > MAX_KIND:
        found.append(f"event kind {kind!r} is longer than {MAX_KIND} characters")
    if event_type.schema.model_config.get("extra") != "forbid":
        found.append(f"event kind {kind!r}: its schema must forbid extra fields (EventData)")
    if not event_type.description.strip():
        found.append(f"event kind {kind!r} needs a description")
    existing = _TYPES.get(kind)
    if existing is not None and existing != event_type:
        found.append(f"event kind {kind!r} is already registered")
    return found


def line_problems(key: str, event_type: EventType) -> list[str]:
    """A service line's kinds also start with its key and end in a past tense."""
    found = problems(event_type)
    kind = event_type.kind
    if not kind.startswith(f"{key}."):
        found.append(f"event kind {kind!r} must start with {key + '.'!r}")
    last = kind.rsplit(".", 1)[-1]
    if not (last.endswith("ed") or last in IRREGULAR_PAST):
        found.append(f"event kind {kind!r} must end in a past tense (solved, finalised)")
    return found


def register(event_type: EventType) -> EventType:
    """Register `event_type`; a kind that cannot work stops start-up with the problem."""
    found = problems(event_type)
    if found:
        raise ImproperlyConfigured("; ".join(found))
    _TYPES[event_type.kind] = event_type
    return event_type


def unregister(kind: str) -> None:
    _TYPES.pop(kind, None)


def find(kind: str) -> EventType | None:
    return _TYPES.get(kind)


# What a person reads in an item's history where the kind's last word says too little.
LABELS = {
    "item.payload_changed": "Fields changed",
    "item.updated": "Details changed",
    "item.transferred": "Moved to another queue",
    "item.responded": "First response sent",
    "item.commented": "Note added",
    "item.attached": "File added",
    "item.purged": "Personal content removed",
    "sla.at_risk": "SLA at risk",
    "sla.breached": "SLA breached",
    "security.alert": "Security alert",
    CHECKPOINT_SIGNED: "Audit trail checkpointed",
}


def label_of(kind: str) -> str:
    """An event kind in words: `sla.at_risk` -> "SLA at risk", `care.ticket.solved` ->
    "Ticket solved" (the line's key dropped)."""
    if kind in LABELS:
        return LABELS[kind]
    words = kind.split(".")[1:] or [kind]
    if len(words) > 1 and words[0] == "item":
        words = words[1:]
    return " ".join(words).replace("_", " ").capitalize()


def all_types() -> list[EventType]:
    return [_TYPES[kind] for kind in sorted(_TYPES)]


def checked(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` validated against the schema of `kind`, as it is stored (JSON, only the
    fields given). An unknown kind or data that does not fit is a programming error:
    ValueError naming the kind and the fields, never a 4xx."""
    event_type = _TYPES.get(kind)
    if event_type is None:
        raise ValueError(
            f"Unknown event kind {kind!r}: register an EventType for it (the engine's in "
            "work.event_types, a service line's in its manifest's `events`)."
        )
    try:
        parsed = event_type.schema.model_validate(data)
    except ValidationError as error:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'data'}: {e['msg']}" for e in error.errors()
        )
        raise ValueError(f"Event {kind!r} does not fit its schema: {fields}") from None
    return parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- the engine's own kinds ------------------------------------------------------------


class Move(EventData):
    """A move in the item's life cycle (`lifecycle.ACTIONS`)."""

    from_status: str = Field(alias="from")
    to: str
    reason: str = ""
    # business seconds the clock was paused, when the move ended a wait
    paused_business_seconds: int = 0
    # resolved: whether the deadline was met (None: no deadline)
    sla_met: bool | None = None
    # closed by the service that owns the record (a pay run finalised), not by an agent
    for_record: bool = False


class Queued(EventData):
    """On arrival: the queue; when released from `new`: the move."""

    queue_id: int | None = None
    from_status: str = Field(default="", alias="from")
    to: str = ""
    reason: str = ""


class Created(EventData):
    work_type: str


class Assigned(EventData):
    agent_id: int
    how: str


class Transferred(EventData):
    from_queue_id: int
    to_queue_id: int
    from_status: str = Field(alias="from")
    paused_business_seconds: int = 0
    reason: str = ""


class Escalated(EventData):
    """By hand (reason, priority_from, priority_to) or by the queue's rule on an SLA
    alert (rule, on, and the priority, the lead notified or the queue moved to)."""

    reason: str = ""
    priority_from: int | None = None
    priority_to: int | None = None
    rule: str = ""
    on: str = ""
    priority: int | None = None
    notify_user_id: int | None = None
    to_queue_id: int | None = None


class Updated(EventData):
    fields: list[str]


class PayloadChanged(EventData):
    """The payload fields that changed, never their values."""

    fields: list[str]
    item_fields: list[str] = Field(default_factory=list)
    reason: str = ""


class Attached(EventData):
    name: str
    size: int


class Responded(EventData):
    """The first response to the customer."""


class Commented(EventData):
    comment_id: int
    internal: bool


class Purged(EventData):
    why: str


class SlaAlerted(EventData):
    metric: str
    due_at: str


class SecurityAlert(EventData):
    alert_id: int
    kind: str
    user_id: int
    count: int
    limit: int


def _moves() -> list[EventType]:
    said = {
        "started": "An agent started work on the item.",
        "waiting": "The item waits on the client or the customer (its clock paused).",
        "resumed": "Work resumed after a wait.",
        "resolved": "The item was resolved.",
        "closed": "A resolved item was closed.",
        "reopened": "A resolved or closed item was reopened and queued again.",
        "cancelled": "The item was cancelled.",
        "unassigned": "The item was taken from its agent and queued again.",
    }
    return [EventType(f"item.{past}", Move, text) for past, text in said.items()]


ENGINE = (
    EventType("item.created", Created, "An item was created."),
    EventType("item.queued", Queued, "An item joined its queue (on arrival or released)."),
    EventType("item.assigned", Assigned, "An agent got the item (pulled, pushed or by hand)."),
    *_moves(),
    EventType("item.transferred", Transferred, "The item moved to another queue."),
    EventType("item.escalated", Escalated, "The item was escalated, by hand or by rule."),
    EventType("item.updated", Updated, "Fields of the item (not its payload) changed."),
    EventType("item.payload_changed", PayloadChanged, "Payload fields of the item changed."),
    EventType("item.attached", Attached, "A file was added to the item."),
    EventType("item.responded", Responded, "The customer got a first response."),
    EventType("item.commented", Commented, "A note was added to the item."),
    EventType("item.purged", Purged, "The item's personal content was removed."),
    EventType("sla.at_risk", SlaAlerted, "An SLA clock passed its at-risk point."),
    EventType("sla.breached", SlaAlerted, "An SLA clock passed its deadline."),
    EventType("security.alert", SecurityAlert, "A security alert about one engagement."),
    EventType(CHECKPOINT_SIGNED, Checkpoint, "The client's audit trail was checkpointed."),
)
# `item.waiting`, `sla.at_risk` and `security.alert` predate the past-tense rule; clients'
# webhooks filter on these names, so they keep them.
for _event_type in ENGINE:
    register(_event_type)
