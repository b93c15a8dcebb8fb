"""Business time: generated calendars and spans, plus worked examples a client would
check by hand (a weekend, a public holiday, a DST change, a closure, a pay-date rule)."""

import time as wallclock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.engagements.business_time import (
    HORIZON_DAYS,
    BusinessCalendar,
    NoWorkingTime,
)

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "UTC"]
NINE_TO_FIVE = {d: [["09:00", "17:00"]] for d in range(5)}


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(ZONES))
    country = draw(st.sampled_from(["", "US", "DE", "IN", "GB"]))
    hours = {}
    for weekday in range(7):
        if draw(st.booleans()) or weekday == 0:
            shape = draw(
                st.sampled_from(
                    [
                        [["09:00", "17:00"]],
                        [["08:00", "12:00"], ["13:00", "18:30"]],
                        [["00:00", "24:00"]],
                        [["22:00", "24:00"]],
                        [["00:00", "02:30"], ["02:30", "06:00"]],
                    ]
                )
            )
            hours[weekday] = shape
    closures = draw(st.lists(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=5))
    return BusinessCalendar(
        time_zone=zone, working_hours=hours, holiday_country=country, closures=closures
    )


moments = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
    max_value=datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))


def inside_hours(cal: BusinessCalendar, moment: datetime) -> bool:
    """Open, or exactly at the close of an interval of a working day."""
    day = moment.astimezone(cal.zone).date()
    for candidate in (day - timedelta(days=1), day):
        for begin, end in cal.intervals(candidate):
            if begin <= moment <= end:
                return cal.is_working_day(candidate)
    return False


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, durations)
def test_adding_then_measuring_gives_the_same_duration(cal, start, duration):
    end = cal.add(start, duration)
    assert cal.between(start, end) == duration
    assert end >= start
    assert inside_hours(cal, end)


@settings(max_examples=200, deadline=None)
@given(
    calendars(),
    moments,
    st.integers(60, 400 * 3600),
    st.integers(0, 400 * 3600),
    st.integers(0, 100 * 3600),
)
def test_a_pause_adds_exactly_its_length(cal, start, target, into, length):
    target = timedelta(seconds=target)
    pause_from = start + timedelta(seconds=into)
    pause_to = pause_from + timedelta(seconds=length)
    paused = cal.between(pause_from, pause_to)
    try:
        due = cal.add(start, target + paused)
    except NoWorkingTime:
        # a sparse calendar (two hours a week) cannot give hundreds of hours within the
        # search horizon: then it must really hold less than that within the horizon
        horizon = start + timedelta(days=HORIZON_DAYS)
        assert cal.between(start, horizon) < target + paused
        return
    assert cal.between(start, due) - paused == target


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, st.integers(0, 90 * 86400), st.integers(0, 90 * 86400))
def test_between_is_additive(cal, a, first, second):
    b = a + timedelta(seconds=first)
    c = b + timedelta(seconds=second)
    assert cal.between(a, c) == cal.between(a, b) + cal.between(b, c)
    assert cal.between(c, a) == -cal.between(a, c)


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, st.integers(0, 30))
def test_business_days_land_on_working_days(cal, start, days):
    end = cal.add_business_days(start, days)
    assert inside_hours(cal, end)


def ny(**extra):
    return BusinessCalendar(time_zone="America/New_York", working_hours=NINE_TO_FIVE, **extra)


def test_across_a_weekend():
    friday_3pm = local("America/New_York", 2026, 11, 20, 15, 0)
    assert ny().add(friday_3pm, timedelta(hours=4)) == local(
        "America/New_York", 2026, 11, 23, 11, 0
    ).astimezone(UTC)


def test_across_a_public_holiday():
    # Thursday 26 November 2026 is Thanksgiving in the United States.
    wednesday_4pm = local("America/New_York", 2026, 11, 25, 16, 0)
    due = ny(holiday_country="US").add(wednesday_4pm, timedelta(hours=2))
    assert due == local("America/New_York", 2026, 11, 27, 10, 0).astimezone(UTC)
    # without the holiday calendar it lands on Thursday
    assert ny().add(wednesday_4pm, timedelta(hours=2)) == local(
        "America/New_York", 2026, 11, 26, 10, 0
    ).astimezone(UTC)


def test_a_german_holiday_in_a_subdivision():
    # 6 January (Epiphany) is a holiday in Bavaria but not in Berlin.
    cal = BusinessCalendar(
        time_zone="Europe/Berlin",
        working_hours=NINE_TO_FIVE,
        holiday_country="DE",
        holiday_subdivision="BY",
    )
    monday_4pm = local("Europe/Berlin", 2026, 1, 5, 16, 0)
    assert cal.add(monday_4pm, timedelta(hours=2)) == local(
        "Europe/Berlin", 2026, 1, 7, 10, 0
    ).astimezone(UTC)


def test_across_the_spring_dst_change_in_berlin():
    # Clocks go forward at 02:00 on Sunday 29 March 2026: that day is 23 hours long.
    cal = BusinessCalendar(
        time_zone="Europe/Berlin", working_hours={d: [["00:00", "24:00"]] for d in range(7)}
    )
    day_start = local("Europe/Berlin", 2026, 3, 29, 0, 0)
    next_day = local("Europe/Berlin", 2026, 3, 30, 0, 0)
    assert cal.between(day_start, next_day) == timedelta(hours=23)
    # and nine-to-five business time straddling the change is unaffected
    office = BusinessCalendar(time_zone="Europe/Berlin", working_hours=NINE_TO_FIVE)
    friday_4pm = local("Europe/Berlin", 2026, 3, 27, 16, 0)
    due = office.add(friday_4pm, timedelta(hours=3))
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # Monday 11:00 CEST (UTC+2)


def test_across_the_autumn_dst_change_in_new_york():
    # Clocks go back at 02:00 on Sunday 1 November 2026: that day is 25 hours long.
    cal = BusinessCalendar(
        time_zone="America/New_York",
        working_hours={d: [["00:00", "24:00"]] for d in range(7)},
    )
    assert cal.between(
        local("America/New_York", 2026, 11, 1, 0, 0), local("America/New_York", 2026, 11, 2, 0, 0)
    ) == timedelta(hours=25)
    friday_4pm = local("America/New_York", 2026, 10, 30, 16, 0)  # EDT, UTC-4
    due = ny().add(friday_4pm, timedelta(hours=2))
    assert due == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 EST, UTC-5


def test_a_client_closure_day_counts_no_time():
    cal = ny(closures=[date(2026, 11, 23)])
    friday_3pm = local("America/New_York", 2026, 11, 20, 15, 0)
    assert cal.add(friday_3pm, timedelta(hours=4)) == local(
        "America/New_York", 2026, 11, 24, 11, 0
    ).astimezone(UTC)


def test_two_business_days_over_a_weekend():
    thursday_10am = local("America/New_York", 2026, 11, 19, 10, 0)
    assert ny().add_business_days(thursday_10am, 2) == local(
        "America/New_York", 2026, 11, 23, 10, 0
    ).astimezone(UTC)


def test_pay_date_minus_two_business_days_at_two_pm():
    # Pay date Tuesday 29 December 2026, Berlin: 28th is Monday, 25/26 are holidays
    # (Christmas; the 26th is a Saturday anyway), so two business days before is
    # Thursday 24 December, which is not a public holiday in Germany.
    cal = BusinessCalendar(
        time_zone="Europe/Berlin", working_hours=NINE_TO_FIVE, holiday_country="DE"
    )
    due = cal.deadline(date(2026, 12, 29), business_days_before=2, at=time(14, 0))
    assert due == local("Europe/Berlin", 2026, 12, 24, 14, 0).astimezone(UTC)
    # a pay date on a holiday with zero days before falls back to the working day before
    assert cal.deadline(date(2026, 12, 25), business_days_before=0, at=time(14, 0)) == local(
        "Europe/Berlin", 2026, 12, 24, 14, 0
    ).astimezone(UTC)


def test_24_7_is_plain_arithmetic():
    cal = BusinessCalendar(time_zone="Asia/Kolkata", working_hours={}, always_open=True)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert cal.add(start, timedelta(hours=50)) == start + timedelta(hours=50)
    assert cal.between(start, start + timedelta(days=3)) == timedelta(days=3)


def test_a_calendar_without_hours_refuses():
    cal = BusinessCalendar(time_zone="UTC", working_hours={})
    with pytest.raises(NoWorkingTime):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        ny().add(datetime(2026, 1, 1, 9), timedelta(hours=1))  # noqa: DTZ001 (the point)


def test_a_long_duration_is_fast():
    began = wallclock.perf_counter()
    end = ny(holiday_country="US").add(
        local("America/New_York", 2026, 1, 5, 9, 0), timedelta(hours=8 * 400)
    )
    assert wallclock.perf_counter() - began < 0.5
    assert end.year == 2027
