from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tercero.delivery.scheduling.labour import LabourRules, violations
from tercero.delivery.scheduling.rostering import (
    AgentSupply,
    Need,
    ShiftTemplate,
    solve,
)

MONDAY = date(2027, 1, 4)
NO_BREAKS = LabourRules(breaks=())
EARLY = ShiftTemplate("early", "Early", time(6), 8 * 60)
LATE = ShiftTemplate("late", "Late", time(14), 8 * 60)


def hourly_needs(key: str, first: datetime, hours: int, agents: float) -> list[Need]:
    return [Need(key, first + timedelta(hours=hour), 60, agents) for hour in range(hours)]


def london_agents(count: int, serves: frozenset[str]) -> list[AgentSupply]:
    return [AgentSupply(agent_id, "Europe/London", serves) for agent_id in range(1, count + 1)]


def at(day: int, hour: int) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day), time(hour), tzinfo=UTC)


def test_six_agents_three_days_cover_two_a_slot_exactly():
    # given two agents needed 06:00-22:00 for three days, early and late shifts, no breaks
    needs = [need for day in range(3) for need in hourly_needs("queue:1", at(day, 6), 16, 2)]
    agents = london_agents(6, frozenset({"queue:1"}))
    # when
    roster = solve(
        needs=needs,
        agents=agents,
        templates=[EARLY, LATE],
        rules=NO_BREAKS,
        first_day=MONDAY,
        days=3,
        time_limit_seconds=20,
    )
    # then two earlies and two lates a day, nothing short, nothing over, proven best
    assert roster.status == "optimal"
    assert len(roster.shifts) == 12
    assert roster.under_agent_minutes == 0
    assert roster.over_agent_minutes == 0
    assert roster.gaps == []
    per_day = [
        sorted(s.template for s in roster.shifts if s.start.date() == at(d, 0).date())
        for d in range(3)
    ]
    assert per_day == [["early", "early", "late", "late"]] * 3
    zones = {agent.agent_id: agent.time_zone for agent in agents}
    assert violations(roster.shifts, NO_BREAKS, time_zones=zones) == []


def test_agent_shared_by_two_clients_covers_one_at_a_time():
    # given one agent needed on each of two queues, and two agents who serve both
    needs = hourly_needs("queue:1", at(0, 6), 8, 1) + hourly_needs("queue:2", at(0, 6), 8, 1)
    agents = london_agents(2, frozenset({"queue:1", "queue:2"}))
    # when
    roster = solve(
        needs=needs, agents=agents, templates=[EARLY], rules=NO_BREAKS, first_day=MONDAY, days=1
    )
    # then both work, each on one queue: an agent is never counted twice
    assert roster.under_agent_minutes == 0
    assert sorted(shift.serves for shift in roster.shifts) == [("queue:1",), ("queue:2",)]


def test_breaks_are_placed_within_the_shift_and_are_not_cover():
    # given one agent needed for exactly one early shift, default rules (15 paid + 30 unpaid)
    needs = hourly_needs("queue:1", at(0, 6), 8, 1)
    agents = london_agents(1, frozenset({"queue:1"}))
    # when
    roster = solve(
        needs=needs, agents=agents, templates=[EARLY], rules=LabourRules(), first_day=MONDAY, days=1
    )
    # then 45 minutes short (the breaks), and the breaks keep the rules
    (shift,) = roster.shifts
    # the paid quarter hour in the first part of the shift, the unpaid half hour later
    assert [end - start for start, end in shift.breaks] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
    ]
    assert roster.under_agent_minutes == 45
    assert roster.over_agent_minutes == 0
    assert violations(roster.shifts, LabourRules(), time_zones={1: "Europe/London"}) == []


def test_needs_beyond_the_floor_are_reported_as_gaps():
    needs = hourly_needs("queue:1", at(0, 6), 8, 2.5)
    roster = solve(
        needs=needs,
        agents=london_agents(1, frozenset({"queue:1"})),
        templates=[EARLY],
        rules=NO_BREAKS,
        first_day=MONDAY,
        days=1,
    )
    assert len(roster.gaps) == 8
    assert (roster.gaps[0].needed, roster.gaps[0].planned) == (2.5, 1.0)
    assert roster.under_agent_minutes == pytest.approx(1.5 * 8 * 60)


def test_time_off_is_never_rostered():
    needs = [need for day in range(3) for need in hourly_needs("queue:1", at(day, 6), 8, 1)]
    leave = ((at(1, 0), at(2, 0)),)
    agents = [AgentSupply(1, "Europe/London", frozenset({"queue:1"}), unavailable=leave)]
    roster = solve(
        needs=needs, agents=agents, templates=[EARLY], rules=NO_BREAKS, first_day=MONDAY, days=3
    )
    assert [shift.start for shift in roster.shifts] == [at(0, 6), at(2, 6)]


def test_template_in_the_spring_gap_is_skipped_and_shifts_last_real_hours():
    # given a London night template at 01:00 local, across 28 March 2027 (01:00 -> 02:00)
    night = ShiftTemplate("night", "Night", time(1), 4 * 60)
    first = date(2027, 3, 27)
    needs = hourly_needs("queue:1", datetime(2027, 3, 27, 0, tzinfo=UTC), 72, 1)
    # when
    roster = solve(
        needs=needs,
        agents=london_agents(1, frozenset({"queue:1"})),
        templates=[night],
        rules=LabourRules(),
        first_day=first,
        days=3,
    )
    # then no shift on the 28th; on the 29th 01:00 BST is 00:00 UTC; each lasts 4 real hours
    starts = [shift.start for shift in roster.shifts]
    assert starts == [datetime(2027, 3, 27, 1, tzinfo=UTC), datetime(2027, 3, 29, 0, tzinfo=UTC)]
    assert {shift.end - shift.start for shift in roster.shifts} == {timedelta(hours=4)}


def test_same_inputs_give_the_same_roster():
    needs = [need for day in range(2) for need in hourly_needs("queue:1", at(day, 6), 16, 1.5)]

    def roster():
        return solve(
            needs=needs,
            agents=london_agents(4, frozenset({"queue:1"})),
            templates=[EARLY, LATE],
            rules=LabourRules(),
            first_day=MONDAY,
            days=2,
        )

    assert roster().shifts == roster().shifts


@pytest.mark.parametrize(
    ("template", "need", "message"),
    [
        (ShiftTemplate("long", "Long", time(6), 11 * 60), None, "lasts 11 hours"),
        (ShiftTemplate("odd", "Odd", time(6, 10), 8 * 60), None, "quarter hour"),
        (EARLY, Need("queue:1", at(0, 6) + timedelta(minutes=5), 30, 1), "quarter hour"),
    ],
)
def test_inputs_the_roster_cannot_represent_are_refused(template, need, message):
    with pytest.raises(ValueError, match=message):
        solve(
            needs=[need] if need else [],
            agents=london_agents(1, frozenset({"queue:1"})),
            templates=[template],
            rules=LabourRules(),
            first_day=MONDAY,
            days=1,
        )


ZONES = ["Europe/London", "Asia/Manila", "America/New_York"]
TEMPLATES = [
    EARLY,
    LATE,
    ShiftTemplate("mid", "Middle", time(10), 6 * 60),
    ShiftTemplate("short", "Short", time(17), 4 * 60),
    ShiftTemplate("long", "Long", time(7), 10 * 60),
    ShiftTemplate("night", "Night", time(22), 8 * 60),
]


@st.composite
def small_floors(draw):
    days = draw(st.integers(1, 9))
    first_day = draw(st.sampled_from([MONDAY, date(2027, 3, 24), date(2027, 10, 28)]))
    agents = []
    for agent_id in range(1, draw(st.integers(1, 5)) + 1):
        serves = draw(st.sets(st.sampled_from(["queue:1", "queue:2"]), min_size=1))
        leave_day = draw(st.integers(0, days))
        start = datetime.combine(first_day + timedelta(days=leave_day), time(0), tzinfo=UTC)
        leave = draw(st.sampled_from([(), ((start, start + timedelta(days=2)),)]))
        agents.append(AgentSupply(agent_id, draw(st.sampled_from(ZONES)), frozenset(serves), leave))
    needs = []
    origin = datetime.combine(first_day, time(0), tzinfo=UTC)
    for key in ("queue:1", "queue:2"):
        level = draw(st.sampled_from([0.5, 1.0, 2.25]))
        for hour in range(0, days * 24, draw(st.sampled_from([1, 3]))):
            needs.append(Need(key, origin + timedelta(hours=hour), 60, level))
    rules = draw(
        st.sampled_from(
            [
                LabourRules(),
                LabourRules(max_days_per_week=3, max_consecutive_days=2, min_rest_minutes=14 * 60),
            ]
        )
    )
    templates = draw(st.lists(st.sampled_from(TEMPLATES), min_size=1, max_size=4, unique=True))
    return {
        "needs": needs,
        "agents": agents,
        "templates": templates,
        "rules": rules,
        "first_day": first_day,
        "days": days,
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_floors())
def test_generated_rosters_keep_every_labour_rule(floor):
    # every roster the solver returns keeps the rules, however early the limit stops it
    roster = solve(**floor, time_limit_seconds=1)
    agents = {agent.agent_id: agent for agent in floor["agents"]}
    zones = {agent_id: agent.time_zone for agent_id, agent in agents.items()}
    assert violations(roster.shifts, floor["rules"], time_zones=zones) == []
    for shift in roster.shifts:
        agent = agents[shift.agent_id]
        assert set(shift.serves) <= agent.serves
        assert not any(shift.start < end and start < shift.end for start, end in agent.unavailable)


def test_forty_agents_for_a_week_keep_every_rule():
    # given two sites, two clients, half the agents shared, a daily curve of needs
    agents = [
        AgentSupply(
            agent_id,
            ZONES[agent_id % 2],
            frozenset({"queue:1", "queue:2"})
            if agent_id % 2
            else frozenset({f"queue:{agent_id % 4 // 2 + 1}"}),
        )
        for agent_id in range(1, 41)
    ]
    needs = [
        Need(
            key,
            at(day, 0) + timedelta(minutes=30 * half),
            30,
            round(level * (1 + (half % 48 in range(16, 40))), 2),
        )
        for day in range(7)
        for key, level in (("queue:1", 3.0), ("queue:2", 2.5))
        for half in range(48)
    ]
    # when
    roster = solve(
        needs=needs,
        agents=agents,
        templates=TEMPLATES,
        rules=LabourRules(),
        first_day=MONDAY,
        days=7,
        time_limit_seconds=4,
    )
    # then
    zones = {agent.agent_id: agent.time_zone for agent in agents}
    assert violations(roster.shifts, LabourRules(), time_zones=zones) == []
    assert roster.status in ("optimal", "feasible")
    assert roster.solve_seconds < 8
    need_minutes = sum(need.agents * need.minutes for need in needs)
    assert roster.under_agent_minutes < 0.2 * need_minutes
