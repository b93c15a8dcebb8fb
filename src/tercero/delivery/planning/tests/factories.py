"""Builders for planning's tests: a queue with imported history, a forecast made from it
and a plan, in one client's scope."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from tests.factories import engagement_for

from tercero.delivery.planning import selectors, services
from tercero.delivery.planning.models import ForecastRun, StaffingPlan
from tercero.delivery.work import services as work
from tercero.delivery.work.models import Queue
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

# a Monday, so weeks of history line up with weekdays
NOW = datetime(2026, 3, 23, 8, 0, tzinfo=ZoneInfo("UTC"))


def planning_queue(client, *, name: str = "Phones", **engagement) -> Queue:
    built = engagement_for(client, name=f"{name} care", **{"status": "live", **engagement})
    with client_scope(clients=[client]):
        queue = work.create_queue(
            actor=None, engagement=built, name=name, work_types=["capture.document"]
        )
        return selectors.access_queue(client_ids=[client.pk], queue_id=queue.pk)


def history_csv(
    time_zone: str, *, days: int = 21, end: datetime = NOW, per_interval: int = 10
) -> bytes:
    """Half-hourly history for `days` days before `end`'s day, 09:00 to 17:00 local, a
    weekly shape (Mondays busiest) and 240 s of handle time."""
    zone = ZoneInfo(time_zone)
    last = end.astimezone(zone).date()
    lines = ["interval_start,arrivals,handle_seconds"]
    for back in range(days, 0, -1):
        day = last - timedelta(days=back)
        for half_hour in range(18, 34):
            calls = per_interval + (5 if day.weekday() == 0 else 0) + half_hour % 3
            lines.append(
                f"{day.isoformat()} {half_hour // 2:02d}:{30 * (half_hour % 2):02d},{calls},240"
            )
    return ("\n".join(lines) + "\n").encode()


def imported(queue: Queue, actor: User, **options) -> None:
    with client_scope(clients=[queue.client_id]):
        report = services.import_history(
            actor=actor,
            queue=queue,
            data=history_csv(queue.client.time_zone, **options),
            step_minutes=30,
        )
    assert report.errors == ()


def finished_forecast(queue: Queue, actor: User, *, horizon_days: int = 2) -> ForecastRun:
    imported(queue, actor)
    with client_scope(clients=[queue.client_id]):
        run = services.start_forecast(
            actor=actor, queue=queue, step_minutes=30, horizon_days=horizon_days
        )
    run = services.run_forecast(run_id=run.pk, now=NOW)
    assert run.status == ForecastRun.Status.DONE, run.error
    return run


def plan_for(run: ForecastRun, actor: User, **settings) -> StaffingPlan:
    chosen = {"model": "erlang_c", "target": 0.8, "answer_seconds": 20, "shrinkage": 0.3}
    with client_scope(clients=[run.client_id]):
        return services.create_plan(actor=actor, forecast=run, **{**chosen, **settings})


@dataclass
class People:
    manager: User
    auditor: User


def planners(client) -> People:
    """A delivery manager and an auditor granted `client`."""
    slug = client.legal_name.split()[0].lower()
    manager = cast(User, UserFactory(email=f"manager@{slug}.example", role=Role.DELIVERY_MANAGER))
    auditor = cast(User, UserFactory(email=f"auditor@{slug}.example", role=Role.AUDITOR))
    with all_clients_scope():
        for person in (manager, auditor):
            Grant.objects.create(user=person, client=client, reason="fixture")
    return People(manager=manager, auditor=auditor)
