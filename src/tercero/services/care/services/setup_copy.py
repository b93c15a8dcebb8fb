"""Copying one client's care desk set-up to another client's engagement: mailbox
definitions (without their IMAP account or password, and at new addresses, as an
address belongs to one mailbox), macros, custom fields, product checklists, support
tiers, automations and SLA targets.

`plan_copy` tells what would happen, `copy_setup` does it in one transaction. A name
the target already uses is a clash: reported, never overwritten. Whatever points at
another row (a queue, a macro, a mailbox, a person) is found again in the target by its
name, so the copy holds only the target client's ids; what cannot be found there is
skipped and says why. Both clients' audit trails record the copy."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tercero.delivery.work import selectors as work_selectors
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput
from tercero.services.care import selectors
from tercero.services.care.models import (
    Automation,
    Checklist,
    CustomField,
    Macro,
    Mailbox,
    TierQueue,
)
from tercero.services.care.services import (
    automations,
    desk_setup,
    setup_fields,
    setup_service_levels,
)

COPY = "copy"
CLASH = "clash"
SKIP = "skip"
OUTCOMES = (COPY, CLASH, SKIP)
KINDS = {
    "mailbox": "Mailbox",
    "macro": "Macro",
    "custom_field": "Custom field",
    "checklist": "Checklist",
    "tier": "Tier",
    "automation": "Automation",
    "sla_target": "SLA target",
}
# mailbox fields never copied: the IMAP account and anything secret
_NOT_COPIED = frozenset({"address", "imap_user", "imap_password"})


@dataclass(frozen=True)
class Step:
    kind: str
    name: str
    outcome: str  # COPY, CLASH or SKIP
    reason: str = ""

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass
class _Copy:
    source: Any
    target: Any
    addresses: dict[int, str]
    apply: bool
    actor: Any = None

    def __post_init__(self) -> None:
        self.steps: list[Step] = []
        self.target_queues = _queues(self.target)
        self.source_queues = {q.pk: q for q in _queues(self.source).values()}
        self.new_addresses: dict[int, str] = {}  # source mailbox id -> address in target
        self.new_macros: set[str] = set()

    def step(self, kind: str, name: str, outcome: str, reason: str = "") -> None:
        self.steps.append(Step(kind, name, outcome, reason))

    def attempt(self, kind: str, name: str, make: Callable[[], Any]) -> bool:
        """Make the row (when applying), reporting a refusal instead of raising."""
        if self.apply:
            try:
                with transaction.atomic():
                    make()
            except Conflict as error:
                self.step(kind, name, CLASH, error.message)
                return False
            except DomainError as error:
                self.step(kind, name, SKIP, _said(error))
                return False
        self.step(kind, name, COPY)
        return True


def _queues(engagement) -> dict[str, Any]:
    found = work_selectors.queues(
        client_ids=[engagement.client_id], engagement_id=engagement.pk, is_active=True
    )
    return {q.name: q for q in found}


def _said(error: DomainError) -> str:
    details = "; ".join(f"{name}: {problem}" for name, problem in error.fields.items())
    return f"{error.message} ({details})" if details else error.message


def _queue_for(job: _Copy, queue_id: int, work_type: str) -> tuple[Any, str]:
    source_queue = job.source_queues.get(queue_id)
    name = source_queue.name if source_queue else ""
    queue = job.target_queues.get(name)
    if queue is None or work_type not in queue.work_types:
        return None, f'the target engagement has no active queue "{name}" taking {work_type}'
    return queue, ""


def _mailboxes(job: _Copy) -> None:
    taken = set(Mailbox.objects.values_list("address", flat=True))
    for box in Mailbox.objects.filter(engagement=job.source).order_by("address"):
        address = job.addresses.get(box.pk, "").strip().lower()
        queue, why = _queue_for(job, box.queue_id, box.work_type)
        if not address:
            job.step("mailbox", box.address, SKIP, "no new address given for it")
        elif address in taken:
            job.step("mailbox", box.address, CLASH, f"{address} is already a mailbox")
        elif queue is None:
            job.step("mailbox", box.address, SKIP, why)
        else:
            fields = {
                name: getattr(box, name)
                for name in desk_setup.MAILBOX_FIELDS
                if name not in _NOT_COPIED
            }
            fields |= {"address": address, "queue_id": queue.pk}
            made = job.attempt(
                "mailbox",
                f"{box.address} as {address}",
                lambda fields=fields: desk_setup.create_mailbox(
                    actor=job.actor, engagement=job.target, **fields
                ),
            )
            if made:
                taken.add(address)
                job.new_addresses[box.pk] = address


def _macros(job: _Copy) -> None:
    taken = set(Macro.objects.filter(engagement=job.target).values_list("name", flat=True))
    for macro in Macro.objects.filter(engagement=job.source).order_by("name"):
        if macro.name in taken:
            job.step("macro", macro.name, CLASH, "the target has a macro of this name")
            continue
        fields = {name: getattr(macro, name) for name in desk_setup.MACRO_FIELDS}
        if job.attempt(
            "macro",
            macro.name,
            lambda fields=fields: desk_setup.create_macro(
                actor=job.actor, engagement=job.target, **fields
            ),
        ):
            job.new_macros.add(macro.name)


def _custom_fields(job: _Copy) -> None:
    taken = set(CustomField.objects.filter(engagement=job.target).values_list("key", flat=True))
    for field in CustomField.objects.filter(engagement=job.source).order_by("position", "id"):
        name = f"{field.label} ({field.key})"
        if field.key in taken:
            job.step("custom_field", name, CLASH, "the target has a field with this key")
            continue
        fields = {key: getattr(field, key) for key in setup_fields.FIELD_FIELDS}
        job.attempt(
            "custom_field",
            name,
            lambda fields=fields: setup_fields.create_custom_field(
                actor=job.actor, engagement=job.target, **fields
            ),
        )


def _checklists(job: _Copy) -> None:
    taken = {
        (product.casefold(), title.casefold())
        for product, title in Checklist.objects.filter(client_id=job.target.client_id).values_list(
            "product", "title"
        )
    }
    for checklist in Checklist.objects.filter(client_id=job.source.client_id):
        name = str(checklist)
        if (checklist.product.casefold(), checklist.title.casefold()) in taken:
            job.step("checklist", name, CLASH, "the target client has this product's checklist")
            continue
        fields = {key: getattr(checklist, key) for key in setup_fields.CHECKLIST_FIELDS}
        job.attempt(
            "checklist",
            name,
            lambda fields=fields: setup_fields.create_checklist(
                actor=job.actor, client_id=job.target.client_id, **fields
            ),
        )


def _tiers(job: _Copy) -> None:
    taken = set(TierQueue.objects.filter(engagement=job.target).values_list("tier", flat=True))
    for route in TierQueue.objects.filter(engagement=job.source).order_by("tier"):
        queue, why = _queue_for(job, route.queue_id, "support.ticket")
        if route.tier in taken:
            job.step("tier", route.tier, CLASH, "the target already sends this tier to a queue")
        elif queue is None:
            job.step("tier", route.tier, SKIP, why)
        else:
            job.attempt(
                "tier",
                route.tier,
                lambda route=route, queue=queue: setup_service_levels.create_tier(
                    actor=job.actor, engagement=job.target, tier=route.tier, queue_id=queue.pk
                ),
            )


def _automations(job: _Copy) -> None:
    taken = set(Automation.objects.filter(engagement=job.target).values_list("name", flat=True))
    source_options = selectors.automation_options(engagement=job.source)
    for rule in Automation.objects.filter(engagement=job.source).order_by("position", "id"):
        if rule.name in taken:
            job.step("automation", rule.name, CLASH, "the target has a rule of this name")
            continue
        names = _Names(job, source_options)
        conditions = [names.moved(c, "field") for c in rule.conditions]
        actions = [names.moved(a, "action") for a in rule.actions]
        if names.missing:
            job.step("automation", rule.name, SKIP, "; ".join(names.missing))
            continue
        fields = {
            "name": rule.name,
            "trigger": rule.trigger,
            "conditions": conditions,
            "actions": actions,
            "waited_business_days": rule.waited_business_days,
            "is_active": rule.is_active,
        }
        job.attempt(
            "automation",
            rule.name,
            lambda fields=fields: automations.create_automation(
                actor=job.actor, engagement=job.target, **fields
            ),
        )


class _Names:
    """Finds in the target what a source rule's condition or action points at, by name."""

    _KIND_OF = {
        "queue": "queue",
        "mailbox": "mailbox",
        "move_to_queue": "queue",
        "apply_macro": "macro",
        "notify": "person",
    }

    def __init__(self, job: _Copy, source_options) -> None:
        self.job = job
        self.source = source_options
        self.target = selectors.automation_options(engagement=job.target)
        self.missing: list[str] = []

    def moved(self, part: dict[str, Any], key: str) -> dict[str, Any]:
        kind = self._KIND_OF.get(part.get(key, ""))
        if kind is None:
            return dict(part)
        return {**part, "value": self._found(kind, part.get("value"))}

    def _found(self, kind: str, value: Any) -> int:
        if kind == "person":
            if value in self.target.people:
                return int(value)
            self.missing.append("it notifies a person who does not work for the target client")
            return 0
        if kind == "queue":
            name = self.job.source_queues[value].name if value in self.job.source_queues else ""
            queue = self.job.target_queues.get(name)
            if queue is not None and queue.pk in self.target.queues:
                return int(queue.pk)
            self.missing.append(f'the target engagement has no care queue "{name}"')
            return 0
        if kind == "macro":
            name = self.source.macros.get(value, "")
            found = {title: pk for pk, title in self.target.macros.items()}.get(name)
            if found or (not self.job.apply and name in self.job.new_macros):
                return found or 0
            self.missing.append(f'the target engagement has no macro "{name or "(removed)"}"')
            return 0
        address = self.job.new_addresses.get(value, "")
        found = {title: pk for pk, title in self.target.mailboxes.items()}.get(address)
        if found or (not self.job.apply and address):
            return found or 0
        self.missing.append("its mailbox is not copied to the target")
        return 0


def _sla_targets(job: _Copy) -> None:
    target_has = {(t.get("metric"), t.get("priority")) for t in job.target.sla_targets}
    added = []
    for stored in job.source.sla_targets:
        said = setup_service_levels.target_of(stored)
        words = setup_service_levels.in_words(said)
        if said["metric"] not in setup_service_levels.METRICS:
            job.step("sla_target", words, SKIP, "not a metric the care desk sets")
        elif (stored.get("metric"), stored.get("priority")) in target_has:
            job.step("sla_target", words, CLASH, "the target has a target for this metric")
        else:
            added.append((words, said))
    if not added:
        return
    written = [setup_service_levels.target_of(t) for t in job.target.sla_targets]
    try:
        if job.apply:
            job.target = setup_service_levels.set_policy(
                actor=job.actor,
                engagement=job.target,
                version=job.target.version,
                targets=written + [said for _, said in added],
            )
    except DomainError as error:
        for words, _ in added:
            job.step("sla_target", words, SKIP, _said(error))
        return
    for words, _ in added:
        job.step("sla_target", words, COPY)


def _walk(job: _Copy) -> list[Step]:
    if job.source.pk == job.target.pk:
        raise InvalidInput(
            "Choose another engagement to copy to.", fields={"target_engagement_id": "the same"}
        )
    for part in (
        _mailboxes,
        _macros,
        _custom_fields,
        _checklists,
        _tiers,
        _automations,
        _sla_targets,
    ):
        part(job)
    return job.steps


def plan_copy(*, source, target, mailbox_addresses: dict[int, str]) -> list[Step]:
    """What `copy_setup` would copy, and what clashes or is skipped, with why."""
    return _walk(_Copy(source, target, mailbox_addresses, apply=False))


def copy_setup(*, actor, source, target, mailbox_addresses: dict[int, str]) -> list[Step]:
    """Copy what `plan_copy` lists, in one transaction; each copied row is audited as
    created, and both clients' trails record the copy with its counts."""
    with transaction.atomic():
        steps = _walk(_Copy(source, target, mailbox_addresses, apply=True, actor=actor))
        counts = {outcome: sum(s.outcome == outcome for s in steps) for outcome in OUTCOMES}
        for engagement, action in (
            (target, "care.setup.copied"),
            (source, "care.setup.copied_out"),
        ):
            record(
                action=action,
                actor=actor,
                client=engagement.client_id,
                object_type="engagement",
                object_id=engagement.pk,
                payload={
                    "source_engagement_id": source.pk,
                    "target_engagement_id": target.pk,
                    **counts,
                },
            )
    return steps
