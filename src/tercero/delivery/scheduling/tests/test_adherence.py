from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.delivery.scheduling.adherence import (
    EXPECTED_PRESENCE,
    Activity,
    PresenceSpan,
    adherence,
    presence_spans,
)

NINE = datetime(2027, 3, 15, 9, tzinfo=UTC)


def at(hours: float) -> datetime:
    return NINE + timedelta(hours=hours)


def test_six_hour_shift_three_in_one_out_two_neutral_is_75_percent():
    # given a 6-hour shift: work 9-13, a training session 13-15 (neutral)
    schedule = [Activity(at(0), at(6), "work"), Activity(at(4), at(6), "training")]
    # and the agent available 9-12, offline 12-13 (out), offline in training (neutral)
    presence = [PresenceSpan(at(0), at(3), "available"), PresenceSpan(at(3), at(6), "offline")]
    # when
    result = adherence(schedule, presence)
    # then
    assert result.scheduled_seconds == 6 * 3600
    assert result.in_seconds == 3 * 3600
    assert result.out_seconds == 1 * 3600
    assert result.neutral_seconds == 2 * 3600
    assert result.percent == 75.0
    assert result.out_spans == ((at(3), at(4), "work", "offline"),)


def test_break_taken_late_is_out_of_adherence_both_ways():
    # given a break scheduled 11:00-11:15 taken 11:15-11:30
    schedule = [Activity(at(0), at(2), "work"), Activity(at(2), at(2.25), "break")]
    schedule.append(Activity(at(2.25), at(4), "work"))
    presence = [
        PresenceSpan(at(0), at(2.25), "busy"),
        PresenceSpan(at(2.25), at(2.5), "break"),
        PresenceSpan(at(2.5), at(4), "available"),
    ]
    # when
    result = adherence(schedule, presence)
    # then half an hour is out: the break missed, then the work time spent on a break
    assert result.out_seconds == 1800
    assert result.out_spans == (
        (at(2), at(2.25), "break", "busy"),
        (at(2.25), at(2.5), "work", "break"),
    )


def test_until_counts_only_time_already_passed():
    schedule = [Activity(at(0), at(8), "work")]
    presence = [PresenceSpan(at(0), at(1), "available")]
    # when seen at 11:00
    result = adherence(schedule, presence, until=at(2))
    # then two hours are scheduled so far, the second hour out (no presence = offline)
    assert result.scheduled_seconds == 7200
    assert result.in_seconds == 3600
    assert result.percent == 50.0


def test_nothing_but_neutral_time_has_no_percentage():
    result = adherence([Activity(at(0), at(1), "meeting")], [])
    assert result.neutral_seconds == 3600
    assert result.percent is None


def test_unknown_activity_is_refused():
    with pytest.raises(ValueError, match="Unknown scheduled activity"):
        adherence([Activity(at(0), at(1), "nap")], [])


def test_presence_spans_from_history():
    changes = [(at(-1), "available"), (at(1), "busy"), (at(1), "break"), (at(2), "break")]
    spans = presence_spans(changes, start=at(0), end=at(3))
    assert spans == [PresenceSpan(at(0), at(1), "available"), PresenceSpan(at(1), at(3), "break")]


def test_presence_spans_start_from_initial_state():
    spans = presence_spans([(at(2), "available"), (at(5), "offline")], start=at(0), end=at(4))
    assert spans == [PresenceSpan(at(0), at(2), "offline"), PresenceSpan(at(2), at(4), "available")]


KINDS = [*sorted(EXPECTED_PRESENCE), "meeting", "training", "exception"]
STATES = ["available", "busy", "break", "offline"]


@st.composite
def timelines(draw, labels):
    """Items on a quarter-hour grid within a day, possibly overlapping."""
    items = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, 95))
        length = draw(st.integers(1, 24))
        items.append((at(start / 4), at((start + length) / 4), draw(st.sampled_from(labels))))
    return items


@given(timelines(KINDS), timelines(STATES))
def test_in_out_and_neutral_add_up_to_scheduled(schedule, presence):
    result = adherence(
        [Activity(*item) for item in schedule], [PresenceSpan(*item) for item in presence]
    )
    parts = result.in_seconds + result.out_seconds + result.neutral_seconds
    assert parts == pytest.approx(result.scheduled_seconds)
    assert result.percent is None or 0 <= result.percent <= 100
    out_total = sum((end - start).total_seconds() for start, end, _, _ in result.out_spans)
    assert out_total == pytest.approx(result.out_seconds)


@given(timelines(sorted(EXPECTED_PRESENCE)))
def test_presence_exactly_as_scheduled_is_100_percent(schedule):
    activities = [Activity(*item) for item in schedule]
    # given the agent always in the first state each kind expects, over the same timeline
    presence = [
        PresenceSpan(start, end, sorted(EXPECTED_PRESENCE[kind])[0])
        for start, end, kind in schedule
    ]
    result = adherence(activities, presence)
    assert result.percent in (None, 100.0)
    assert result.out_spans == ()
