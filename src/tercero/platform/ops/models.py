"""Process health and the scheduler's claimed time slots. Reviewed global tables."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a long-running process (worker, scheduler) said it was alive."""

    process = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)


class ScheduledRun(models.Model):
    """One periodic job in one time slot. The unique row is the claim: of several
    schedulers, only the one whose insert wins enqueues the job."""

    job = models.CharField(max_length=100)
    slot_start = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot_start"], name="scheduled_run_unique_slot")
        ]
