"""Process heartbeats and the scheduler's housekeeping."""

from datetime import datetime

from django.utils import timezone

from tercero.platform.ops.models import Heartbeat, ScheduledRun


def beat(*, process: str, detail: str = "") -> None:
    """Record that `process` (worker, scheduler) is alive now."""
    Heartbeat.objects.update_or_create(
        process=process, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )


def prune_scheduled_runs(*, before: datetime) -> int:
    """Forget claimed slots that started before `before`; returns how many."""
    deleted, _ = ScheduledRun.objects.filter(slot_start__lt=before).delete()
    return deleted
