"""Every change to queues and work items. Each function is one transaction that also
writes the `WorkEvent`s describing it (the outbox); edits check `version`.

Claiming (pull, push, manual) is exactly-once on both engines: PostgreSQL picks with
`FOR UPDATE SKIP LOCKED` and claims in the same statement; SQLite runs the pick and the
conditional update inside one IMMEDIATE transaction; and on both a partial unique index
allows one open `Assignment` per item.
"""

import hashlib
import json
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Value, When
from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import access, files, lifecycle, locks, personal, registry, routing, sla
from tercero.delivery.work.models import (
    Assignment,
    Attachment,
    Comment,
    Queue,
    SkillRequirement,
    SlaAlert,
    WorkEvent,
    WorkItem,
)
from tercero.delivery.workforce.models import CHANNELS, SKILL_NAME, Agent
from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED, Checkpoint
from tercero.platform.audit.models import AuditCheckpoint
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from tercero.platform.security import misuse
from tercero.platform.security import services as security
from tercero.platform.security.models import RevealGrant
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope, clients_in_scope
from tercero.platform.versioning import update_versioned

ACCEPTING_WORK = ("transition", "live")
PULLABLE = ("pull", "push")


# --- queues ---------------------------------------------------------------------------


def create_queue(*, actor, engagement: Engagement, **fields) -> Queue:
    queue = Queue(client_id=engagement.client_id, engagement=engagement, **fields)
    _validate_queue(queue)
    try:
        with transaction.atomic():
            queue.save()
            record(
                action="queue.created",
                actor=actor,
                client=engagement.client_id,
                object_type="queue",
                object_id=queue.pk,
                payload={"name": queue.name, "routing": queue.routing},
            )
    except IntegrityError as error:
        raise Conflict(
            "This engagement already has a queue with that name.", fields={"name": "already used"}
        ) from error
    return queue


def update_queue(*, actor, queue: Queue, version: int, changes: dict) -> Queue:
    for name, value in changes.items():
        setattr(queue, name, value)
    _validate_queue(queue)
    with transaction.atomic():
        update_versioned(
            Queue,
            pk=queue.pk,
            version=version,
            changes=changes,
            what="queue",
            taken=("name", "This engagement already has a queue with that name."),
        )
        record(
            action="queue.updated",
            actor=actor,
            client=queue.client_id,
            object_type="queue",
            object_id=queue.pk,
            payload={"fields": sorted(changes)},
        )
    queue.refresh_from_db()
    return queue


def _validate_queue(queue: Queue) -> None:
    fields = {}
    unknown = [key for key in queue.work_types if key not in {t.key for t in registry.all_types()}]
    if unknown:
        fields["work_types"] = f"unknown work types: {', '.join(unknown)}"
    if not 1 <= queue.priority <= 4:
        fields["priority"] = "1 (highest) to 4"
    if not 1 <= queue.at_risk_percent <= 99:
        fields["at_risk_percent"] = "1 to 99"
    target = queue.escalation_queue
    if target is None and queue.escalation == Queue.Escalation.MOVE:
        fields["escalation_queue_id"] = "moving on escalation needs an escalation queue"
    # whatever the escalation rule, the target never lies in another engagement (or client)
    elif target is not None and (
        target.engagement_id != queue.engagement_id or target.pk == queue.pk
    ):
        fields["escalation_queue_id"] = "another queue of the same engagement"
    if fields:
        raise InvalidInput("The queue is not valid.", fields=fields)


# --- creating items -------------------------------------------------------------------


def create_item(*, actor, queue: Queue, **fields) -> WorkItem:
    """Create one item; pushes it to an agent at once when the queue routes by push."""
    item, required = _prepare(queue=queue, fields=fields)
    with transaction.atomic():
        _insert([(item, required)], actor=actor)
    if queue.routing == Queue.Routing.PUSH and item.status == lifecycle.QUEUED:
        offer(item=item)
        item.refresh_from_db()
    return item


def submit_item(*, actor, queue: Queue, upload=None, **fields) -> WorkItem:
    """Create an item with the file that comes with it (a portal submission): both are
    stored or neither is."""
    work_type = registry.get(fields.get("work_type") or "")
    if upload is None and work_type.attachment == "required":
        raise InvalidInput("This kind of work needs a file.", fields={"file": "required"})
    if upload is not None and work_type.attachment == "none":
        raise InvalidInput("This kind of work takes no file.", fields={"file": "not accepted"})
    content_type = files.sniff(upload) if upload is not None else None
    item, required = _prepare(queue=queue, fields=fields)
    stored = None
    try:
        with transaction.atomic():
            _insert([(item, required)], actor=actor)
            if upload is not None:
                stored = _store_attachment(item, upload, content_type, actor)
    except Exception:
        if stored is not None:
            stored.file.delete(save=False)
        raise
    if queue.routing == Queue.Routing.PUSH and item.status == lifecycle.QUEUED:
        offer(item=item)
        item.refresh_from_db()
    return item


def attach(*, actor, item: WorkItem, upload) -> Attachment:
    """Add a file to an open item."""
    content_type = files.sniff(upload)
    if item.status not in lifecycle.OPEN:
        raise InvalidInput("Files can only be added to open items.", fields={"file": "closed"})
    with transaction.atomic():
        return _store_attachment(item, upload, content_type, actor)


def _store_attachment(item: WorkItem, upload, content_type: str, actor) -> Attachment:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        client_id=item.client_id,
        item=item,
        name=files.safe_name(upload.name or ""),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    _log(item, "item.attached", actor, {"name": attachment.name, "size": attachment.size})
    return attachment


def create_items(
    *, actor, queue: Queue, rows: list[dict], all_or_nothing: bool = True, dry_run: bool = False
):
    """Create many items in one transaction. Returns (created, errors) where errors maps
    a row index to its field errors. With `all_or_nothing`, any error creates nothing."""
    prepared, errors = [], {}
    seen_refs: dict[str, int] = {}
    for index, fields in enumerate(rows):
        try:
            item, required = _prepare(queue=queue, fields=dict(fields))
        except InvalidInput as error:
            errors[index] = {"message": error.message, **error.fields}
            continue
        if item.external_ref:
            if item.external_ref in seen_refs:
                errors[index] = {
                    "message": "Duplicate external reference in this batch.",
                    "external_ref": f"also on row {seen_refs[item.external_ref] + 1}",
                }
                continue
            seen_refs[item.external_ref] = index
        prepared.append((item, required))
    taken = set(
        WorkItem.objects.filter(
            client_id=queue.client_id, external_ref__in=list(seen_refs)
        ).values_list("external_ref", flat=True)
    )
    if taken:
        for ref in taken:
            errors[seen_refs[ref]] = {
                "message": "An item with this external reference exists.",
                "external_ref": "already used",
            }
        prepared = [(i, r) for i, r in prepared if i.external_ref not in taken]
    if (errors and all_or_nothing) or dry_run:
        return [], errors  # nothing stored
    with transaction.atomic():
        _insert(prepared, actor=actor)
    if queue.routing == Queue.Routing.PUSH:
        for item, _ in prepared:
            offer(item=item)
    return [item for item, _ in prepared], errors


def _prepare(*, queue: Queue, fields: dict) -> tuple[WorkItem, dict[str, int]]:
    engagement = queue.engagement
    if engagement.status not in ACCEPTING_WORK:
        raise InvalidInput(
            f"The engagement is {engagement.status}; it takes work in transition or live.",
            code="engagement_not_live",
        )
    if not queue.is_active:
        raise InvalidInput("The queue is closed.", code="queue_inactive")
    key = fields.pop("work_type", None) or ""
    work_type = registry.get(key)
    if key not in queue.work_types:
        raise InvalidInput(
            f"Queue {queue.name!r} does not take {key!r} items.",
            fields={"work_type": f"this queue takes: {', '.join(queue.work_types) or 'nothing'}"},
        )
    payload = work_type.parse(fields.pop("payload", None) or {})
    required = _required_skills(work_type, fields.pop("required_skills", None) or {})
    language = _language(work_type, payload, fields.pop("language", None))
    channel = fields.pop("channel", None) or work_type.channel
    if channel not in CHANNELS:
        raise InvalidInput("Unknown channel.", fields={"channel": f"one of {', '.join(CHANNELS)}"})
    priority = fields.pop("priority", None) or queue.priority
    if not (isinstance(priority, int) and 1 <= priority <= 4):
        raise InvalidInput("Priority is 1 (P1, highest) to 4.", fields={"priority": str(priority)})
    hold = bool(fields.pop("hold", False))
    title = personal.clean_text(fields.pop("title", None) or work_type.title_of(payload))
    external_ref = personal.clean_text((fields.pop("external_ref", None) or "").strip())
    personal_data = bool(fields.pop("personal_data", False))
    if fields:
        raise InvalidInput("Unknown fields.", fields=dict.fromkeys(fields, "unknown"))
    now = timezone.now()
    plain_payload = payload.model_dump(mode="json")
    item = WorkItem(
        client_id=queue.client_id,
        engagement=engagement,
        queue=queue,
        work_type=key,
        title=title[:200],
        payload=personal.protect(
            client_id=queue.client_id, work_type=work_type, payload=plain_payload
        ),
        subject_keys=personal.lookup_keys(
            client_id=queue.client_id, work_type=work_type, plain=plain_payload
        ),
        priority=priority,
        language=language,
        personal_data=personal_data,
        external_ref=external_ref[:200],
        channel=channel,
        status=lifecycle.NEW if hold else lifecycle.QUEUED,
        created_at=now,
        queued_at=None if hold else now,
        updated_at=now,
    )
    sla.start_clocks(
        item,
        engagement=engagement,
        work_type=work_type,
        payload=payload,
        at_risk_percent=queue.at_risk_percent,
    )
    return item, required


def _required_skills(work_type, given: dict) -> dict[str, int]:
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


def _language(work_type, payload, given: str | None) -> str:
    language = given
    if not language and work_type.language_field:
        language = getattr(payload, work_type.language_field, "") or ""
    language = (language or "").lower()
    if language and (len(language) != 2 or not language.isalpha()):
        raise InvalidInput("Language is an ISO 639-1 code.", fields={"language": language})
    return language


def _insert(prepared: list[tuple[WorkItem, dict[str, int]]], *, actor) -> None:
    if not prepared:
        return
    items = [item for item, _ in prepared]
    creator = actor if getattr(actor, "pk", None) else None
    for item, required in prepared:
        item.created_by = creator
        item.skill_count = len(required)
        item.skill_keys = routing.skill_keys(required)
    try:
        with transaction.atomic():
            WorkItem.objects.bulk_create(items, batch_size=500)
    except IntegrityError as error:
        raise Conflict(
            "An item with this external reference exists.", fields={"external_ref": "already used"}
        ) from error
    SkillRequirement.objects.bulk_create(
        [
            SkillRequirement(client_id=item.client_id, item=item, skill=skill, min_level=level)
            for item, required in prepared
            for skill, level in sorted(required.items())
        ],
        batch_size=500,
    )
    events = []
    for item in items:
        events.append(_event(item, "item.created", actor, {"work_type": item.work_type}))
        if item.status == lifecycle.QUEUED:
            events.append(_event(item, "item.queued", actor, {"queue_id": item.queue_id}))
    WorkEvent.objects.bulk_create(events, batch_size=500)


def _event(item: WorkItem, kind: str, actor, data: dict, at: datetime | None = None):
    return WorkEvent(
        client_id=item.client_id,
        item=item,
        engagement_id=item.engagement_id,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        data=data,
        at=at or timezone.now(),
    )


def _log(item: WorkItem, kind: str, actor, data: dict | None = None, at=None) -> WorkEvent:
    event = _event(item, kind, actor, data or {}, at)
    event.save()
    return event


def security_alert_event(alert, engagement_id: int | None) -> None:
    """A security alert as an outbox event (so a client's webhook hears of it). Alerts
    not tied to one engagement stay on the ops console only."""
    if engagement_id is None:
        return
    WorkEvent.objects.create(
        client_id=alert.client_id,
        item_id=alert.object_id if alert.kind == "break_glass" else None,
        engagement_id=engagement_id,
        kind="security.alert",
        actor=None,
        data={
            "alert_id": alert.pk,
            "kind": alert.kind,
            "user_id": alert.user_id,
            "count": alert.count,
            "limit": alert.limit,
        },
        at=alert.created_at,
    )


def audit_checkpoint_event(row: AuditCheckpoint, checkpoint: Checkpoint) -> None:
    """A client's signed audit checkpoint as an outbox event, so its webhooks receive
    it: the signed document, about that client's own latest event only."""
    WorkEvent.objects.create(
        client_id=row.client_id,
        item=None,
        engagement=None,
        kind=CHECKPOINT_SIGNED,
        actor=None,
        data=checkpoint.model_dump(),
        at=row.signed_at,
    )


# --- claiming -------------------------------------------------------------------------


def get_next(*, agent: Agent, client_ids: Iterable[int], attempts: int = 5) -> WorkItem | None:
    """Claim the best item the agent may work (pull). None when nothing is eligible."""
    ids = sorted(client_ids)
    with client_scope(clients=ids), _one_sqlite_writer():
        for _ in range(attempts):
            outcome = _claim_next(agent=agent, client_ids=ids)
            if outcome is not False:
                return outcome
    return None


_SQLITE_WRITER = threading.Lock()


@contextmanager
def _one_sqlite_writer():
    """SQLite has one writer at a time anyway; queueing this process's claimers on a lock
    spares them its busy-wait lottery, in which an unlucky thread can starve past the
    busy timeout. PostgreSQL claimers run in parallel."""
    if connection.vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITER:
        yield


def _claim_next(*, agent: Agent, client_ids: list[int]):
    with transaction.atomic():
        if connection.vendor == "postgresql":
            context = routing.locked_context_postgresql(agent.pk, client_ids=client_ids)
        else:
            context = routing.context_of(_lock_agent(agent.pk), client_ids=client_ids)
        locked = context.agent
        if locked.presence != Agent.Presence.AVAILABLE:
            raise Conflict(
                f"You are {locked.get_presence_display().lower()}; set yourself available "
                "to take work.",
                code="agent_not_available",
            )
        if not context.engagements or not context.open_channels():
            return None
        groups = routing.calendar_groups(context)
        group = groups[0] if len(groups) == 1 else _best_group(context, groups)
        if group is None:
            return None
        item = _claim_in(context, group, how=Assignment.How.PULL, actor=locked.user_id)
        if item is None:
            return False if len(groups) > 1 else None
    return item


def _lock_agent(agent_id: int) -> Agent:
    return (
        Agent.objects.select_for_update(of=("self",))
        .select_related("site", "user")
        .get(pk=agent_id)
    )


def _best_group(context: routing.AgentContext, groups: list[list[int]]) -> list[int] | None:
    """Compare each calendar group's best item in business time: priority, then least
    SLA slack, then oldest."""
    now = timezone.now()
    best, best_key = None, None
    for group in groups:
        head = (
            routing.eligible_items(context, engagement_ids=group, routings=PULLABLE)
            .values("priority", "due_at", "queued_at", "engagement_id")
            .first()
        )
        if head is None:
            continue
        if head["due_at"] is None:
            slack = float("inf")
        else:
            cal = context.engagements[head["engagement_id"]].calendar
            slack = cal.between(now, head["due_at"]).total_seconds()
        key = (head["priority"], slack, head["queued_at"])
        if best_key is None or key < best_key:
            best, best_key = group, key
    return best


def _claim_in(context, engagement_ids: list[int], *, how: str, actor) -> WorkItem | None:
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _claim_postgresql(context, engagement_ids, how=how, actor=actor, now=now)
    if not context.queue_ids(engagement_ids, PULLABLE):
        return None
    sql, params = _pick_sql(context, engagement_ids, _shape_key(context, engagement_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None or not _take(row[0], context.agent, how=how, actor=actor, now=now):
        return None
    return WorkItem.objects.get(pk=row[0])


def _shape_key(context, engagement_ids) -> tuple:
    return (
        connection.vendor,
        tuple(sorted(clients_in_scope() or ())),
        *routing.shape(context, engagement_ids, PULLABLE),
    )


def _take(item_id: int, agent: Agent, *, how: str, actor, now, sources=(lifecycle.QUEUED,)):
    """Conditional claim of one item (the caller holds the transaction)."""
    won = WorkItem.objects.filter(pk=item_id, status__in=sources).update(
        status=lifecycle.ASSIGNED,
        assignee=agent,
        assigned_at=now,
        updated_at=now,
        version=F("version") + 1,
    )
    if not won:
        return False
    item = WorkItem.objects.only("id", "client_id", "engagement_id", "channel").get(pk=item_id)
    Assignment.objects.create(
        client_id=item.client_id,
        item=item,
        agent=agent,
        channel=item.channel,
        how=how,
        assigned_by=actor if how == Assignment.How.MANUAL else None,
        started_at=now,
    )
    _log(item, "item.assigned", actor, {"agent_id": agent.pk, "how": how}, at=now)
    return True


_PICKS: dict[tuple, tuple[str, tuple]] = {}
_COLUMNS = [f.column for f in WorkItem._meta.concrete_fields]


def _pick_sql(context, engagement_ids, key: tuple) -> tuple[str, tuple]:
    """The compiled pick for this query shape (compiling is most of an ORM claim's cost,
    and an agent's shape rarely changes between claims)."""
    found = _PICKS.get(key)
    if found is None:
        candidates = routing.eligible_items(
            context, engagement_ids=engagement_ids, routings=PULLABLE
        )
        picked = candidates.values("id")[:1]
        if connection.vendor == "postgresql":
            picked = picked.select_for_update(skip_locked=True, of=("self",))
        found = picked.query.get_compiler(connection=connection).as_sql()
        if len(_PICKS) > 10_000:
            _PICKS.clear()
        _PICKS[key] = found
    return found


def _claim_postgresql(context, engagement_ids, *, how: str, actor, now) -> WorkItem | None:
    """Pick and claim in one statement: the pick skips rows other claimers hold."""
    if not context.queue_ids(engagement_ids, PULLABLE):
        return None
    pick_sql, pick_params = _pick_sql(context, engagement_ids, _shape_key(context, engagement_ids))
    agent = context.agent
    item, assignment, event = (m._meta.db_table for m in (WorkItem, Assignment, WorkEvent))
    actor_id = getattr(actor, "pk", actor)
    columns = ", ".join(f"w.{c}" for c in _COLUMNS)
    sql = f"""
        WITH picked AS ({pick_sql}),
        claimed AS (
            UPDATE {item} w SET status = 'assigned', assignee_id = %s, assigned_at = %s,
                updated_at = %s, version = w.version + 1
            FROM picked WHERE w.id = picked.id AND w.status = 'queued'
            RETURNING {columns}
        ),
        held AS (
            INSERT INTO {assignment}
                (client_id, item_id, agent_id, channel, how, assigned_by_id, started_at,
                 ended_at, end_reason)
            SELECT client_id, id, %s, channel, %s, %s, %s, NULL, '' FROM claimed
        ),
        logged AS (
            INSERT INTO {event} (client_id, item_id, engagement_id, kind, actor_id, data, at)
            SELECT client_id, id, engagement_id, 'item.assigned', %s, %s::jsonb, %s
            FROM claimed
        )
        SELECT * FROM claimed
    """
    params = (
        *pick_params,
        agent.pk,
        now,
        now,
        agent.pk,
        how,
        actor_id if how == Assignment.How.MANUAL else None,
        now,
        actor_id,
        json.dumps({"agent_id": agent.pk, "how": how}),
        now,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return WorkItem.from_db(
        connection.alias,
        [f.attname for f in WorkItem._meta.concrete_fields],
        [_from_db(f, value) for f, value in zip(WorkItem._meta.concrete_fields, row, strict=True)],
    )


def _from_db(field, value):
    convert = getattr(field, "from_db_value", None)
    return value if convert is None else convert(value, None, connection)


def offer(*, item: WorkItem) -> Agent | None:
    """Push: give a newly queued item to a qualified available agent, the one idle
    longest or least loaded as the queue says. None when nobody qualifies now (the item
    waits; `offer_waiting` tries again when an agent frees up).

    Candidates are ranked from one load query; the routing rules are then checked under
    each candidate's lock in rank order, stopping at the first who qualifies."""
    with client_scope(clients=[item.client_id]):
        agents = list(
            Agent.objects.filter(
                presence=Agent.Presence.AVAILABLE,
                user__is_active=True,
                clearances__engagement_id=item.engagement_id,
            ).select_related("site", "user")
        )
        required = required_skills(item)
        for agent in _push_order(item.queue, agents):
            with transaction.atomic():
                locked = _lock_agent(agent.pk)
                context = routing.context_of(locked, client_ids=[item.client_id])
                if locked.presence != Agent.Presence.AVAILABLE or routing.reasons(
                    context, item, required
                ):
                    continue
                if _take(item.pk, locked, how=Assignment.How.PUSH, actor=None, now=timezone.now()):
                    return locked
                return None  # someone else took the item meanwhile
    return None


def _push_order(queue: Queue, agents: list[Agent]) -> list[Agent]:
    if queue.push_strategy != Queue.PushStrategy.LEAST_LOADED:
        return sorted(agents, key=lambda a: (a.idle_since, a.pk))
    held = dict(
        Assignment.objects.filter(agent__in=agents, ended_at__isnull=True)
        .values_list("agent_id")
        .annotate(n=Count("id"))
    )

    def share(agent: Agent) -> tuple:
        room = max(sum(agent.capacity.values()), 1)
        return (held.get(agent.pk, 0) / room, agent.idle_since, agent.pk)

    return sorted(agents, key=share)


def offer_waiting(*, agent: Agent, client_ids: Iterable[int]) -> int:
    """An agent became free: hand them waiting push-queue items up to their capacity."""
    given = 0
    ids = sorted(client_ids)
    with client_scope(clients=ids):
        while True:
            with transaction.atomic():
                locked = _lock_agent(agent.pk)
                if locked.presence != Agent.Presence.AVAILABLE:
                    return given
                context = routing.context_of(locked, client_ids=ids)
                if not context.engagements or not context.open_channels():
                    return given
                candidates = routing.eligible_items(
                    context, engagement_ids=list(context.engagements), routings=("push",)
                )
                item_id = candidates.values_list("id", flat=True).first()
                if item_id is None or not _take(
                    item_id, locked, how=Assignment.How.PUSH, actor=None, now=timezone.now()
                ):
                    return given
                given += 1


def assign(*, actor, item: WorkItem, agent: Agent, version: int | None = None) -> WorkItem:
    """Manual: a team lead gives the item to an agent. The routing rules still apply;
    a refusal lists every rule the agent fails."""
    if item.status not in (lifecycle.QUEUED, lifecycle.ASSIGNED):
        raise IllegalTransition(
            f"An item that is {item.status} cannot be assigned.",
            allowed=lifecycle.allowed_actions(item.status),
        )
    with transaction.atomic():
        locked = _lock_agent(agent.pk)
        context = routing.context_of(locked, client_ids=[item.client_id])
        refused = routing.reasons(context, item, required_skills(item))
        if refused:
            raise InvalidInput(
                f"{locked.user.full_name} may not take this item.",
                code="not_eligible",
                fields={"reasons": refused},
            )
        current = WorkItem.objects.select_for_update().get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        if current.status == lifecycle.ASSIGNED:
            _end_assignment(current, reason="reassigned")
        if not _take(
            item.pk,
            locked,
            how=Assignment.How.MANUAL,
            actor=actor,
            now=timezone.now(),
            sources=(lifecycle.QUEUED, lifecycle.ASSIGNED),
        ):
            raise Conflict("Someone else changed the item; reload and retry.", code="stale_version")
    item.refresh_from_db()
    return item


def required_skills(item: WorkItem) -> dict[str, int]:
    return dict(SkillRequirement.objects.filter(item=item).values_list("skill", "min_level"))


def _stale() -> Conflict:
    return Conflict("The item changed since you loaded it; reload and retry.", code="stale_version")


def _end_assignment(item: WorkItem, *, reason: str) -> None:
    now = timezone.now()
    open_ = Assignment.objects.filter(item=item, ended_at__isnull=True).first()
    if open_ is None:
        return
    Assignment.objects.filter(pk=open_.pk).update(ended_at=now, end_reason=reason)
    if not Assignment.objects.filter(agent_id=open_.agent_id, ended_at__isnull=True).exists():
        Agent.objects.filter(pk=open_.agent_id).update(idle_since=now)


# --- life cycle -----------------------------------------------------------------------


def transition(
    *,
    actor,
    item: WorkItem,
    action: str,
    version: int | None = None,
    waiting_on: str = "",
    resolution: str = "",
    reason: str = "",
) -> WorkItem:
    """Move the item by `action` (see `lifecycle.ACTIONS`); 409 lists the legal moves."""
    if action not in lifecycle.ACTIONS or action in ("assign", "transfer"):
        raise InvalidInput(
            f"Unknown action {action!r}.",
            fields={"action": f"one of {', '.join(lifecycle.allowed_actions(item.status))}"},
        )
    with transaction.atomic():
        current = WorkItem.objects.select_for_update().get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        target = _target(current, action, waiting_on)
        now = timezone.now()
        data: dict = {"from": current.status, "to": target}
        if action == "resolve":
            _resolve(current, resolution, now, data)
        _stop_working(current, now)
        if current.status in lifecycle.WAITING and target not in lifecycle.WAITING:
            _unpause(current, now, data)
        released_agent = _apply(current, action, target, now, waiting_on)
        current.status = target
        current.updated_at = now
        current.version += 1
        sla.mirror(current)
        current.save()
        if reason:
            data["reason"] = reason
        _log(current, f"item.{_past(action)}", actor, data, at=now)
    if released_agent and current.queue.routing != Queue.Routing.MANUAL:
        _refill(released_agent, current.client_id)
    if action in ("reopen", "unassign", "release") and current.queue.routing == "push":
        offer(item=current)
        current.refresh_from_db()
    return current


def _target(current: WorkItem, action: str, waiting_on: str) -> str:
    target = lifecycle.target_of(action, current.status, waiting_on=waiting_on)
    if target is not None:
        return target
    if action == "wait" and current.status == lifecycle.IN_PROGRESS:
        raise InvalidInput(
            "Say whom the item waits on.", fields={"waiting_on": "client or customer"}
        )
    raise IllegalTransition(
        f"An item that is {current.status} cannot {action}.",
        allowed=lifecycle.allowed_actions(current.status),
    )


def _resolve(current: WorkItem, resolution: str, now: datetime, data: dict) -> None:
    problems = _completion_problems(current, resolution)
    if problems:
        raise InvalidInput(
            "The item is not complete.", code="incomplete", fields={"checks": problems}
        )
    current.resolution = resolution
    current.resolved_at = now
    current.sla_met = None if current.due_at is None else now <= current.due_at
    data["sla_met"] = current.sla_met


def _unpause(current: WorkItem, now: datetime, data: dict) -> None:
    """The clock runs again: move every unmet moment by the business time waited."""
    paused = sla.shift_for_pause(
        current, engagement=current.engagement, paused_from=current.waiting_since, paused_to=now
    )
    current.sla_paused_seconds += paused
    current.waiting_since, current.waiting_on = None, ""
    data["paused_business_seconds"] = paused


_STAMPS = {"close": "closed_at", "cancel": "cancelled_at", "release": "queued_at"}


def _apply(current: WorkItem, action: str, target: str, now, waiting_on: str) -> int | None:
    """The action's own changes; returns the agent it freed, if any."""
    if action == "wait":
        current.waiting_since, current.waiting_on = now, waiting_on
        if waiting_on == "customer":
            _first_response(current, now)
    if target == lifecycle.IN_PROGRESS:
        current.working_since = now
        current.started_at = current.started_at or now
    if action in _STAMPS:
        setattr(current, _STAMPS[action], now)
    released = None
    if action in ("unassign", "reopen", "cancel", "resolve") and current.assignee_id:
        released = current.assignee_id
        _end_assignment(current, reason=action)
    if action in ("unassign", "reopen", "cancel"):
        current.assignee = None
    if action in ("unassign", "reopen"):
        current.queued_at = now
    if action == "reopen":
        current.reopen_count += 1
        current.resolved_at = current.closed_at = None
        current.sla_met = None
    return released


def _past(action: str) -> str:
    return {
        "release": "queued",
        "start": "started",
        "wait": "waiting",
        "resume": "resumed",
        "resolve": "resolved",
        "close": "closed",
        "reopen": "reopened",
        "cancel": "cancelled",
        "unassign": "unassigned",
    }[action]


def _stop_working(item: WorkItem, now: datetime) -> None:
    if item.working_since is not None:
        item.handle_seconds += max(int((now - item.working_since).total_seconds()), 0)
        item.working_since = None


def _first_response(item: WorkItem, now: datetime) -> None:
    if item.first_response_at is None:
        item.first_response_at = now
        sla.mirror(item)


def _completion_problems(item: WorkItem, resolution: str) -> list[str]:
    work_type = registry.get(item.work_type)
    problems = []
    if work_type.completion_check is not None:
        problems += work_type.completion_check(work_type.parse_stored(item.payload), resolution)
    if work_type.item_check is not None:
        problems += work_type.item_check(item.pk)
    return problems


def _refill(agent_id: int, client_id: int) -> None:
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is not None and agent.presence == Agent.Presence.AVAILABLE:
        with all_clients_scope():
            client_ids = sorted(
                set(agent.clearances.values_list("client_id", flat=True)) | {client_id}
            )
        offer_waiting(agent=agent, client_ids=client_ids)


def transfer(*, actor, item: WorkItem, queue: Queue, version: int | None = None, reason=""):
    """Move the item to another queue of the same engagement; it is queued again there."""
    _check_transfer(item, queue)
    released = None
    with transaction.atomic():
        current = WorkItem.objects.select_for_update().get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        if current.status not in lifecycle.ACTIONS["transfer"][0]:
            raise IllegalTransition(
                f"An item that is {current.status} cannot be transferred.",
                allowed=lifecycle.allowed_actions(current.status),
            )
        now = timezone.now()
        data = {"from_queue_id": current.queue_id, "to_queue_id": queue.pk, "from": current.status}
        if current.status in lifecycle.WAITING:
            _unpause(current, now, data)
        _stop_working(current, now)
        if current.assignee_id:
            released = current.assignee_id
            _end_assignment(current, reason="transferred")
        current.queue = queue
        current.status = lifecycle.QUEUED
        current.assignee = None
        current.queued_at = now
        current.updated_at = now
        current.version += 1
        current.save()
        if reason:
            data["reason"] = reason
        _log(current, "item.transferred", actor, data, at=now)
    if released:
        _refill(released, current.client_id)
    if queue.routing == Queue.Routing.PUSH:
        offer(item=current)
        current.refresh_from_db()
    return current


def _check_transfer(item: WorkItem, queue: Queue) -> None:
    if queue.engagement_id != item.engagement_id:
        raise InvalidInput(
            "Items move only between queues of the same engagement.",
            fields={"queue_id": "other engagement"},
        )
    if item.work_type not in queue.work_types:
        raise InvalidInput(
            f"Queue {queue.name!r} does not take {item.work_type!r} items.",
            fields={"queue_id": "wrong work type"},
        )
    if queue.pk == item.queue_id:
        raise InvalidInput("The item is already in that queue.", fields={"queue_id": "same queue"})


def update_item(*, actor, item: WorkItem, version: int, changes: dict) -> WorkItem:
    """Edit title, priority, language, personal-data flag, reference or payload (checked
    against the work type's schema) if nobody changed the item since `version`."""
    allowed = {"title", "priority", "language", "personal_data", "external_ref", "payload"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(
            "These fields cannot be edited.", fields=dict.fromkeys(unknown, "read-only")
        )
    if "priority" in changes and not 1 <= changes["priority"] <= 4:
        raise InvalidInput("Priority is 1 (P1, highest) to 4.", fields={"priority": "1-4"})
    for name in ("title", "external_ref"):
        if isinstance(changes.get(name), str):
            changes[name] = personal.clean_text(changes[name])
    if "payload" in changes:
        work_type = registry.get(item.work_type)
        incoming = (
            personal.unsealed_for_edit(
                stored=item.payload,
                incoming=changes["payload"] if isinstance(changes["payload"], dict) else {},
                names=work_type.personal_fields,
            )
            if isinstance(changes["payload"], dict)
            else changes["payload"]
        )
        plain = work_type.parse(incoming).model_dump(mode="json")
        changes["payload"] = personal.protect(
            client_id=item.client_id, work_type=work_type, payload=plain
        )
        changes["subject_keys"] = personal.lookup_keys(
            client_id=item.client_id, work_type=work_type, plain=plain
        )
    now = timezone.now()
    with transaction.atomic():
        update_versioned(
            WorkItem,
            pk=item.pk,
            version=version,
            changes={**changes, "updated_at": now},
            what="item",
            taken=("external_ref", "An item with this external reference exists."),
        )
        _log(item, "item.updated", actor, {"fields": sorted(changes)}, at=now)
    item.refresh_from_db()
    return item


def comment(*, actor, item: WorkItem, body: str, internal: bool = True) -> Comment:
    """A note on the item. A reply to the customer (not internal) by the provider side
    counts as the first response."""
    body = personal.clean_text(body.strip())
    if not body:
        raise InvalidInput("The comment is empty.", fields={"body": "required"})
    now = timezone.now()
    with transaction.atomic():
        note = Comment.objects.create(
            client_id=item.client_id,
            item=item,
            author=actor,
            body=body,
            internal=internal,
            created_at=now,
        )
        if not internal and actor.client_id is None:
            current = WorkItem.objects.select_for_update().get(pk=item.pk)
            if current.first_response_at is None:
                _first_response(current, now)
                current.save(
                    update_fields=["first_response_at", "due_at", "at_risk_at", "route_due_at"]
                )
                _log(current, "item.responded", actor, {}, at=now)
        _log(item, "item.commented", actor, {"comment_id": note.pk, "internal": internal}, at=now)
    return note


# --- the SLA sweeper ------------------------------------------------------------------


_METRIC = Case(
    When(
        response_due_at__isnull=False,
        first_response_at__isnull=True,
        then=Value(sla.RESPONSE),
    ),
    default=Value(sla.RESOLUTION),
)


def sweep(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Raise at-risk and breach alerts that are due, once each, and apply the queue's
    escalation rule. Safe to run from several schedulers at once: the unique
    (item, metric, kind) constraint lets exactly one alert through."""
    now = now or timezone.now()
    counts = {"at_risk": 0, "breached": 0}
    open_ = (lifecycle.NEW, lifecycle.QUEUED, lifecycle.ASSIGNED, lifecycle.IN_PROGRESS)
    with all_clients_scope():
        for kind, column in (("at_risk", "at_risk_at"), ("breached", "due_at")):
            raised = SlaAlert.objects.filter(
                item=OuterRef("pk"), kind=kind, metric=OuterRef("metric")
            )
            due = (
                WorkItem.objects.filter(status__in=open_, **{f"{column}__lte": now})
                .annotate(metric=_METRIC)
                .exclude(Exists(raised))
                .order_by(column)[:limit]
            )
            for item in due.select_related("queue"):
                if _raise_alert(item, kind=kind, now=now):
                    counts[kind] += 1
    return counts


def _raise_alert(item: WorkItem, *, kind: str, now: datetime) -> bool:
    metric = sla.current_metric(item)
    due_at = item.due_at if kind == "breached" else item.at_risk_at
    try:
        with transaction.atomic():
            SlaAlert.objects.create(
                client_id=item.client_id,
                item=item,
                metric=metric,
                kind=kind,
                due_at=due_at,
                raised_at=now,
            )
            _log(
                item,
                f"sla.{kind}",
                None,
                {"metric": metric, "due_at": item.due_at.isoformat()},
                at=now,
            )
            _escalate(item, kind=kind, now=now)
    except IntegrityError:
        return False  # another sweeper raised it
    return True


def _escalate(item: WorkItem, *, kind: str, now: datetime) -> None:
    queue = item.queue
    rule = queue.escalation
    if rule == Queue.Escalation.NONE:
        return
    if rule == Queue.Escalation.NOTIFY_LEAD:
        _log(
            item,
            "item.escalated",
            None,
            {"rule": rule, "on": kind, "notify_user_id": queue.team_lead_id},
            at=now,
        )
    elif rule == Queue.Escalation.RAISE_PRIORITY and item.priority > 1:
        WorkItem.objects.filter(pk=item.pk).update(
            priority=F("priority") - 1, version=F("version") + 1, updated_at=now
        )
        _log(
            item,
            "item.escalated",
            None,
            {"rule": rule, "on": kind, "priority": item.priority - 1},
            at=now,
        )
    elif rule == Queue.Escalation.MOVE and queue.escalation_queue_id and kind == "breached":
        target = queue.escalation_queue
        if item.assignee_id:
            _end_assignment(item, reason="escalated")
        WorkItem.objects.filter(pk=item.pk).update(
            queue=target,
            status=lifecycle.QUEUED,
            assignee=None,
            queued_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
        _log(
            item,
            "item.escalated",
            None,
            {"rule": rule, "on": kind, "to_queue_id": target.pk},
            at=now,
        )


# --- personal data ----------------------------------------------------------------------


def reveal(*, actor, item: WorkItem, reason: str) -> tuple[dict, RevealGrant]:
    """The item's personal fields in clear for REVEAL_SECONDS, with the reason audited.
    While the actor has an open misuse alert the grant waits for a supervisor and
    nothing is shown ({}, pending grant)."""
    work_type = registry.find(item.work_type)
    names = list(work_type.personal_fields) if work_type else []
    grant = security.request_reveal(
        actor=actor,
        client_id=item.client_id,
        object_type="work_item",
        object_id=item.pk,
        reason=reason,
        step_up=misuse.step_up_required(user=actor),
    )
    if grant.status != RevealGrant.Status.GRANTED:
        return {}, grant
    return personal.opened(item.payload, names), grant


def break_glass(*, actor, item: WorkItem, reason: str):
    """Open an item routing did not give the actor (see `access`)."""
    if item.personal_data and item.engagement_id in access.residency_blocked(
        actor, [item.client_id]
    ):
        raise NotFound("Work item not found.")
    return security.break_glass(
        actor=actor,
        client_id=item.client_id,
        object_id=item.pk,
        engagement_id=item.engagement_id,
        reason=reason,
    )


def revealed(*, actor, item: WorkItem) -> tuple[dict, RevealGrant] | None:
    """The personal fields in clear while the actor holds a live grant, else None."""
    grant = security.live_grant(user=actor, object_type="work_item", object_id=item.pk)
    if grant is None:
        return None
    work_type = registry.find(item.work_type)
    return personal.opened(item.payload, work_type.personal_fields if work_type else ()), grant


def escalate(*, actor, item: WorkItem, reason: str, version: int | None = None) -> WorkItem:
    """Raise the item one priority step with a reason; when its queue names an
    escalation queue that takes this kind of work, the item moves there too."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the item is escalated.", fields={"reason": "required"})
    if item.status not in lifecycle.OPEN:
        raise IllegalTransition(
            f"An item that is {item.status} cannot be escalated.",
            allowed=lifecycle.allowed_actions(item.status),
        )
    with transaction.atomic():
        current = WorkItem.objects.select_for_update().select_related("queue").get(pk=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        now = timezone.now()
        before = current.priority
        current.priority = max(1, current.priority - 1)
        current.updated_at = now
        current.version += 1
        current.save(update_fields=["priority", "updated_at", "version"])
        _log(
            current,
            "item.escalated",
            actor,
            {"reason": reason[:1000], "priority_from": before, "priority_to": current.priority},
            at=now,
        )
    target = current.queue.escalation_queue
    if (
        target is not None
        and target.pk != current.queue_id
        and target.is_active
        and current.work_type in target.work_types
    ):
        return transfer(actor=actor, item=current, queue=target, reason=f"Escalated: {reason}")
    return current


# --- closing an item for the record it stands for ------------------------------------

RECORD_ENDS = {"resolve": lifecycle.RESOLVED, "cancel": lifecycle.CANCELLED}


def close_for_record(*, actor, item_id: int, action: str, text: str) -> WorkItem | None:
    """Resolve or cancel an open item, from whatever open status it is in, because the
    record it stands for has ended (a pay run finalised or cancelled). The service that
    owns the record decides, in its own transaction, so the agent's steps (assign,
    start) are not asked for; everything else is as `transition` does it: the work
    type's completion check, the SLA clock stopped and judged, the agent freed, and the
    same `item.resolved` or `item.cancelled` event (chained into the audit trail from
    the outbox), marked `for_record`. An item no longer open is left as it is (None)."""
    if action not in RECORD_ENDS:
        raise InvalidInput(f"Unknown action {action!r}.", fields={"action": "resolve or cancel"})
    current = locks.lock_item(item_id=item_id)
    if current.status not in lifecycle.OPEN:
        return None
    now = timezone.now()
    data: dict = {"from": current.status, "to": RECORD_ENDS[action], "for_record": True}
    if current.status in lifecycle.WAITING:
        _unpause(current, now, data)  # the clock is judged with the pause taken off
    if action == "resolve":
        _resolve(current, text, now, data)
    else:
        data["reason"] = text
    _stop_working(current, now)
    released = _apply(current, action, RECORD_ENDS[action], now, "")
    current.status = RECORD_ENDS[action]
    current.updated_at = now
    current.version += 1
    sla.mirror(current)
    current.save()
    _log(current, f"item.{_past(action)}", actor, data, at=now)
    if released and current.queue.routing != Queue.Routing.MANUAL:
        client_id = current.client_id
        transaction.on_commit(lambda: _refill(released, client_id))
    return current
