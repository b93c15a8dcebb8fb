"""Worker tasks: building a schedule may take minutes, so it runs on the long queue."""

from django.db import transaction
from django.tasks import task

from tercero.delivery.scheduling.models import Schedule


@task(queue_name="long")
def build_schedule(schedule_id: int) -> dict[str, object]:
    """Build the schedule; returns its status and shift count. The builder (and with it
    the OR-Tools solver) is imported here, so processes that never build do not load it."""
    from tercero.delivery.scheduling import building

    schedule = building.run(schedule_id=schedule_id)
    return {"status": schedule.status, "shifts": schedule.shifts.count()}


def enqueue_build(schedule: Schedule) -> None:
    """Have a worker build `schedule` once the transaction that made it commits."""
    schedule_id = schedule.pk
    transaction.on_commit(lambda: build_schedule.enqueue(schedule_id))
