"""The calendar preview counts days as the SLA clock does: open hours, public holidays
of the engagement's country and region, the client's closures; 24/7 never closes."""

from datetime import date
from types import SimpleNamespace

from tercero.delivery.engagements import preview
from tercero.delivery.engagements.business_time import BusinessCalendar

SPLIT = [["08:00", "12:00"], ["13:00", "17:00"]]


def _engagement(**fields):
    defaults = dict(
        time_zone="Europe/London",
        working_hours={str(d): SPLIT for d in range(5)},
        holiday_country="GB",
        holiday_subdivision="ENG",
        closures=[{"date": "2026-12-30", "reason": "Office move"}],
        hours_of_cover="business_hours",
    )
    defaults.update(fields)
    return SimpleNamespace(**defaults, is_24_7=defaults["hours_of_cover"] == "24_7")


def test_christmas_weeks_in_england_with_a_closure():
    # given an engagement on split shifts, England's holidays and one closure
    engagement = _engagement()
    # when the preview is drawn from Wednesday 16 December 2026
    weeks = preview.calendar_preview(engagement, today=date(2026, 12, 16), weeks=3)
    days = {d.day: d for week in weeks for d in week}
    # then it starts on that week's Monday and shows each kind of day
    assert weeks[0][0].day == date(2026, 12, 14)
    assert [d.day.weekday() for d in weeks[1]] == list(range(7))
    assert days[date(2026, 12, 16)].is_today
    assert days[date(2026, 12, 16)].hours == "08:00\u201312:00 and 13:00\u201317:00"
    assert (days[date(2026, 12, 25)].kind, days[date(2026, 12, 25)].note) == (
        "holiday",
        "Christmas Day",
    )
    assert days[date(2026, 12, 28)].note == "Boxing Day (observed)"
    assert (days[date(2026, 12, 30)].kind, days[date(2026, 12, 30)].note) == (
        "closure",
        "Office move",
    )
    assert days[date(2026, 12, 19)].kind == "closed"


def test_the_preview_agrees_with_the_sla_clock_on_which_days_are_open():
    engagement = _engagement()
    clock = BusinessCalendar(
        time_zone=engagement.time_zone,
        working_hours=engagement.working_hours,
        holiday_country="GB",
        holiday_subdivision="ENG",
        closures=[date(2026, 12, 30)],
    )
    weeks = preview.calendar_preview(engagement, today=date(2026, 12, 1), weeks=8)
    for day in (d for week in weeks for d in week):
        assert (day.kind == "open") == clock.is_working_day(day.day), day


def test_a_24_7_engagement_is_open_every_day_and_names_the_holidays_it_works_through():
    engagement = _engagement(hours_of_cover="24_7")
    weeks = preview.calendar_preview(engagement, today=date(2026, 12, 21), weeks=2)
    days = [d for week in weeks for d in week]
    assert {d.kind for d in days} == {"open"}
    assert {d.hours for d in days} == {"24/7"}
    assert days[4].note == "Christmas Day"


def test_public_holidays_of_the_next_months_are_named_in_order():
    engagement = _engagement(holiday_subdivision="")
    found = preview.public_holidays(engagement, start=date(2026, 12, 20), days=20)
    assert found == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Boxing Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
        (date(2027, 1, 1), "New Year's Day"),
    ]
    assert (
        preview.public_holidays(_engagement(holiday_country=""), start=date(2026, 1, 1), days=9)
        == []
    )
