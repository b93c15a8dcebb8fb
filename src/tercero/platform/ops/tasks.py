"""Background tasks the platform itself needs: liveness and housekeeping."""

import os
import socket
from datetime import timedelta

from django.core.management import call_command
from django.tasks import task
from django.utils import timezone

from tercero.platform.identity import lockout
from tercero.platform.ops.services import beat, prune_scheduled_runs

SCHEDULED_RUNS_KEPT_FOR = timedelta(days=2)
SIGN_IN_ATTEMPTS_KEPT_FOR = timedelta(days=1)
TASK_RESULTS_KEPT_FOR_DAYS = 7


@task
def heartbeat() -> None:
    """Run by a worker: proves that queued work gets done (read by /readyz)."""
    beat(process="worker", detail=f"{socket.gethostname()} pid {os.getpid()}")


@task
def prune_history() -> None:
    """Keep the scheduler's slot claims and finished task results from growing forever."""
    prune_scheduled_runs(before=timezone.now() - SCHEDULED_RUNS_KEPT_FOR)
    lockout.prune(before=timezone.now() - SIGN_IN_ATTEMPTS_KEPT_FOR)
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=TASK_RESULTS_KEPT_FOR_DAYS,
        verbosity=0,
    )
