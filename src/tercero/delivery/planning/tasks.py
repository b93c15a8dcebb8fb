"""Planning's background work: forecasting a queue, which may take minutes, runs on the
`long` task queue so the outbox and short jobs never wait behind it."""

from django.db import transaction
from django.tasks import task

from tercero.delivery.planning import services
from tercero.delivery.planning.models import ForecastRun


@task(queue_name="long")
def run_forecast(run_id: int) -> str:
    """Forecast the run's queue; returns the run's status when it stops."""
    return services.run_forecast(run_id=run_id).status


def enqueue_forecast(run: ForecastRun) -> None:
    """Have a worker forecast `run` once the transaction that made it commits."""
    transaction.on_commit(lambda: run_forecast.enqueue(run.pk))
