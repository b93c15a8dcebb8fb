"""Planning's background work: forecasting a queue and simulating a pool of queues, which
may take minutes, run on the `long` task queue so the outbox and short jobs never wait
behind them."""

from django.db import transaction
from django.tasks import task

from tercero.delivery.planning import pool_checks, services
from tercero.delivery.planning.models import ForecastRun, PoolCheck


@task(queue_name="long")
def run_forecast(run_id: int) -> str:
    """Forecast the run's queue; returns the run's status when it stops."""
    return services.run_forecast(run_id=run_id).status


def enqueue_forecast(run: ForecastRun) -> None:
    """Have a worker forecast `run` once the transaction that made it commits."""
    transaction.on_commit(lambda: run_forecast.enqueue(run.pk))


@task(queue_name="long")
def run_pool_check(check_id: int) -> str:
    """Simulate the check's pool in each chosen interval; returns its status."""
    return pool_checks.run_pool_check(check_id=check_id).status


def enqueue_pool_check(check: PoolCheck) -> None:
    """Have a worker simulate `check` once the transaction that made it commits."""
    transaction.on_commit(lambda: run_pool_check.enqueue(check.pk))
