"""Periodic jobs that stay single with any number of schedulers, on any engine.

Each tick, for every job, the scheduler inserts (job, slot start). The unique
constraint lets exactly one insert win; only the winner enqueues the task.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from tercero.platform.ops.models import ScheduledRun
from tercero.platform.ops.services import beat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    task: Callable  # a django.tasks Task (has .enqueue())


_JOBS: dict[str, PeriodicJob] = {}


def register(job: PeriodicJob) -> None:
    if job.every_seconds < 1:
        raise ValueError("a periodic job runs at most once a second")
    _JOBS[job.name] = job


def jobs() -> list[PeriodicJob]:
    return list(_JOBS.values())


def slot_start(now: datetime, every_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % every_seconds, tz=UTC)


def tick(*, now: datetime) -> list[str]:
    """Claim and enqueue every job whose current slot nobody has claimed. Returns names."""
    enqueued = []
    for job in jobs():
        if _claim(job, slot_start(now, job.every_seconds)):
            enqueued.append(job.name)
    beat(process="scheduler")
    return enqueued


def _claim(job: PeriodicJob, start: datetime) -> bool:
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, slot_start=start)
            result = job.task.enqueue()
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:
        return False
    return True


def run_forever(*, interval_seconds: float, stop: Callable[[], bool] = lambda: False) -> None:
    while not stop():
        try:
            names = tick(now=datetime.now(tz=UTC))
            if names:
                logger.info("scheduler enqueued %s", ", ".join(names))
        except Exception:
            logger.exception("scheduler tick failed; trying again next tick")
        time.sleep(interval_seconds)
