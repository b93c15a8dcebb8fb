"""Checking a pool of queues that share agents by simulation: started with the queues and
intervals chosen (the inputs fixed from each queue's latest plan), run by a worker on the
`long` task queue with progress, each queue's simulated service level kept beside
Erlang C's. Erlang treats each queue alone with its own agents; the simulation puts the
same agents in one pool answering every queue's calls first come, first served, with
each queue's own handle time (and patience, for an Erlang A plan)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.planning import moves, selectors, simulation
from tercero.delivery.planning.models import PlanInterval, PoolCheck, StaffingPlan
from tercero.delivery.work.models import Queue
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

MAX_QUEUES = 6
MAX_INTERVALS = 8
MAX_REPLICATIONS = 20


def start_pool_check(
    *,
    actor: "User | None",
    queues: Sequence[Queue],
    starts: Sequence[datetime],
    replications: int = 5,
) -> PoolCheck:
    """A check waiting for a worker (the caller enqueues it: `tasks.enqueue_pool_check`).
    Each queue needs a latest plan by Erlang with an interval at every start."""
    _check_choice(queues, starts, replications)
    inputs = [_interval_inputs(queues, start) for start in sorted(set(starts))]
    first = queues[0]
    with transaction.atomic():
        check = PoolCheck.objects.create(
            client_id=first.client_id,
            queue=first,
            client_ids=sorted({queue.client_id for queue in queues}),
            inputs=inputs,
            replications=replications,
            progress_total=len(inputs),
            created_by=actor,
            created_at=timezone.now(),
        )
        record(
            action="planning.pool_check.started",
            actor=actor,
            client=first.client_id,
            object_type="pool_check",
            object_id=check.pk,
            payload={"queues": len(queues), "intervals": len(inputs)},
        )
    return check


def _check_choice(queues: Sequence[Queue], starts: Sequence[datetime], replications: int) -> None:
    if not 2 <= len({queue.pk for queue in queues}) <= MAX_QUEUES:
        raise InvalidInput(
            f"Choose from 2 to {MAX_QUEUES} different queues to check as one pool.",
            fields={"queue_ids": f"2 to {MAX_QUEUES} queues"},
        )
    if not 1 <= len(set(starts)) <= MAX_INTERVALS:
        raise InvalidInput(
            f"Choose from 1 to {MAX_INTERVALS} intervals to simulate.",
            fields={"starts": f"1 to {MAX_INTERVALS} intervals"},
        )
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise InvalidInput(
            f"Replications run from 1 to {MAX_REPLICATIONS}.",
            fields={"replications": f"1 to {MAX_REPLICATIONS}"},
        )


def _interval_inputs(queues: Sequence[Queue], start: datetime) -> dict[str, Any]:
    """Each queue's expected calls, handle time, target and agents on the work (Erlang C
    for its plan's target, no shrinkage) in the interval starting at `start`."""
    rows = []
    minutes = None
    for queue in queues:
        plan = selectors.latest_plan(queue=queue)
        if plan is None or plan.model == StaffingPlan.Model.BACKLOG:
            raise Conflict(
                f"{queue.name} has no staffing plan by Erlang to check.", code="no_erlang_plan"
            )
        found = PlanInterval.objects.filter(
            client_id=queue.client_id, plan=plan, start_at=start
        ).first()
        if found is None:
            raise InvalidInput(
                f"{queue.name}'s plan has no interval starting {start:%d %b %H:%M} UTC.",
                fields={"starts": "not in every queue's plan"},
            )
        if minutes not in (None, found.minutes):
            raise InvalidInput(
                "The queues' plans have intervals of different lengths.",
                fields={"queue_ids": "intervals of different lengths"},
            )
        minutes = found.minutes
        rows.append(_queue_inputs(queue, plan, found))
    return {"start": start.astimezone(UTC).isoformat(), "minutes": minutes, "queues": rows}


def _queue_inputs(queue: Queue, plan: StaffingPlan, interval: PlanInterval) -> dict[str, Any]:
    aht = max(interval.aht_seconds, 1.0)
    return {
        "queue_id": queue.pk,
        "queue": queue.name,
        "client": queue.client.legal_name,
        "calls": interval.calls,
        "aht_seconds": aht,
        "answer_seconds": plan.answer_seconds,
        "patience_seconds": plan.patience_seconds,
        "agents": moves.agents_needed(
            calls=interval.calls,
            aht_seconds=aht,
            minutes=interval.minutes,
            target=plan.target,
            answer_seconds=plan.answer_seconds,
            max_occupancy=plan.max_occupancy,
        ),
    }


def run_pool_check(*, check_id: int, seed: int = 1) -> PoolCheck:
    """Simulate each chosen interval (the worker's side); a finished check is left as it
    is, and a failure is kept on the check in words."""
    with all_clients_scope():
        client_ids = PoolCheck.objects.values_list("client_ids", flat=True).get(pk=check_id)
    with client_scope(clients=list(client_ids)):
        check = PoolCheck.objects.get(pk=check_id)
        if check.is_finished:
            return check
        PoolCheck.objects.filter(pk=check.pk).update(status=PoolCheck.Status.RUNNING)
        try:
            results = []
            for done, interval in enumerate(check.inputs, start=1):
                results.append(interval_result(interval, check.replications, seed=seed))
                PoolCheck.objects.filter(pk=check.pk).update(progress_done=done)
        except ValueError as error:
            _finish(check, PoolCheck.Status.FAILED, [], str(error))
        else:
            _finish(check, PoolCheck.Status.DONE, results, "")
        return PoolCheck.objects.get(pk=check.pk)


def interval_result(interval: dict[str, Any], replications: int, *, seed: int) -> dict[str, Any]:
    """One interval: the pool of every queue's agents simulated, beside Erlang C per queue
    with its own agents. A queue without calls takes no part and is answered in full."""
    queues = interval["queues"]
    busy = [row for row in queues if row["calls"] > 0]
    pool = sum(row["agents"] for row in queues)
    simulated: dict[int, simulation.PoolResult] = {}
    if busy and pool > 0:
        found = simulation.simulate_pool(
            [
                simulation.QueueLoad(row["calls"], row["aht_seconds"], row["patience_seconds"])
                for row in busy
            ],
            pool,
            interval_minutes=interval["minutes"],
            answer_seconds=[row["answer_seconds"] for row in busy],
            replications=replications,
            seed=seed,
        )
        simulated = {row["queue_id"]: result for row, result in zip(busy, found, strict=True)}
    return {
        "start": interval["start"],
        "minutes": interval["minutes"],
        "agents": pool,
        "queues": [
            _queue_result(row, simulated.get(row["queue_id"]), minutes=interval["minutes"])
            for row in queues
        ],
    }


def _queue_result(
    row: dict[str, Any], result: simulation.PoolResult | None, *, minutes: int
) -> dict[str, Any]:
    slot = moves.Slot(
        calls=row["calls"],
        aht_seconds=row["aht_seconds"],
        minutes=minutes,
        answer_seconds=row["answer_seconds"],
        agents_on=row["agents"],
        agents_needed=row["agents"],
    )
    return {
        **row,
        "erlang_service_level": slot.service_level(row["agents"]) if row["agents"] else 0.0,
        "simulated_service_level": result.service_level if result else 1.0,
        "spread": result.service_level_spread if result else 0.0,
        "asa_seconds": result.asa_seconds if result else 0.0,
        "abandon_rate": result.abandon_rate if result else 0.0,
    }


def _finish(check: PoolCheck, status: str, results: list[dict[str, Any]], error: str) -> None:
    with transaction.atomic():
        PoolCheck.objects.filter(pk=check.pk).update(
            status=status,
            results=results,
            error=error[:1000],
            progress_done=check.progress_total if status == PoolCheck.Status.DONE else 0,
            finished_at=timezone.now(),
        )
        record(
            action=f"planning.pool_check.{'finished' if status == 'done' else 'failed'}",
            actor=None,
            client=check.client_id,
            object_type="pool_check",
            object_id=check.pk,
            payload={"intervals": len(results)},
        )
