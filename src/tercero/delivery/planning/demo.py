"""Planning's share of the demo provider: a phone queue on Northwind's customer care
engagement with four weeks of imported arrival history, a finished forecast and an
Erlang C staffing plan, so the planning pages have something to show. Idempotent."""

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from tercero.delivery.engagements.selectors import engagements
from tercero.delivery.planning import services
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.platform.catalogue import DemoContext
from tercero.platform.tenancy.scoping import client_scope

QUEUE = "Phone orders"
WEEKS = 4
# relative volume of each weekday, Monday first
WEEKDAY_SHAPE = (1.15, 1.05, 1.0, 1.0, 0.95, 0.6, 0.45)


def load(context: DemoContext) -> None:
    client = context.clients["northwind"]
    with client_scope(clients=[client]):
        engagement = engagements(client_ids=[client.pk], q="Customer care 24/7").first()
        if engagement is None:
            return
        taken = work_selectors.queues(client_ids=[client.pk], engagement_id=engagement.pk)
        if taken.filter(name=QUEUE).exists():
            return
        queue = work.create_queue(actor=context.admin, engagement=engagement, name=QUEUE)
        queue = (
            work_selectors.queues(client_ids=[client.pk])
            .select_related("client", "engagement")
            .get(pk=queue.pk)
        )
        services.import_history(
            actor=context.admin, queue=queue, data=history_csv(client.time_zone), step_minutes=30
        )
        run = services.start_forecast(
            actor=context.admin, queue=queue, step_minutes=30, horizon_days=7
        )
        run = services.run_forecast(run_id=run.pk)
        if run.status == run.Status.DONE:
            services.create_plan(
                actor=context.admin,
                forecast=run,
                model="erlang_c",
                target=0.8,
                answer_seconds=20,
                shrinkage=0.3,
            )


def history_csv(time_zone: str, *, now: datetime | None = None) -> bytes:
    """Half-hourly calls from 08:00 to 20:00 for the last WEEKS weeks: a morning and an
    afternoon peak, quieter weekends, a little noise (the same every time)."""
    zone = ZoneInfo(time_zone)
    today = (now or timezone.now()).astimezone(zone).date()
    noise = random.Random(21)
    lines = ["interval_start,arrivals,handle_seconds"]
    for back in range(WEEKS * 7, 0, -1):
        day = today - timedelta(days=back)
        for half_hour in range(16, 40):
            hour = half_hour / 2
            shape = (
                20
                + 18 * math.exp(-((hour - 10.5) ** 2) / 3)
                + 12 * math.exp(-((hour - 15) ** 2) / 4)
            )
            calls = max(0, round(shape * WEEKDAY_SHAPE[day.weekday()] * noise.uniform(0.85, 1.15)))
            start = datetime(
                day.year, day.month, day.day, int(hour), 30 * (half_hour % 2), tzinfo=zone
            )
            lines.append(f"{start:%Y-%m-%d %H:%M},{calls},{round(noise.uniform(200, 260))}")
    return ("\n".join(lines) + "\n").encode()
