"""Every change of planning's state: history imported from CSV, forecast runs started and
run (by a worker, with progress), staffing plans made from a forecast. Each writes its
audit event in the same transaction."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.planning import forecasting, history_csv, selectors, staffing_plans
from tercero.delivery.planning.history import History, arrival_history, special_days
from tercero.delivery.planning.models import (
    STEPS,
    ForecastInterval,
    ForecastRun,
    HistoryPoint,
    StaffingPlan,
)
from tercero.delivery.work.models import Queue
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

MAX_HISTORY_BYTES = 20 * 1024 * 1024
MAX_HISTORY_ROWS = 200_000
MAX_HORIZON_DAYS = 28
# Progress is written at most this often, so a fast model does not write per step.
PROGRESS_EVERY = timedelta(seconds=0.5)


@dataclass(frozen=True)
class HistoryImport:
    """What an upload did: rows read, intervals stored, every bad row by line."""

    rows: int
    stored: int
    errors: tuple[tuple[int, str], ...]


def import_history(*, actor: "User", queue: Queue, data: bytes, step_minutes: int) -> HistoryImport:
    """Arrival history from CSV for a queue new to the engine. All or nothing: a file
    with any bad row stores none, and every bad row is named by its line. An interval
    imported again replaces the one stored before."""
    _check_step(step_minutes)
    if len(data) > MAX_HISTORY_BYTES:
        raise InvalidInput("The file is larger than 20 MB; split it.", fields={"file": "too large"})
    parsed = history_csv.parse(
        data,
        time_zone=queue.client.time_zone,
        step_minutes=step_minutes,
        max_rows=MAX_HISTORY_ROWS,
    )
    errors = tuple((error.line, error.message) for error in parsed.errors)
    if errors:
        return HistoryImport(rows=len(parsed.rows) + len(errors), stored=0, errors=errors)
    if not parsed.rows:
        raise InvalidInput("The file has a header but no rows.", fields={"file": "no rows"})
    now = timezone.now()
    with transaction.atomic():
        starts = [row.start for row in parsed.rows]
        HistoryPoint.objects.filter(
            client_id=queue.client_id, queue=queue, step_minutes=step_minutes, start_at__in=starts
        ).delete()
        HistoryPoint.objects.bulk_create(
            [
                HistoryPoint(
                    client_id=queue.client_id,
                    queue=queue,
                    start_at=row.start,
                    step_minutes=step_minutes,
                    arrivals=row.arrivals,
                    handle_seconds=row.handle_seconds,
                    imported_at=now,
                )
                for row in parsed.rows
            ],
            batch_size=2000,
        )
        _audit(
            "planning.history.imported",
            actor,
            queue.client_id,
            "queue",
            queue.pk,
            {"intervals": len(parsed.rows), "step_minutes": step_minutes},
        )
    return HistoryImport(rows=len(parsed.rows), stored=len(parsed.rows), errors=())


def start_forecast(
    *, actor: "User | None", queue: Queue, step_minutes: int, horizon_days: int
) -> ForecastRun:
    """A forecast run waiting for a worker (the caller enqueues it: `tasks.enqueue`).
    One queue forecasts one run at a time."""
    _check_step(step_minutes)
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInput(
            f"Forecast between 1 and {MAX_HORIZON_DAYS} days ahead.",
            fields={"horizon_days": f"1 to {MAX_HORIZON_DAYS}"},
        )
    with transaction.atomic():
        busy = ForecastRun.objects.filter(
            client_id=queue.client_id,
            queue=queue,
            status__in=(ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING),
        ).exists()
        if busy:
            raise Conflict(
                "This queue is already being forecast; wait for that run to finish.",
                code="forecast_running",
            )
        run = ForecastRun.objects.create(
            client_id=queue.client_id,
            queue=queue,
            step_minutes=step_minutes,
            horizon_days=horizon_days,
            time_zone=queue.client.time_zone,
            created_by=actor,
            created_at=timezone.now(),
        )
        _audit(
            "planning.forecast.started",
            actor,
            queue.client_id,
            "forecast",
            run.pk,
            {"queue_id": queue.pk, "step_minutes": step_minutes, "horizon_days": horizon_days},
        )
    return run


def run_forecast(*, run_id: int, now: datetime | None = None) -> ForecastRun:
    """Forecast the run's queue from its history (the worker's side); a run that is
    already finished is left as it is. Failures are kept on the run in words."""
    with all_clients_scope():
        client_id = ForecastRun.objects.values_list("client_id", flat=True).get(pk=run_id)
    with client_scope(clients=[client_id]):
        run = ForecastRun.objects.select_related("queue__client", "queue__engagement").get(
            pk=run_id
        )
        if run.is_finished:
            return run
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastRun.Status.RUNNING, started_at=timezone.now()
        )
        try:
            _forecast(run, now=now or timezone.now())
        except (ValueError, InvalidInput) as error:
            _finish_failed(run, str(getattr(error, "message", error)))
        return ForecastRun.objects.get(pk=run.pk)


def _forecast(run: ForecastRun, *, now: datetime) -> None:
    past = arrival_history(queue=run.queue, step_minutes=run.step_minutes, until=now)
    if not any(past.arrivals):
        raise ValueError("The queue has no arrivals to learn from; import its history first.")
    horizon = run.horizon_days * 24 * 60 // run.step_minutes
    years = range(past.start.year, (past.end + timedelta(days=run.horizon_days)).year + 1)
    days = special_days(queue=run.queue, years=years)
    report = _Progress(run.pk)
    arrivals = forecasting.forecast(
        forecasting.Series(past.start, run.step_minutes, past.arrivals, past.time_zone),
        horizon=horizon,
        special_days=days,
        progress=report.stage(0),
    )
    handle, handle_forecast = _handle_forecast(past, horizon=horizon, days=days, report=report)
    _store(run, arrivals, handle, handle_forecast, history_intervals=len(past.arrivals))


def _handle_forecast(
    past: History, *, horizon: int, days: frozenset[date], report: "_Progress"
) -> tuple[list[float], forecasting.Forecast | None]:
    """Mean handle time forecast like arrivals; intervals where nothing was handled take
    the history's mean, so the series has no gaps. No handle time at all gives zeros
    (a staffing plan then asks for the handle time)."""
    known = [
        (seconds, count)
        for seconds, count in zip(past.handle_seconds, past.arrivals, strict=True)
        if seconds is not None
    ]
    weight = sum(count for _, count in known)
    if not known:
        return [0.0] * horizon, None
    mean = (
        sum(s * c for s, c in known) / weight if weight else sum(s for s, _ in known) / len(known)
    )
    filled = tuple(mean if seconds is None else seconds for seconds in past.handle_seconds)
    result = forecasting.forecast(
        forecasting.Series(past.start, past.step_minutes, filled, past.time_zone),
        horizon=horizon,
        special_days=days,
        progress=report.stage(1),
    )
    return [max(0.0, value) for value in result.values], result


class _Progress:
    """Writes the run's progress as the forecasting models report it: arrivals then
    handle time, each half of the total."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.written_at = datetime.min.replace(tzinfo=timezone.get_current_timezone())

    def stage(self, index: int) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            moment = timezone.now()
            if done < total and moment - self.written_at < PROGRESS_EVERY:
                return
            self.written_at = moment
            ForecastRun.objects.filter(pk=self.run_id).update(
                progress_done=index * total + done, progress_total=2 * total
            )

        return report


def _store(
    run: ForecastRun,
    arrivals: forecasting.Forecast,
    handle: Sequence[float],
    handle_forecast: forecasting.Forecast | None,
    *,
    history_intervals: int,
) -> None:
    # in UTC: adding to a time of one zone moves its wall clock, not real time
    step, origin = timedelta(minutes=run.step_minutes), arrivals.start.astimezone(UTC)
    candidates = {
        key: {"wape": accuracy.wape, "bias": accuracy.bias}
        for key, accuracy in arrivals.candidates.items()
    }
    with transaction.atomic():
        ForecastInterval.objects.bulk_create(
            [
                ForecastInterval(
                    client_id=run.client_id,
                    run=run,
                    start_at=origin + index * step,
                    arrivals=max(0.0, value),
                    handle_seconds=handle[index],
                )
                for index, value in enumerate(arrivals.values)
            ],
            batch_size=2000,
        )
        total = max(run.progress_total, 1)
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastRun.Status.DONE,
            model=arrivals.model,
            wape=arrivals.accuracy.wape,
            bias=arrivals.accuracy.bias,
            accuracy=candidates,
            **_handle_fields(handle_forecast),
            note=arrivals.note[:2000],
            history_intervals=history_intervals,
            progress_done=total,
            progress_total=total,
            finished_at=timezone.now(),
        )
        _audit(
            "planning.forecast.finished",
            None,
            run.client_id,
            "forecast",
            run.pk,
            {"model": arrivals.model, "intervals": len(arrivals.values)},
        )


def _handle_fields(found: forecasting.Forecast | None) -> dict[str, Any]:
    """The handle-time forecast's model and accuracy as the run keeps them."""
    if found is None:
        return {}
    return {
        "handle_model": found.model,
        "handle_wape": found.accuracy.wape,
        "handle_bias": found.accuracy.bias,
        "handle_accuracy": {
            key: {"wape": accuracy.wape, "bias": accuracy.bias}
            for key, accuracy in found.candidates.items()
        },
    }


def _finish_failed(run: ForecastRun, reason: str) -> None:
    with transaction.atomic():
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastRun.Status.FAILED, error=reason[:1000], finished_at=timezone.now()
        )
        _audit("planning.forecast.failed", None, run.client_id, "forecast", run.pk, {})


def create_plan(
    *,
    actor: "User",
    forecast: ForecastRun,
    model: str,
    target: float,
    answer_seconds: int,
    shrinkage: float | None = None,
    patience_seconds: int | None = None,
    max_occupancy: float | None = None,
    due_after_intervals: int | None = None,
    aht_seconds: float | None = None,
) -> StaffingPlan:
    """The agents the forecast needs per interval (fractional, shrinkage included), kept
    as the queue's latest plan. `aht_seconds` replaces the forecast handle time; without
    a `shrinkage`, the sites' own figures give it (`selectors.shrinkage_for`)."""
    if forecast.status != ForecastRun.Status.DONE:
        raise Conflict("This forecast has not finished.", code="forecast_not_done")
    if shrinkage is None:
        shrinkage = selectors.shrinkage_for(queue=forecast.queue).share
    settings = staffing_plans.Settings(
        model=model,
        target=target,
        answer_seconds=answer_seconds,
        shrinkage=shrinkage,
        patience_seconds=patience_seconds,
        max_occupancy=max_occupancy,
        due_after_intervals=due_after_intervals,
    )
    settings.check()
    rows = list(forecast.intervals.values_list("start_at", "arrivals", "handle_seconds"))
    needs = staffing_plans.staff_intervals(
        settings,
        rows=rows,
        step_minutes=forecast.step_minutes,
        aht_override=aht_seconds,
        calendar_of=forecast.queue,
    )
    with transaction.atomic():
        plan = staffing_plans.store(settings, forecast=forecast, needs=needs, actor=actor)
        _audit(
            "planning.plan.created",
            actor,
            forecast.client_id,
            "staffing_plan",
            plan.pk,
            {"forecast_id": forecast.pk, "model": model, "peak_agents": plan.peak_agents},
        )
    return plan


def _check_step(step_minutes: int) -> None:
    if step_minutes not in STEPS:
        raise InvalidInput("Intervals are 15 or 30 minutes.", fields={"step_minutes": "15 or 30"})


def _audit(
    action: str,
    actor: "User | None",
    client_id: int,
    object_type: str,
    object_id: int,
    payload: dict[str, Any],
) -> None:
    record(
        action=action,
        actor=actor,
        client=client_id,
        object_type=object_type,
        object_id=object_id,
        payload=payload,
    )
