"""Rostering at the size of a real floor: generated sites, clients and agents, solved by
CP-SAT within a stated time limit, then every labour rule checked on the output.

    .venv/bin/python bench/scheduling.py --agents 300 --weeks 4 --sites 3 --clients 4 \\
        --time-limit 120 --seed 1

Sites: London (its clocks go forward on 28 March 2027, inside the default four weeks from
15 March), Manila and New York. Each client has a time zone, opening hours and a daily and
weekly curve of agents needed per 30 minutes; agents serve one or two clients' queues,
so pools are shared across clients. About one agent in ten has a block of leave.
Prints the figures and one `RESULT` line; needs no database.
"""

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tercero.delivery.scheduling.labour import LabourRules, violations
from tercero.delivery.scheduling.rostering import (
    AgentSupply,
    Need,
    Roster,
    ShiftTemplate,
    solve,
)

SITES = ("Europe/London", "Asia/Manila", "America/New_York")


@dataclass(frozen=True)
class Client:
    key: str
    time_zone: str
    opens: int  # local hour
    closes: int  # local hour, exclusive; 24 means midnight
    peak_agents: float
    weekend_factor: float


CLIENTS = (
    Client("queue:1", "Europe/London", 7, 22, 38.0, 0.5),
    Client("queue:2", "America/New_York", 8, 22, 34.0, 0.4),
    Client("queue:3", "Europe/London", 0, 24, 22.0, 0.8),
    Client("queue:4", "America/New_York", 9, 18, 30.0, 0.0),
    Client("queue:5", "Asia/Manila", 8, 20, 20.0, 0.6),
)

TEMPLATES = (
    ShiftTemplate("early", "Early", wall(6), 8 * 60),
    ShiftTemplate("day", "Day", wall(8), 8 * 60),
    ShiftTemplate("mid", "Middle", wall(10), 8 * 60),
    ShiftTemplate("late", "Late", wall(14), 8 * 60),
    ShiftTemplate("long", "Long day", wall(8), 10 * 60),
    ShiftTemplate("evening", "Evening", wall(18), 4 * 60),
    ShiftTemplate("night", "Night", wall(22), 8 * 60),
)


def main() -> None:
    arguments = _arguments()
    rng = random.Random(arguments.seed)
    first_day = date.fromisoformat(arguments.first_day)
    days = arguments.weeks * 7
    clients = CLIENTS[: arguments.clients]
    sites = SITES[: arguments.sites]
    agents = _agents(rng, arguments.agents, sites, clients, first_day, days)
    needs = _needs(clients, first_day, days, arguments.agents)
    rules = LabourRules()
    _describe(agents, needs, sites, clients, first_day, days)
    started = time.perf_counter()
    roster = solve(
        needs=needs,
        agents=agents,
        templates=TEMPLATES,
        rules=rules,
        first_day=first_day,
        days=days,
        time_limit_seconds=arguments.time_limit,
        workers=arguments.workers,
        progress=lambda message: print(f"  {time.perf_counter() - started:6.1f} s  {message}"),
    )
    zones = {agent.agent_id: agent.time_zone for agent in agents}
    broken = violations(roster.shifts, rules, time_zones=zones)
    for violation in broken[:10]:
        print(f"  VIOLATION agent {violation.agent_id}: {violation.message}")
    _report(roster, needs, agents, days, len(broken))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--sites", type=int, default=3, choices=range(1, len(SITES) + 1))
    parser.add_argument("--clients", type=int, default=4, choices=range(1, len(CLIENTS) + 1))
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-day", default="2027-03-15")
    return parser.parse_args()


def _agents(
    rng: random.Random,
    count: int,
    sites: tuple[str, ...],
    clients: tuple[Client, ...],
    first_day: date,
    days: int,
) -> list[AgentSupply]:
    """Agents spread over the sites; four in ten serve two clients' queues."""
    agents = []
    for agent_id in range(1, count + 1):
        time_zone = sites[agent_id % len(sites)]
        served = rng.sample(clients, 2 if rng.random() < 0.4 and len(clients) > 1 else 1)
        agents.append(
            AgentSupply(
                agent_id=agent_id,
                time_zone=time_zone,
                serves=frozenset(client.key for client in served),
                unavailable=_leave(rng, time_zone, first_day, days),
            )
        )
    return agents


def _leave(
    rng: random.Random, time_zone: str, first_day: date, days: int
) -> tuple[tuple[datetime, datetime], ...]:
    if rng.random() >= 0.1:
        return ()
    zone = ZoneInfo(time_zone)
    first = first_day + timedelta(days=rng.randrange(max(days - 5, 1)))
    start = datetime.combine(first, wall(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=5), wall(0), tzinfo=zone).astimezone(UTC)
    return ((start, end),)


def _needs(clients: tuple[Client, ...], first_day: date, days: int, agent_count: int) -> list[Need]:
    """Agents needed per 30 local minutes: a daily curve peaking early afternoon, lower at
    weekends, scaled with the size of the floor (the defaults fit 300 agents)."""
    scale = agent_count / 300
    needs = []
    for client in clients:
        zone = ZoneInfo(client.time_zone)
        for day in range(days):
            local_day = first_day + timedelta(days=day)
            weekend = local_day.weekday() >= 5
            factor = client.weekend_factor if weekend else 1.0
            for half_hour in range(client.opens * 2, client.closes * 2):
                hour = half_hour / 2
                curve = 0.35 + 0.65 * math.exp(-(((hour - 13.5) / 4.5) ** 2))
                agents = round(client.peak_agents * scale * factor * curve, 2)
                local = datetime.combine(local_day, wall(0), tzinfo=zone) + timedelta(
                    minutes=30 * half_hour
                )
                start = _on_clock(local, zone)
                if agents > 0 and start is not None:
                    needs.append(Need(client.key, start, 30, agents))
    return needs


def _on_clock(naive_local: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local half hour, None when the clocks skip it."""
    local = naive_local.replace(tzinfo=zone)
    start = local.astimezone(UTC)
    return (
        start if start.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None) else None
    )


def _describe(
    agents: list[AgentSupply],
    needs: list[Need],
    sites: tuple[str, ...],
    clients: tuple[Client, ...],
    first_day: date,
    days: int,
) -> None:
    shared = sum(1 for agent in agents if len(agent.serves) > 1)
    on_leave = sum(1 for agent in agents if agent.unavailable)
    need_hours = sum(need.agents * need.minutes for need in needs) / 60
    print(f"Sites: {', '.join(sites)}; clients: {', '.join(c.key for c in clients)}")
    print(f"Days: {days} from {first_day} (the London site's clocks change on 2027-03-28)")
    print(f"Agents: {len(agents)}, {shared} shared by two clients, {on_leave} with leave")
    print(f"Templates: {len(TEMPLATES)}; cover slots of 15 minutes; needs per 30 minutes")
    rounding = sum((math.ceil(need.agents) - need.agents) * need.minutes for need in needs) / 60
    print(f"Need: {len(needs)} intervals, {need_hours:,.0f} agent-hours")
    print(
        f"Over need from whole agents alone (each interval rounded up): {rounding:,.0f} agent-hours"
    )


def _report(
    roster: Roster, needs: list[Need], agents: list[AgentSupply], days: int, broken: int
) -> None:
    need_minutes = sum(need.agents * need.minutes for need in needs)
    coverage = 1 - roster.under_agent_minutes / need_minutes if need_minutes else 1.0
    worked = sum((s.end - s.start).total_seconds() for s in roster.shifts) / 3600
    print(f"Status: {roster.status} in {roster.solve_seconds:.1f} s")
    print(f"Shifts: {len(roster.shifts)}, {worked:,.0f} agent-hours on shift")
    print(f"Short of need: {roster.under_agent_minutes / 60:,.1f} agent-hours")
    print(f"Over need: {roster.over_agent_minutes / 60:,.1f} agent-hours")
    print(f"Intervals short: {len(roster.gaps)} of {len(needs)}")
    print(f"Labour rule violations: {broken}")
    print(
        f"RESULT agents={len(agents)} days={days} shifts={len(roster.shifts)} "
        f"violations={broken} under_agent_hours={roster.under_agent_minutes / 60:.1f} "
        f"over_agent_hours={roster.over_agent_minutes / 60:.1f} coverage={coverage:.3f} "
        f"solve_s={roster.solve_seconds:.1f} status={roster.status}"
    )


if __name__ == "__main__":
    main()
