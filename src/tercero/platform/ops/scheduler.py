"""Periodic jobs that stay single with any number of schedulers, on any engine.

Each tick, for every job, the scheduler inserts (job, slot start). The unique
constraint lets exactly one insert win; only the winner enqueues the task, in the same
transaction, so a slot is either claimed and queued or neither.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.tasks import Task

from tercero.platform.ops.models import ScheduledRun
from tercero.platform.ops.services import beat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """Enqueue `task` (no arguments) once per `every_seconds` slot."""

    name: str
    every_seconds: int
    task: Task[[], Any]  # its result is not read


_JOBS: dict[str, PeriodicJob] = {}


def register(job: PeriodicJob) -> None:
    """Add `job` to the registry (apps call this from `ready()`); same name replaces."""
    if job.every_seconds < 1:
        raise ValueError("a periodic job runs at most once a second")
    _JOBS[job.name] = job


def jobs() -> list[PeriodicJob]:
    return list(_JOBS.values())


def slot_start(now: datetime, every_seconds: int) -> datetime:
    """The start of the `every_seconds`-long slot holding `now`, aligned to the epoch."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % every_seconds, tz=UTC)


def tick(*, now: datetime) -> list[str]:
    """Claim and enqueue every job whose current slot nobody has claimed. Returns names."""
    enqueued = [job.name for job in jobs() if _claim(job, slot_start(now, job.every_seconds))]
    beat(process="scheduler")
    return enqueued


def _claim(job: PeriodicJob, start: datetime) -> bool:
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, slot_start=start)
            result = job.task.enqueue()
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:  # another scheduler holds this slot
        return False
    return True


def run_forever(*, interval_seconds: float, should_stop: Callable[[], bool]) -> None:
    """Tick every `interval_seconds` until `should_stop()`; a failed tick is logged and
    retried next time, so a database hiccup never kills the scheduler."""
    while not should_stop():
        try:
            names = tick(now=datetime.now(tz=UTC))
            if names:
                logger.info("scheduler enqueued %s", ", ".join(names))
        except Exception:
            logger.exception("scheduler tick failed; trying again next tick")
        _sleep(interval_seconds, should_stop)


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    """Sleep in short steps so a stop request is honoured within a fraction of a second."""
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
