"""Client B's planning rows for the isolation matrix (tests/isolation/worlds.py): a
finished forecast of B's queue with one interval, and a staffing plan from it."""

from django.utils import timezone

from tercero.delivery.planning.models import (
    ForecastInterval,
    ForecastRun,
    PlanInterval,
    PoolCheck,
    StaffingPlan,
)
from tercero.platform.tenancy.scoping import client_scope


def planning_rows(client, queue_id: int) -> dict[str, int]:
    now = timezone.now()
    with client_scope(clients=[client]):
        run = ForecastRun.objects.create(
            client=client,
            queue_id=queue_id,
            step_minutes=30,
            horizon_days=1,
            time_zone=client.time_zone,
            status=ForecastRun.Status.DONE,
            model="seasonal_naive",
            wape=0.1,
            bias=0.0,
            accuracy={"seasonal_naive": {"wape": 0.1, "bias": 0.0}},
            created_at=now,
            finished_at=now,
        )
        ForecastInterval.objects.create(
            client=client, run=run, start_at=now, arrivals=10, handle_seconds=180
        )
        plan = StaffingPlan.objects.create(
            client=client,
            forecast=run,
            queue_id=queue_id,
            model="erlang_c",
            target=0.8,
            answer_seconds=20,
            shrinkage=0.3,
            agent_hours=2,
            peak_agents=4,
            created_at=now,
        )
        PlanInterval.objects.create(
            client=client,
            plan=plan,
            start_at=now,
            minutes=30,
            calls=10,
            aht_seconds=180,
            agents_raw=3.2,
            agents=4,
        )
        check = PoolCheck.objects.create(
            client=client,
            queue_id=queue_id,
            client_ids=[client.pk],
            status=PoolCheck.Status.DONE,
            created_at=now,
        )
    return {"forecast_id": run.pk, "plan_id": plan.pk, "check_id": check.pk}
