"""Schedules' stored records.

Templates, labour rules, schedules and their shifts belong to the provider: agents and
sites serve several clients, so one roster covers them all. What a schedule means for
one client's queues (the coverage per interval) is client data and is stored per queue,
under row-level security."""

from django.db import models

from tercero.platform.figures import FigureField
from tercero.platform.tenancy.models import ClientOwned


class ShiftTemplate(models.Model):
    """A shift a site offers: it starts at `start` in the site's local time on the
    weekdays listed (0 = Monday) and lasts `minutes`, breaks included."""

    site = models.ForeignKey(
        "workforce.Site", on_delete=models.CASCADE, related_name="shift_templates"
    )
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    start = models.TimeField()
    minutes = models.PositiveIntegerField()
    weekdays = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site_id", "start", "key"]
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="shift_template_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label


class LabourRuleSet(models.Model):
    """The site's labour rules, stored as `labour.LabourRules.to_dict()` and read back
    through `LabourRules.from_dict`, which refuses rules that cannot hold."""

    site = models.OneToOneField(
        "workforce.Site", on_delete=models.CASCADE, related_name="labour_rules"
    )
    rules = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)


class Schedule(models.Model):
    """A roster for the agents of one or more sites over `days` days from `first_day`."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SOLVING = "solving", "Being built"
        READY = "ready", "Ready to publish"
        PUBLISHED = "published", "Published"
        REPLACED = "replaced", "Replaced by a later schedule"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100)
    sites = models.ManyToManyField("workforce.Site", related_name="+")
    first_day = models.DateField()
    days = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    progress = models.CharField(max_length=300, blank=True)
    solve_status = models.CharField(max_length=32, blank=True)
    solve_seconds = FigureField(null=True, blank=True)
    under_agent_minutes = FigureField(null=True, blank=True)
    over_agent_minutes = FigureField(null=True, blank=True)
    coverage_percent = FigureField(null=True, blank=True)
    # the clients whose queues the coverage figures above span (set when built)
    client_ids = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    time_limit_seconds = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(
        "identity.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    published_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-first_day", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def under_agent_hours(self) -> float | None:
        return None if self.under_agent_minutes is None else self.under_agent_minutes / 60

    @property
    def over_agent_hours(self) -> float | None:
        return None if self.over_agent_minutes is None else self.over_agent_minutes / 60


class ScheduledShift(models.Model):
    """One agent's shift in a schedule, in UTC; breaks are [[start, end], ...] in ISO
    8601 and `serves` the need keys (`queue:<id>`) the agent may cover in it.
    `activities` are [[start, end, kind], ...] placed over the shift by a lead (a
    meeting, training, coaching or an approved exception): neutral time for adherence."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="shifts")
    agent = models.ForeignKey("workforce.Agent", on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=100, blank=True)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    breaks = models.JSONField(default=list)
    serves = models.JSONField(default=list)
    activities = models.JSONField(default=list)
    edited_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start_at", "agent_id"]
        indexes = [
            models.Index(fields=["agent", "start_at"]),
            models.Index(fields=["schedule", "agent"]),
        ]

    @property
    def minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)


class QueueCoverage(ClientOwned):
    """How well a schedule covers one client queue in one interval: agents needed and
    how many short of that the roster is (0 when covered)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey("work.Queue", on_delete=models.CASCADE, related_name="+")
    start_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField()
    needed = FigureField()
    short = FigureField(default=0)

    class Meta:
        ordering = ["start_at", "queue_id"]
        indexes = [models.Index(fields=["schedule", "start_at"])]

    @property
    def is_gap(self) -> bool:
        return self.short > 0.005


class Unavailability(models.Model):
    """A time the agent cannot be scheduled (leave, training); the roster avoids it."""

    agent = models.ForeignKey("workforce.Agent", on_delete=models.CASCADE, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "identity.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_at"]
        indexes = [models.Index(fields=["agent", "start_at"])]
