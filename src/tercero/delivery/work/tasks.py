"""The work engine's background jobs: the SLA sweeper, outbox consumers, webhooks,
large CSV imports."""

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from tercero.delivery.work import import_jobs, outbox, privacy, services, webhooks
from tercero.delivery.work.models import ImportJob
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope

# How long one run of a draining job may keep its worker: long enough that a backlog
# drains in few runs, short enough that the worker's other jobs are not held up. The
# scheduler starts the next run within the job's period; more workers share the work.
DRAIN_SECONDS = 30.0


@task
def sweep_sla() -> dict[str, int]:
    """Raise at-risk and breach alerts that fell due (periodic)."""
    return services.sweep()


@task(queue_name="events")
def consume_events() -> dict[str, int]:
    """Hand every waiting work event to every registered consumer (periodic)."""
    return outbox.consume_all(max_seconds=DRAIN_SECONDS)


@task(queue_name="webhooks")
def send_webhooks() -> dict[str, int]:
    """Send every webhook delivery whose next attempt is due (periodic)."""
    return webhooks.send_due(max_seconds=DRAIN_SECONDS)


@task
def purge_expired() -> int:
    """Retention: purge personal data from finished work past each client's period."""
    purged = 0
    for client_id in Client.objects.exclude(status=Client.Status.OFFBOARDED).values_list(
        "pk", flat=True
    ):
        with client_scope(clients=[client_id]):
            purged += privacy.purge_expired(client_id=client_id, now=timezone.now())
    return purged


@task
def run_import_job(job_id: int) -> dict[str, int]:
    """Run a large CSV import, or go on with one a stopped worker left."""
    job = import_jobs.run(job_id=job_id)
    return {"rows_done": job.rows_done, "created": job.created_count, "errors": job.error_count}


@task
def resume_import_jobs() -> list[int]:
    """Run again the import jobs that stopped moving (periodic); returns their ids."""
    found = import_jobs.stalled(now=timezone.now())
    for job_id in found:
        run_import_job.enqueue(job_id)
    return found


def enqueue_import(job: ImportJob) -> None:
    """Have a worker run `job` once the transaction that made it commits."""
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
