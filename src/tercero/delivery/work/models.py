"""The work engine's tables: queues, work items, assignments, events, SLA alerts, webhooks."""

import uuid
from datetime import UTC, datetime

from django.db import models
from django.db.models import Q

from tercero.delivery.work import event_types, lifecycle
from tercero.platform.tenancy.models import ClientOwned

NO_DUE_TIME = datetime(9999, 12, 31, tzinfo=UTC)


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    EMAIL = "email", "E-mail"
    WEB_FORM = "web_form", "Web form"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    WEBHOOK = "webhook", "Webhook"
    BACK_OFFICE = "back_office", "Back office"


# django-scopes' manager is untyped, so the plugin cannot type the reverse managers of
# the client-owned models pointing here: `queue.items` is unchecked
class Queue(ClientOwned):  # type: ignore[django-manager-missing]
    """Where an engagement's items wait. Items without a priority take the queue's."""

    class Routing(models.TextChoices):
        PULL = "pull", "Pull (agents ask for the next item)"
        PUSH = "push", "Push (offered to an available agent on arrival)"
        MANUAL = "manual", "Manual (a team lead assigns)"

    class PushStrategy(models.TextChoices):
        LONGEST_IDLE = "longest_idle", "Agent idle longest"
        LEAST_LOADED = "least_loaded", "Least loaded agent"

    class Escalation(models.TextChoices):
        NONE = "none", "None"
        NOTIFY_LEAD = "notify_lead", "Notify the team lead"
        RAISE_PRIORITY = "raise_priority", "Raise the priority by one"
        MOVE = "move", "Move to the escalation queue"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="queues"
    )
    name = models.CharField(max_length=100)
    work_types = models.JSONField(default=list)
    priority = models.PositiveSmallIntegerField(default=3)
    routing = models.CharField(max_length=8, choices=Routing.choices, default="pull")
    push_strategy = models.CharField(
        max_length=16, choices=PushStrategy.choices, default="longest_idle"
    )
    at_risk_percent = models.PositiveSmallIntegerField(default=80)
    escalation = models.CharField(max_length=16, choices=Escalation.choices, default="none")
    escalation_queue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_lead = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    # False: the queue follows the engagement's calendar. True: it is open only in its own
    # `working_hours` (the engagement's shape: {"0": [["08:00", "12:00"], ...]}), in the
    # engagement's time zone and with its holidays and closures (`queue_hours`).
    has_own_hours = models.BooleanField(default=False)
    working_hours = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "name"], name="queue_unique_name"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="queue_priority_1_4"
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=99),
                name="queue_at_risk_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# django-scopes' manager is untyped, so the plugin cannot type the reverse managers of
# the client-owned models pointing here: `item.events` and the like are unchecked
class WorkItem(ClientOwned):  # type: ignore[django-manager-missing]
    """One unit of outsourced work. `version` guards edits; status moves follow
    `lifecycle`; every change writes a `WorkEvent` in the same transaction."""

    # the functional form with (value, label) pairs, which django-stubs does not describe
    Status = models.TextChoices(  # type: ignore[call-overload]
        "Status", [(s, s.replace("_", " ").capitalize()) for s in lifecycle.STATUSES]
    )

    class SlaState(models.TextChoices):
        NONE = "none", "No SLA"
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        BREACHED = "breached", "Breached"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="items")
    work_type = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    priority = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=2, blank=True)
    personal_data = models.BooleanField(default=False)
    # keyed hashes of the personal values, to find a data subject's items again
    subject_keys = models.JSONField(default=list, blank=True)
    external_ref = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # how many `SkillRequirement` rows the item has: lets the claim skip the check
    skill_count = models.PositiveSmallIntegerField(default=0)
    # the same requirements as "skill:level" keys, so PostgreSQL checks them in the row
    # (JSON containment) while a claim walks the queue
    skill_keys = models.JSONField(default=list, blank=True)
    # an agent who must never get the item: the one whose work it reviews (a quality
    # evaluation), so no route (pull, push, manual) gives it to them
    not_for_agent_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=lifecycle.QUEUED)
    waiting_on = models.CharField(max_length=16, blank=True)
    assignee = models.ForeignKey(
        "workforce.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)

    # Timestamps of every step (UTC).
    created_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    working_since = models.DateTimeField(null=True, blank=True)
    handle_seconds = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)

    # SLA clock (see `sla.py`). `due_at` / `at_risk_at` are the clock that runs now:
    # first response until answered, then resolution. Both shift when the clock pauses.
    response_due_at = models.DateTimeField(null=True, blank=True)
    response_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    # `due_at` for routing order, never NULL (no due time sorts last), so every engine
    # can walk the queued-order index instead of sorting the queue on each claim
    route_due_at = models.DateTimeField(default=NO_DUE_TIME)
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    sla_met = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["queue", "status", "priority", "due_at", "queued_at"],
                name="workitem_routing",
            ),
            # the claim walks queued items in routing order and stops at the first it
            # may take (SKIP LOCKED): this index gives that order for status = queued,
            # even when the status arrives as a bound parameter
            models.Index(
                fields=["status", "priority", "route_due_at", "queued_at", "id"],
                name="workitem_queued_order",
            ),
            models.Index(fields=["status", "at_risk_at"], name="workitem_at_risk"),
            models.Index(fields=["status", "due_at"], name="workitem_due"),
            models.Index(fields=["client", "status"], name="workitem_client_status"),
            models.Index(fields=["assignee", "status"], name="workitem_assignee"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_ref"],
                condition=~Q(external_ref=""),
                name="workitem_unique_external_ref",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="workitem_priority_1_4"
            ),
            models.CheckConstraint(
                condition=Q(status__in=lifecycle.STATUSES), name="workitem_known_status"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class SkillRequirement(ClientOwned):
    """The item needs `skill` at `min_level` or better (1-5)."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="required_skills")
    skill = models.CharField(max_length=64)
    min_level = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "skill"], name="skill_requirement_unique"),
            models.CheckConstraint(
                condition=Q(min_level__gte=1, min_level__lte=5), name="skill_requirement_level"
            ),
        ]


class Assignment(ClientOwned):
    """Who holds the item. The partial unique index is the last line of defence for
    exactly-once claiming: at most one open assignment per item, on every engine."""

    class How(models.TextChoices):
        PULL = "pull", "Pulled by the agent"
        PUSH = "push", "Pushed on arrival"
        MANUAL = "manual", "Assigned by a team lead"

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="assignments")
    agent = models.ForeignKey("workforce.Agent", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    how = models.CharField(max_length=8, choices=How.choices)
    assigned_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(ended_at__isnull=True),
                name="one_open_assignment_per_item",
            ),
        ]
        indexes = [
            models.Index(
                fields=["agent", "channel"],
                condition=Q(ended_at__isnull=True),
                name="assignment_open_by_agent",
            )
        ]


class Comment(ClientOwned):
    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


def _attachment_path(attachment: "Attachment", filename: str) -> str:
    # never the uploaded name: no path tricks, no guessable URLs
    return f"attachments/{attachment.client_id}/{uuid.uuid4().hex}"


class Attachment(ClientOwned):
    """A file that came with a work item (a scanned form, a document to key). Served
    only as a download, to those who may read the item."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class WorkEvent(ClientOwned):
    """The outbox: written in the same transaction as the change it describes, never
    edited. Consumers (`outbox.py`) read it in id order, at least once, idempotently."""

    id = models.BigAutoField(primary_key=True)
    item = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    # null for events about the client as a whole (a signed audit checkpoint)
    engagement = models.ForeignKey(
        "engagements.Engagement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["item", "id"], name="workevent_item")]

    @property
    def label(self) -> str:
        """The event in words, as an item's history shows it."""
        return event_types.label_of(self.kind)


class SlaAlert(ClientOwned):
    """At most one at-risk and one breach alert per item and metric: the unique
    constraint makes the sweeper exactly-once even with two schedulers running."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="sla_alerts")
    metric = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)
    due_at = models.DateTimeField()
    raised_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "metric", "kind"], name="sla_alert_once"),
        ]


class ConsumerPosition(models.Model):
    """How far each outbox consumer has read (global: consumers read every client)."""

    name = models.CharField(max_length=64, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


class EventReceipt(ClientOwned):
    """Consumer `consumer` has handled `event`: written in the handler's transaction,
    so a handler that dies mid-way leaves no receipt and no side effect."""

    consumer = models.CharField(max_length=64)
    event = models.ForeignKey(WorkEvent, on_delete=models.CASCADE, related_name="+")
    handled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event"], name="event_receipt_once"),
        ]


# django-scopes' manager is untyped, so the plugin cannot type the reverse managers of
# the client-owned models pointing here: `endpoint.deliveries` is unchecked
class WebhookEndpoint(ClientOwned):  # type: ignore[django-manager-missing]
    """A client's URL that receives signed work events."""

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    kinds = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class WebhookDelivery(ClientOwned):
    """One event for one endpoint, with its attempts: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WorkEvent, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]


class ImportJob(ClientOwned):
    """A large CSV import, run by the task worker in chunks. Each chunk's items and the
    job's progress (`rows_done`, counts, errors) are written in one transaction, so a
    worker killed mid-chunk leaves neither, and the next run goes on from `rows_done`:
    every row is taken in exactly once, keyed by its row number in the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CHECKING = "checking", "Checking every row first"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused (bad rows, nothing imported)"
        FAILED = "failed", "Failed"

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        "identity.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200)
    file_name = models.CharField(max_length=200, blank=True)
    all_or_nothing = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default="queued")
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # the first errors by line number in the file (the header is line 1)
    errors = models.JSONField(default=dict)
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # when a chunk last committed: a job that stops moving is run again (its worker died)
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)
