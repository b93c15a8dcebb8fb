"""The work types registry. A service registers its types at start-up (in its
`AppConfig.ready`); the engine refuses items of a type nobody registered.

    register(WorkType(key="capture.document", title="Document to key",
                      payload_schema=DocumentPayload, ...))
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Literal, get_args

from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, ValidationError

from tercero.delivery.engagements.calendar import Metric
from tercero.delivery.work import event_types
from tercero.platform import catalogue
from tercero.platform.catalogue import ServiceLine
from tercero.platform.errors import InvalidInput

Office = Literal["front", "back"]
SLA_METRICS = frozenset(get_args(Metric))


@dataclass(frozen=True)
class Deadline:
    """ "By `at` client time on `anchor` minus `business_days_before` business days"."""

    anchor: date
    business_days_before: int = 0
    at: time = time(17, 0)


@dataclass(frozen=True)
class WorkType:
    key: str
    title: str
    payload_schema: type[BaseModel]
    office: Office = "back"
    channel: str = "back_office"
    # skill -> minimum level (1-5), added to whatever the item itself asks for
    default_skills: dict[str, int] = field(default_factory=dict)
    # where the item's language comes from: a payload field name, or None (the item says)
    language_field: str | None = None
    # which engagement SLA metrics time this type
    sla_metrics: tuple[str, ...] = ("resolution",)
    # back office: a hard deadline computed from the payload, or None
    deadline: Callable[[BaseModel], Deadline | None] | None = None
    # how the agent workspace shows the item: a one-line title and labelled fields
    summary: Callable[[BaseModel], str] | None = None
    display_fields: tuple[tuple[str, str], ...] = ()
    # what "done" means: a list of reasons the item cannot be resolved yet (empty = ok)
    completion_check: Callable[[BaseModel, str], list[str]] | None = None
    # the same, when "done" depends on records the service keeps about the item (an HR
    # change applied and verified): called with the item's id
    item_check: Callable[[int], list[str]] | None = None
    # payload fields holding personal data: masked on every page until revealed
    personal_fields: tuple[str, ...] = ()
    # how each personal field is masked: "name", "email", "date", "national_id",
    # "account", "iban", "card" (cut to its last four, never stored whole); default: all
    # but the last two characters hidden
    personal_kinds: dict[str, str] = field(default_factory=dict)
    # every item of this type holds personal data (a customer's own words, say), so the
    # engagement's data-residency rule always applies to it; otherwise each item says
    holds_personal_data: bool = False
    # whether a file comes with the item when it is submitted through the portal
    attachment: Literal["none", "optional", "required"] = "none"
    # a URL name (taking the item id) of the service's own panel, loaded into the item
    # page: the care desk shows the conversation there
    panel_url: str = ""
    # the panel holds the item's one reply box and its resolve step, so the item page
    # leaves out its own note form and resolve form when it loads the panel
    panel_replies_and_resolves: bool = False
    # called with the item and its life-cycle event (item.resolved, item.reopened...)
    # inside the move's transaction, so the service publishes its own event about it
    # with the change (`work.services.publish`)
    on_transition: Callable[[Any, Any], None] | None = None

    def parse(self, payload: object) -> BaseModel:
        """The payload validated against the type's schema, or InvalidInput listing fields."""
        try:
            return self.payload_schema.model_validate(payload)
        except ValidationError as error:
            fields = {
                ".".join(str(p) for p in e["loc"]) or "payload": e["msg"] for e in error.errors()
            }
            raise InvalidInput(
                f"The payload does not fit work type {self.key!r}.",
                fields={f"payload.{name}": message for name, message in fields.items()},
            ) from error

    def parse_stored(self, payload: dict[str, Any]) -> BaseModel:
        """A stored payload as the schema's model, without validating again: it was
        validated on the way in, and sealed personal fields are text now."""
        return self.payload_schema.model_construct(**payload)

    def kind_of(self, name: str) -> str:
        return self.personal_kinds.get(name, "")

    def title_of(self, payload: BaseModel) -> str:
        return (self.summary(payload) if self.summary else self.title)[:200]

    def display(self, payload: dict[str, Any]) -> list[tuple[str, object]]:
        return [(label, payload.get(name)) for name, label in self.display_fields]

    def display_rows(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Labelled fields for pages: each says whether it holds personal data."""
        return [
            {
                "name": name,
                "label": label,
                "value": payload.get(name),
                "personal": name in self.personal_fields,
            }
            for name, label in self.display_fields
        ]


_TYPES: dict[str, WorkType] = {}


def register(work_type: WorkType) -> WorkType:
    existing = _TYPES.get(work_type.key)
    if existing is not None and existing != work_type:
        raise ValueError(f"work type {work_type.key!r} is already registered differently")
    _TYPES[work_type.key] = work_type
    return work_type


def unregister(key: str) -> None:
    _TYPES.pop(key, None)


def get(key: str) -> WorkType:
    try:
        return _TYPES[key]
    except KeyError:
        raise InvalidInput(
            f"Unknown work type {key!r}.",
            code="unknown_work_type",
            fields={"work_type": f"registered types: {', '.join(sorted(_TYPES)) or 'none'}"},
        ) from None


def find(key: str) -> WorkType | None:
    """The registered type, or None (e.g. items of a service since removed)."""
    return _TYPES.get(key)


def all_types() -> list[WorkType]:
    return [_TYPES[key] for key in sorted(_TYPES)]


# --- service lines ------------------------------------------------------------------------


def register_line(line: ServiceLine) -> ServiceLine:
    """Install a service module from its manifest (called from its `AppConfig.ready`):
    its work types, event types, outbox consumers and periodic jobs, then the catalogue
    entry that roles, the API, URLs, navigation and the demo read. A manifest that
    cannot work stops start-up with the problem named."""
    from tercero.delivery.work.outbox import register_consumer
    from tercero.platform.identity.roles import CORE_PERMISSIONS
    from tercero.platform.ops import scheduler

    problems = [problem for t in line.work_types for problem in work_type_problems(t)]
    problems += [problem for e in line.events for problem in event_types.line_problems(line.key, e)]
    if problems:
        raise ImproperlyConfigured(f"Service line {line.key!r}: " + "; ".join(problems))
    catalogue.add(line, core_permissions=CORE_PERMISSIONS)
    for work_type in line.work_types:
        register(work_type)
    for event_type in line.events:
        event_types.register(event_type)
    for consumer in line.consumers:
        register_consumer(consumer)
    for job in line.jobs:
        scheduler.register(job)
    return line


def work_type_problems(work_type: WorkType) -> list[str]:
    """What stops a work type from working, in words (empty when it is sound)."""
    fields = set(work_type.payload_schema.model_fields)
    problems = [
        f"{work_type.key}: display field {name!r} is not in its payload"
        for name, _ in work_type.display_fields
        if name not in fields
    ]
    problems += [
        f"{work_type.key}: personal field {name!r} is not in its payload"
        for name in work_type.personal_fields
        if name not in fields
    ]
    problems += [
        f"{work_type.key}: masking given for {name!r}, which is not a personal field"
        for name in work_type.personal_kinds
        if name not in work_type.personal_fields
    ]
    problems += [
        f"{work_type.key}: unknown SLA metric {metric!r}"
        for metric in work_type.sla_metrics
        if metric not in SLA_METRICS
    ]
    if work_type.language_field and work_type.language_field not in fields:
        problems.append(f"{work_type.key}: language field {work_type.language_field!r} missing")
    return problems
