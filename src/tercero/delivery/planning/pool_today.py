"""The rest of today for a queue and the other clients' queues that share agents with it,
read from the database: each queue's lane (expected calls, agents on it, agents needed
per interval) and the moves between them (`moves`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tercero.delivery.planning import moves, rest_of_day, selectors
from tercero.delivery.planning.models import StaffingPlan
from tercero.delivery.work import selectors as work
from tercero.delivery.work.models import Queue
from tercero.delivery.workforce.models import Clearance
from tercero.platform.errors import Conflict


@dataclass(frozen=True)
class Pool:
    """The lanes compared (this queue first) and the moves; `note` says why there are
    none in words when nothing can be compared."""

    lanes: tuple[moves.Lane, ...]
    moves: tuple[moves.Move, ...]
    note: str = ""


@dataclass(frozen=True)
class _Day:
    queue: Queue
    plan: StaffingPlan
    rows: tuple[rest_of_day.Row, ...]


def pool_today(
    *, queue: Queue, today: rest_of_day.Today, client_ids: Sequence[int], now: datetime
) -> Pool:
    """This queue's rest of today beside the other clients' queues sharing its agents."""
    if today.plan.model == StaffingPlan.Model.BACKLOG:
        return Pool((), (), "This queue is planned as a backlog, which has no service level.")
    here = _Day(queue, today.plan, _rest(today))
    if not here.rows:
        return Pool((), (), "No interval of today is left.")
    days = [here, *_partner_days(queue, today, client_ids=client_ids, now=now)]
    home, cleared = _agents(days, client_ids=client_ids)
    movable = _movable(days, home, cleared)
    shared = [
        day
        for day in days[1:]
        if movable.get((queue.pk, day.queue.pk)) or movable.get((day.queue.pk, queue.pk))
    ][: moves.MAX_PARTNERS]
    if not shared:
        return Pool(
            (_lane(here, home),),
            (),
            "No other client's queue with a plan for today shares a signed-in agent.",
        )
    lanes = [_lane(day, home) for day in (here, *shared)]
    found = moves.plan_moves(lanes[0], lanes[1:], movable=movable)
    return Pool(tuple(lanes), tuple(found))


def _rest(today: rest_of_day.Today) -> tuple[rest_of_day.Row, ...]:
    return tuple(row for row in today.rows if row.actual_calls is None)


def _partner_days(
    queue: Queue, today: rest_of_day.Today, *, client_ids: Sequence[int], now: datetime
) -> list[_Day]:
    """Other clients' queues with an Erlang plan covering today in intervals of the
    same length."""
    step = today.plan.forecast.step_minutes
    found = []
    others = (
        work.queues(client_ids=list(client_ids))
        .exclude(client_id=queue.client_id)
        .select_related("client", "engagement")
        .order_by("name", "pk")
    )
    for other in others:
        plan = selectors.latest_plan(queue=other)
        if plan is None or plan.model == StaffingPlan.Model.BACKLOG:
            continue
        if plan.forecast.step_minutes != step:
            continue
        try:
            theirs = rest_of_day.today(queue=other, plan=plan, now=now)
        except Conflict:
            continue
        found.append(_Day(other, plan, _rest(theirs)))
    return found


def _agents(
    days: Sequence[_Day], *, client_ids: Sequence[int]
) -> tuple[dict[int, int], dict[int, set[int]]]:
    """Each signed-in agent's home engagement (cleared for first among those compared)
    and every engagement they are cleared for."""
    engagements = {day.queue.engagement_id for day in days}
    rows = (
        Clearance.objects.filter(
            client_id__in=client_ids,
            engagement_id__in=engagements,
            agent__presence__in=rest_of_day.SIGNED_IN,
        )
        .order_by("created_at", "id")
        .values_list("agent_id", "engagement_id")
    )
    home: dict[int, int] = {}
    cleared: dict[int, set[int]] = {}
    for agent_id, engagement_id in rows:
        home.setdefault(agent_id, engagement_id)
        cleared.setdefault(agent_id, set()).add(engagement_id)
    return home, cleared


def _movable(
    days: Sequence[_Day], home: dict[int, int], cleared: dict[int, set[int]]
) -> dict[tuple[int, int], int]:
    """(queue a, queue b): agents counted on a's engagement who are cleared for b's."""
    found: dict[tuple[int, int], int] = {}
    for source in days:
        for target in days:
            if source is target:
                continue
            found[(source.queue.pk, target.queue.pk)] = sum(
                1
                for agent, engagement in home.items()
                if engagement == source.queue.engagement_id
                and target.queue.engagement_id in cleared[agent]
            )
    return found


def _lane(day: _Day, home: dict[int, int]) -> moves.Lane:
    on = sum(1 for engagement in home.values() if engagement == day.queue.engagement_id)
    plan = day.plan
    slots = tuple(
        moves.Slot(
            calls=row.expected_calls,
            aht_seconds=max(row.aht_seconds, 1.0),
            minutes=plan.forecast.step_minutes,
            answer_seconds=plan.answer_seconds,
            agents_on=on,
            agents_needed=moves.agents_needed(
                calls=row.expected_calls,
                aht_seconds=row.aht_seconds,
                minutes=plan.forecast.step_minutes,
                target=plan.target,
                answer_seconds=plan.answer_seconds,
                max_occupancy=plan.max_occupancy,
            ),
        )
        for row in day.rows
    )
    return moves.Lane(
        key=day.queue.pk,
        name=day.queue.name,
        client=day.queue.client.legal_name,
        starts=tuple(row.start.astimezone(UTC) for row in day.rows),
        slots=slots,
    )
