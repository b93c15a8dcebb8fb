"""Back-office staffing: every item done by its due time, and not an agent-hour more."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.planning.backlog import (
    Due,
    Slot,
    backlog_staffing,
    due_slot_of_arrivals,
    due_slot_of_backlog,
)

MONDAY = datetime(2026, 12, 7, 9, tzinfo=UTC)
TOLERANCE = 1e-7  # agent-seconds of work left over that still count as done


def _hours(open_flags, arrivals):
    return [
        Slot(MONDAY + timedelta(hours=i), MONDAY + timedelta(hours=i + 1), flag, count)
        for i, (flag, count) in enumerate(zip(open_flags, arrivals, strict=True))
    ]


def _jobs(slots, backlog, aht_seconds, due_after_slots):
    """(released at slot, due at the end of slot, agent-seconds) for everything planned."""
    jobs = [(0, due_slot_of_backlog(slots, d.due), d.items * aht_seconds) for d in backlog]
    for index, due in enumerate(due_slot_of_arrivals(slots, due_after_slots)):
        jobs.append((index, due, slots[index].arrivals * aht_seconds))
    return [job for job in jobs if job[1] is not None and job[2] > 0]


def _late_work(slots, jobs, agents, shrinkage):
    """Simulate earliest-due-first as a fluid and return the work finished after its due."""
    left = {index: job[2] for index, job in enumerate(jobs)}
    late = 0.0
    for slot_index, slot in enumerate(slots):
        capacity = agents[slot_index] * (1 - shrinkage) * (slot.end - slot.start).total_seconds()
        ready = sorted(
            (i for i, job in enumerate(jobs) if job[0] <= slot_index and left[i] > 0),
            key=lambda i: jobs[i][1],
        )
        for i in ready:
            done = min(capacity, left[i])
            left[i] -= done
            capacity -= done
        late += sum(left[i] for i, job in enumerate(jobs) if job[1] == slot_index)
    return late


def test_backlog_due_in_three_hours_is_spread_over_them():
    # given 50 items due in 3 hours and 5 already overdue, 6 minutes each, nothing arriving
    slots = _hours([True] * 4, [0, 0, 0, 0])
    backlog = [Due(MONDAY + timedelta(hours=3), 50), Due(MONDAY - timedelta(hours=1), 5)]
    # when
    agents = backlog_staffing(slots=slots, backlog=backlog, aht_seconds=360, due_after_slots=0)
    # then the 5.5 agent-hours are spread evenly over the 3 hours (the lowest peak), the late
    # items first, and nothing is kept for the hour after the due time
    assert agents == pytest.approx([5.5 / 3, 5.5 / 3, 5.5 / 3, 0.0])


def test_arrivals_overnight_are_worked_when_the_office_opens():
    # given 20 items arriving in a closed hour, due 2 open hours later, 30 minutes each
    slots = _hours([True, False, True, True, True], [0, 20, 0, 0, 0])
    agents = backlog_staffing(slots=slots, backlog=[], aht_seconds=1800, due_after_slots=1)
    # then 10 agent-hours over the 2 open hours before the due time, none while closed
    assert agents == pytest.approx([0.0, 0.0, 5.0, 5.0, 0.0])


def test_shrinkage_grosses_up_the_agents():
    slots = _hours([True], [10])
    plain = backlog_staffing(slots=slots, backlog=[], aht_seconds=360, due_after_slots=0)
    grossed = backlog_staffing(
        slots=slots, backlog=[], aht_seconds=360, due_after_slots=0, shrinkage=0.2
    )
    assert plain == pytest.approx([1.0])
    assert grossed == pytest.approx([1.25])


def test_work_due_after_the_plan_is_left_to_a_later_plan():
    slots = _hours([True, True], [0, 0])
    agents = backlog_staffing(
        slots=slots,
        backlog=[Due(MONDAY + timedelta(days=2), 100)],
        aht_seconds=60,
        due_after_slots=0,
    )
    assert agents == [0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    hours=st.lists(
        st.tuples(st.booleans(), st.integers(0, 40).map(float)), min_size=1, max_size=16
    ),
    backlog=st.lists(st.tuples(st.integers(-2, 18), st.integers(1, 60)), max_size=5),
    aht=st.sampled_from([120.0, 360.0, 900.0]),
    due_after=st.integers(0, 4),
    shrinkage=st.sampled_from([0.0, 0.25]),
)
def test_every_item_meets_its_due_time_and_less_in_any_staffed_slot_makes_one_late(
    hours, backlog, aht, due_after, shrinkage
):
    # given hours open or closed with arrivals, and a backlog with due times
    slots = _hours([h[0] for h in hours], [h[1] for h in hours])
    dues = [Due(MONDAY + timedelta(hours=h), float(n)) for h, n in backlog]
    # when
    agents = backlog_staffing(
        slots=slots, backlog=dues, aht_seconds=aht, due_after_slots=due_after, shrinkage=shrinkage
    )
    jobs = _jobs(slots, dues, aht, due_after)
    # then nothing is late, closed hours have no one
    assert _late_work(slots, jobs, agents, shrinkage) <= TOLERANCE
    assert all(a == 0 for a, s in zip(agents, slots, strict=True) if not s.open)
    # and 1 % less in any staffed (binding) hour makes some work late
    for index, count in enumerate(agents):
        if count > 0:
            fewer = [a * 0.99 if i == index else a for i, a in enumerate(agents)]
            assert _late_work(slots, jobs, fewer, shrinkage) > TOLERANCE


def test_bad_input_is_refused_in_plain_words():
    with pytest.raises(ValueError, match="handle time"):
        backlog_staffing(slots=_hours([True], [1]), backlog=[], aht_seconds=0, due_after_slots=0)
    with pytest.raises(ValueError, match="due_after_slots"):
        backlog_staffing(slots=_hours([True], [1]), backlog=[], aht_seconds=60, due_after_slots=-1)
    overlapping = [*_hours([True], [1]), *_hours([True], [1])]
    with pytest.raises(ValueError, match="overlapping"):
        backlog_staffing(slots=overlapping, backlog=[], aht_seconds=60, due_after_slots=0)
