"""A batch's items built in memory, before anything is written: each row checked, its
payload's card numbers cut and personal fields sealed, its lookup hashes and SLA clocks
set.

The work a row costs is kept to what depends on the row. A batch arrives at one moment
(`now`, every item's `created_at`), so the SLA clocks are worked out once for each kind
of row (work type, priority, channel, status, hard deadline) and copied to the others;
the client's keys are read once, and the nonces of the batch's sealed values drawn in
blocks (`crypto.BatchSealer`); a payload whose strings hold no card number is copied as
it is instead of being walked value by value; and the items are made from one template
of their defaults rather than through `Model.__init__` field by field.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.db.models.base import ModelState

from tercero.delivery.engagements.business_time import BusinessCalendar, NoWorkingTime
from tercero.delivery.work import lifecycle, personal, registry, sla
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.services._common import _language
from tercero.delivery.workforce.models import CHANNELS, SKILL_NAME
from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_tree

ACCEPTING_WORK = ("transition", "live")
# What a row may give beside its payload.
ROW_FIELDS = frozenset(
    {
        "work_type",
        "payload",
        "required_skills",
        "language",
        "channel",
        "priority",
        "hold",
        "title",
        "external_ref",
        "personal_data",
        "not_for_agent_id",
    }
)
# Joins a payload's strings for one search for card numbers: neither a digit nor a
# space nor a dash, so no card-like number runs across it.
_JOIN = "\n"
# The fewest digits of a card number (`redact.redact_cards` cuts 13 to 19).
CARD_DIGITS = 13


def new[M: Model](model: type[M], values: Mapping[str, Any]) -> M:
    """An unsaved instance of `model` with `values` (by attribute name) over its
    defaults, as `model(**values)` makes it."""
    template = _templates.get(model)
    if template is None:
        template = _templates[model] = _Template(model)
    return template.new(values)  # type: ignore[return-value]  # keyed by the model


class _Template:
    """A model's default values, taken once from an instance made the usual way."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        defaults = {k: v for k, v in model().__dict__.items() if k != "_state"}
        # mutable defaults (a JSON field's dict or list) are made afresh for each item
        self.fresh = {
            field.attname: field
            for field in model._meta.concrete_fields
            if isinstance(defaults.get(field.attname), dict | list | set)
        }
        self.defaults = {k: v for k, v in defaults.items() if k not in self.fresh}

    def new(self, values: Mapping[str, Any]) -> Model:
        model = self.model
        obj = model.__new__(model)  # the project listens to no model's init signals
        state = obj.__dict__
        state["_state"] = ModelState()
        state.update(self.defaults)
        for attname, field in self.fresh.items():
            if attname not in values:
                state[attname] = field.get_default()
        state.update(values)
        return obj


_templates: dict[type[Model], _Template] = {}


def refusal(queue: Queue) -> InvalidInput | None:
    """Why the queue takes no work now, or None."""
    engagement = queue.engagement
    if engagement.status not in ACCEPTING_WORK:
        return InvalidInput(
            f"The engagement is {engagement.status}; it takes work in transition or live.",
            code="engagement_not_live",
        )
    if not queue.is_active:
        return InvalidInput("The queue is closed.", code="queue_inactive")
    return None


class Batch:
    """The rows of one batch into one queue, made into unsaved items one by one."""

    def __init__(self, queue: Queue, *, now: datetime, keys_checked_on_write: bool = False) -> None:
        self.queue = queue
        self.now = now
        # the write compares the keys with the key rows in its own statement: the keys
        # this process holds may be used unread (`crypto.held_keys`)
        self.keys_checked_on_write = keys_checked_on_write
        self.refusal = refusal(queue)
        self.calendar = self._calendar() if self.refusal is None else None
        self._keys: crypto.ClientKeys | None = None
        self._sealer: crypto.BatchSealer | None = None
        # the SLA moments of an item by what they depend on (or the row's error)
        self._clocks: dict[tuple[Any, ...], dict[str, Any] | InvalidInput] = {}
        self._skill_keys: dict[tuple[tuple[str, int], ...], list[str]] = {}

    def _calendar(self) -> BusinessCalendar | None:
        """The engagement's business calendar, built once for the batch (None when it
        has no working time: then each row is refused with that as its error)."""
        try:
            return sla.calendar_of(self.queue.engagement)
        except NoWorkingTime:
            return None

    @property
    def keys_used(self) -> crypto.ClientKeys | None:
        """The keys the batch sealed and hashed with (None: it held no personal value)."""
        return self._keys

    def keys(self) -> crypto.ClientKeys:
        """The client's keys, taken on the first personal value of the batch: those this
        process holds when the write checks them, else read from the key rows."""
        if self._keys is None:
            client_id = self.queue.client_id
            held = crypto.held_keys(client_id) if self.keys_checked_on_write else None
            if held is None or held.active_version is None or held.index_key is None:
                held = crypto.keys_for(client_id, data=True, index=True)
            self._keys = held
        return self._keys

    def sealer(self) -> crypto.BatchSealer:
        if self._sealer is None:
            self._sealer = self.keys().batch()
        return self._sealer

    def item(self, fields: Mapping[str, Any]) -> tuple[WorkItem, dict[str, int]]:
        """The row as an unsaved item and its required skills; InvalidInput when the
        row is refused."""
        if self.refusal is not None:
            raise self.refusal.with_traceback(None)
        queue = self.queue
        key = fields.get("work_type") or ""
        work_type = registry.get(key)
        if key not in queue.work_types:
            raise InvalidInput(
                f"Queue {queue.name!r} does not take {key!r} items.",
                fields={
                    "work_type": f"this queue takes: {', '.join(queue.work_types) or 'nothing'}"
                },
            )
        payload = work_type.parse(fields.get("payload") or {})
        required = _required_skills(work_type, fields.get("required_skills") or {})
        language = _language(work_type, payload, fields.get("language"))
        channel = fields.get("channel") or work_type.channel
        if channel not in CHANNELS:
            raise InvalidInput(
                "Unknown channel.", fields={"channel": f"one of {', '.join(CHANNELS)}"}
            )
        priority = fields.get("priority") or queue.priority
        if not (isinstance(priority, int) and 1 <= priority <= 4):
            raise InvalidInput(
                "Priority is 1 (P1, highest) to 4.", fields={"priority": str(priority)}
            )
        hold = bool(fields.get("hold", False))
        title = _cut(fields.get("title") or work_type.title_of(payload))
        external_ref = _cut((fields.get("external_ref") or "").strip())
        personal_data = bool(fields.get("personal_data", False)) or work_type.holds_personal_data
        not_for_agent_id = fields.get("not_for_agent_id")
        if not_for_agent_id is not None and (
            isinstance(not_for_agent_id, bool) or not isinstance(not_for_agent_id, int)
        ):
            raise InvalidInput(
                "The agent the item is not for is an agent's id.",
                fields={"not_for_agent_id": "an integer"},
            )
        unknown = [name for name in fields if name not in ROW_FIELDS]
        if unknown:
            raise InvalidInput("Unknown fields.", fields=dict.fromkeys(unknown, "unknown"))
        plain = payload.model_dump(mode="json")
        stored, subject_keys = self._protect(work_type, plain)
        now = self.now
        status = lifecycle.NEW if hold else lifecycle.QUEUED
        values = {
            "client_id": queue.client_id,
            "engagement_id": queue.engagement_id,
            "queue_id": queue.pk,
            "work_type": key,
            "title": title[:200],
            "payload": stored,
            "subject_keys": subject_keys,
            "priority": priority,
            "language": language,
            "personal_data": personal_data,
            "external_ref": external_ref[:200],
            "channel": channel,
            "status": status,
            "created_at": now,
            "queued_at": None if hold else now,
            "updated_at": now,
            "skill_count": len(required),
            "skill_keys": self._keys_of(required),
            "not_for_agent_id": not_for_agent_id,
        }
        item = new(WorkItem, values)
        cache = item._state.fields_cache
        cache["engagement"] = queue.engagement
        cache["queue"] = queue
        deadline = work_type.deadline(payload) if work_type.deadline else None
        self._start_clocks(item, work_type, payload, deadline)
        return item, required

    def _keys_of(self, required: dict[str, int]) -> list[str]:
        """The item's requirement keys (`routing.skill_keys`), a list of its own."""
        given = tuple(sorted(required.items()))
        found = self._skill_keys.get(given)
        if found is None:
            found = self._skill_keys[given] = sorted(f"{s}:{level}" for s, level in given)
        return list(found)

    def _start_clocks(
        self,
        item: WorkItem,
        work_type: registry.WorkType,
        payload: Any,
        deadline: registry.Deadline | None,
    ) -> None:
        """`sla.start_clocks` on the first item of its kind in the batch; the moments it
        set are copied to the others of that kind (they depend only on the batch's
        moment, the queue, the type, the priority, the channel, the status and the hard
        deadline)."""
        state = item.__dict__
        kind = (work_type.key, state["priority"], state["channel"], state["status"], deadline)
        found = self._clocks.get(kind)
        if found is None:
            before = dict(state)
            try:
                sla.start_clocks(
                    item,
                    engagement=self.queue.engagement,
                    work_type=work_type,
                    payload=payload,
                    at_risk_percent=self.queue.at_risk_percent,
                    calendar=self.calendar,
                )
            except InvalidInput as error:
                found = error
            else:
                found = {
                    name: value
                    for name, value in state.items()
                    if name != "_state" and (name not in before or before[name] != value)
                }
            self._clocks[kind] = found
        if isinstance(found, InvalidInput):
            raise found.with_traceback(None)
        state.update(found)

    def _protect(self, work_type: registry.WorkType, plain: dict[str, Any]) -> tuple[Any, Any]:
        """The payload as stored and its lookup hashes: `personal.protect` and
        `personal.lookup_keys` in one go."""
        clean = _without_cards(plain)
        names = work_type.personal_fields
        if not names:
            return clean, []
        subject_keys: list[str] = []
        for name in names:
            value = plain.get(name)
            if value in (None, ""):
                continue
            subject_keys.append(self.keys().lookup_hash(str(value)))
            kind = work_type.kind_of(name)
            if kind in personal.BANK_ACCOUNT_KINDS and isinstance(value, str):
                clean[name] = value  # sealed whole: a bank account, not a card
            cut = clean.get(name)
            if cut in (None, "") or crypto.is_sealed(cut):
                continue
            clean[name] = self.sealer().seal(str(cut), kind=kind)
        return clean, subject_keys


def _without_cards(payload: dict[str, Any]) -> dict[str, Any]:
    """`redact_tree(payload)`: when the payload is flat, its strings are searched for a
    card number together, and copied as they are when none holds one."""
    strings = []
    for value in payload.values():
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict | list):
            return redact_tree(payload)
    joined = _JOIN.join(strings)
    if _cut(joined) == joined:
        return dict(payload)
    return redact_tree(payload)


def _cut(text: str) -> str:
    """`personal.clean_text(text)`, at once when the text has too few digits to hold a
    card number (13 at least)."""
    if len(text) < CARD_DIGITS or sum(map(str.isdigit, text)) < CARD_DIGITS:
        return text
    return personal.clean_text(text)


def _required_skills(work_type: registry.WorkType, given: Mapping[Any, Any]) -> dict[str, int]:
    required = dict(work_type.default_skills)
    for skill, level in given.items():
        if not (isinstance(skill, str) and SKILL_NAME.match(skill)) or not (
            isinstance(level, int) and 1 <= level <= 5
        ):
            raise InvalidInput(
                "Required skills map a skill name to a level from 1 to 5.",
                fields={"required_skills": f"{skill!r}: {level!r}"},
            )
        required[skill] = max(level, required.get(skill, 0))
    return required
