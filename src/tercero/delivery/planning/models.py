"""Workforce planning's stored records: imported arrival history, forecast runs with their
intervals, and staffing plans with theirs. All belong to one client; times are UTC."""

from django.db import models
from django.db.models import Q

from tercero.platform.figures import FigureField, FiguresField
from tercero.platform.tenancy.models import ClientOwned

STEPS = (15, 30)


class HistoryPoint(ClientOwned):
    """Arrivals (and mean handle time) in one interval of a queue's past, imported from
    the client's own records, for a queue that is new to the engine."""

    queue = models.ForeignKey("work.Queue", on_delete=models.CASCADE, related_name="+")
    start_at = models.DateTimeField()
    step_minutes = models.PositiveSmallIntegerField()
    arrivals = models.PositiveIntegerField()
    handle_seconds = FigureField(null=True, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "step_minutes", "start_at"], name="historypoint_unique_interval"
            ),
        ]


# django-scopes' manager is untyped, so the plugin cannot type the reverse managers of
# the client-owned models pointing here: `run.intervals` is unchecked
class ForecastRun(ClientOwned):  # type: ignore[django-manager-missing]
    """One forecast of a queue's arrivals and handle time, made by a worker: its progress,
    the model back-testing chose and how accurate each candidate was."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Forecasting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    queue = models.ForeignKey("work.Queue", on_delete=models.CASCADE, related_name="+")
    step_minutes = models.PositiveSmallIntegerField()
    horizon_days = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=32, blank=True)
    wape = FigureField(null=True, blank=True)
    bias = FigureField(null=True, blank=True)
    # {model key: {"wape": float, "bias": float}} for every candidate back-tested
    accuracy = FiguresField(default=dict, blank=True)
    # handle time, forecast the same way: the model chosen and its accuracy, and every
    # candidate's (empty when the history holds no handle time)
    handle_model = models.CharField(max_length=32, blank=True)
    handle_wape = FigureField(null=True, blank=True)
    handle_bias = FigureField(null=True, blank=True)
    handle_accuracy = FiguresField(default=dict, blank=True)
    history_intervals = models.PositiveIntegerField(default=0)
    # why a model was left out or the history was short, in the forecaster's words
    note = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["queue", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(step_minutes__in=STEPS), name="forecastrun_step_15_30"
            ),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ForecastInterval(ClientOwned):
    """One interval of a forecast: expected arrivals and mean handle time."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="intervals")
    start_at = models.DateTimeField()
    arrivals = FigureField()
    handle_seconds = FigureField()

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.UniqueConstraint(fields=["run", "start_at"], name="forecastinterval_unique"),
        ]


# django-scopes' manager is untyped: `plan.intervals` is unchecked
class StaffingPlan(ClientOwned):  # type: ignore[django-manager-missing]
    """The agents a forecast needs per interval under a service target (Erlang C or A) or,
    for back-office work, so every item is done within its due time (backlog)."""

    class Model(models.TextChoices):
        ERLANG_C = "erlang_c", "Erlang C (callers wait)"
        ERLANG_A = "erlang_a", "Erlang A (callers wait and may hang up)"
        BACKLOG = "backlog", "Backlog (work due within a number of intervals)"

    forecast = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="plans")
    queue = models.ForeignKey("work.Queue", on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=16, choices=Model.choices)
    target = FigureField()
    answer_seconds = models.PositiveIntegerField()
    patience_seconds = models.PositiveIntegerField(null=True, blank=True)
    shrinkage = FigureField()
    max_occupancy = FigureField(null=True, blank=True)
    due_after_intervals = models.PositiveSmallIntegerField(null=True, blank=True)
    # fractional requirements summed over the forecast, rounded once
    agent_hours = FigureField(default=0)
    peak_agents = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["queue", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(shrinkage__gte=0, shrinkage__lt=1), name="staffingplan_shrinkage"
            ),
            models.CheckConstraint(
                condition=Q(target__gt=0, target__lte=1), name="staffingplan_target"
            ),
        ]


class PlanInterval(ClientOwned):
    """One interval of a staffing plan: the work offered and the agents it needs
    (`agents_raw` fractional, shrinkage included; `agents` rounded up)."""

    plan = models.ForeignKey(StaffingPlan, on_delete=models.CASCADE, related_name="intervals")
    start_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField()
    calls = FigureField()
    aht_seconds = FigureField()
    agents_raw = FigureField()
    agents = models.PositiveIntegerField()
    service_level = FigureField(null=True, blank=True)
    occupancy = FigureField(null=True, blank=True)

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "start_at"], name="planinterval_unique"),
        ]


class PoolCheck(ClientOwned):
    """Queues sharing agents checked by discrete-event simulation in chosen intervals: a
    worker simulates the pool and keeps each queue's simulated service level beside
    Erlang C's. Owned by the client of the queue it was started from; it names every
    client whose queue it holds, and only a caller who reaches them all may find it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Simulating"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    queue = models.ForeignKey("work.Queue", on_delete=models.CASCADE, related_name="+")
    client_ids = models.JSONField(default=list)
    # per interval: {"start", "minutes", "queues": [{queue_id, queue, client, calls,
    # aht_seconds, answer_seconds, patience_seconds, agents}]}, fixed when started
    inputs = FiguresField(default=list)
    replications = models.PositiveSmallIntegerField(default=5)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # per interval: {"start", "agents", "queues": [{..., erlang_service_level,
    # simulated_service_level, spread, asa_seconds, abandon_rate}]}
    results = FiguresField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))
