"""Forecasting a queue from its history: the run's progress, the chosen model and its
accuracy, the intervals stored, failures in words, one run at a time per queue."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tercero.delivery.planning import forecasting, services
from tercero.delivery.planning.models import ForecastInterval, ForecastRun
from tercero.delivery.planning.tests.factories import NOW, finished_forecast, planning_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

pytestmark = pytest.mark.django_db


def test_a_forecast_from_three_weeks_of_history_is_done_with_every_interval_and_its_accuracy(
    tenant_a,
):
    # given a queue with three weeks of imported history
    queue = planning_queue(tenant_a.client)

    # when it is forecast two days ahead
    run = finished_forecast(queue, tenant_a.team_lead, horizon_days=2)

    # then the run is done, every half hour of the two days is stored, in order
    with client_scope(clients=[tenant_a.client]):
        intervals = list(ForecastInterval.objects.filter(run=run))
    assert len(intervals) == 2 * 48
    assert intervals[0].start_at == NOW
    assert intervals[1].start_at - intervals[0].start_at == timedelta(minutes=30)
    # the chosen model is one of the candidates back-tested, with its WAPE and bias kept
    assert run.model in run.accuracy
    assert run.wape == pytest.approx(run.accuracy[run.model]["wape"])
    assert set(run.accuracy) <= set(forecasting.MODELS) | set(forecasting.SHORT_HISTORY_LABELS)
    assert run.progress_done == run.progress_total > 0
    assert run.percent == 100
    # business hours in the client's time zone carry the arrivals, the night none
    zone = ZoneInfo(queue.client.time_zone)
    by_local = {i.start_at.astimezone(zone).strftime("%a %H:%M"): i for i in intervals}
    assert 10 <= by_local["Mon 10:00"].arrivals <= 20
    assert by_local["Tue 03:00"].arrivals < 1
    assert by_local["Mon 10:00"].handle_seconds == pytest.approx(240)


def test_starting_and_finishing_a_forecast_are_audited(tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    with all_clients_scope():
        actions = list(
            AuditEvent.objects.filter(object_type="forecast", object_id=str(run.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert actions == ["planning.forecast.started", "planning.forecast.finished"]


def test_a_queue_without_history_fails_in_words_and_stores_no_interval(tenant_a):
    # given a queue with no arrivals at all
    queue = planning_queue(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        run = services.start_forecast(
            actor=tenant_a.team_lead, queue=queue, step_minutes=30, horizon_days=7
        )

    # when a worker runs it
    run = services.run_forecast(run_id=run.pk, now=NOW)

    # then it failed, saying why, and nothing was stored
    assert run.status == ForecastRun.Status.FAILED
    assert "no arrivals" in run.error
    with client_scope(clients=[tenant_a.client]):
        assert ForecastInterval.objects.count() == 0


def test_a_queue_is_forecast_once_at_a_time(tenant_a):
    queue = planning_queue(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        services.start_forecast(
            actor=tenant_a.team_lead, queue=queue, step_minutes=30, horizon_days=7
        )
        with pytest.raises(Conflict):
            services.start_forecast(
                actor=tenant_a.team_lead, queue=queue, step_minutes=15, horizon_days=7
            )
        assert ForecastRun.objects.count() == 1


@pytest.mark.parametrize(
    ("step", "days", "field"),
    [(20, 7, "step_minutes"), (30, 0, "horizon_days"), (30, 29, "horizon_days")],
)
def test_steps_other_than_15_or_30_and_horizons_past_four_weeks_are_refused(
    tenant_a, step, days, field
):
    queue = planning_queue(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        with pytest.raises(InvalidInput) as refused:
            services.start_forecast(
                actor=tenant_a.team_lead, queue=queue, step_minutes=step, horizon_days=days
            )
        assert field in refused.value.fields
        assert ForecastRun.objects.count() == 0


def test_a_finished_run_is_left_as_it_is_when_a_worker_takes_it_again(tenant_a):
    queue = planning_queue(tenant_a.client)
    run = finished_forecast(queue, tenant_a.team_lead)
    again = services.run_forecast(run_id=run.pk, now=NOW + timedelta(days=1))
    with client_scope(clients=[tenant_a.client]):
        assert again.finished_at == run.finished_at
        assert ForecastInterval.objects.filter(run=run).count() == 2 * 48
