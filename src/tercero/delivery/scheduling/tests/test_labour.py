from datetime import UTC, datetime, timedelta

import pytest

from tercero.delivery.scheduling.labour import (
    BreakRule,
    LabourRules,
    PlannedShift,
    violations,
)

RULES = LabourRules()
LONDON = {7: "Europe/London"}


def shift(start: datetime, hours: float, *, breaks=None) -> PlannedShift:
    end = start + timedelta(hours=hours)
    if breaks is None:
        minutes = round(hours * 60)
        breaks, cursor = [], start + timedelta(hours=1)
        for rule in RULES.breaks_for(minutes):
            breaks.append((cursor, cursor + timedelta(minutes=rule.break_minutes)))
            cursor += timedelta(hours=2)
    return PlannedShift(7, "day", start, end, tuple(breaks), ("queue:1",))


def day(number: int, hour: int = 9) -> datetime:
    return datetime(2027, 1, 4, hour, tzinfo=UTC) + timedelta(days=number)


def rules_broken(shifts) -> list[str]:
    return [violation.rule for violation in violations(shifts, RULES, time_zones=LONDON)]


def test_every_break_rule_whose_threshold_is_reached_applies_shortest_first():
    assert RULES.breaks_for(3 * 60) == []
    assert RULES.breaks_for(4 * 60) == [BreakRule(240, 15, True)]
    assert RULES.breaks_for(8 * 60) == [BreakRule(240, 15, True), BreakRule(360, 30, False)]


def test_rules_round_trip_through_plain_data():
    rules = LabourRules(max_minutes_per_week=40 * 60, breaks=(BreakRule(300, 20, True),))
    assert LabourRules.from_dict(rules.to_dict()) == rules
    assert LabourRules.from_dict({}) == LabourRules()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_rest_minutes": -5}, "'min rest minutes' must be a whole number"),
        ({"max_days_per_week": "six"}, "'max days per week' must be a whole number"),
        ({"max_days_per_week": 8}, "between 1 and 7"),
        ({"overtime": 1}, "Unknown labour rule: overtime"),
        ({"min_shift_minutes": 700}, "shortest shift allowed is longer"),
        ({"breaks": [{"min_shift_minutes": 240}]}, "Each break rule needs"),
        ({"breaks": "none"}, "Break rules must be a list"),
    ],
)
def test_bad_rules_are_refused_in_plain_words(data, message):
    with pytest.raises(ValueError, match=message):
        LabourRules.from_dict(data)


def test_a_week_of_five_eight_hour_days_keeps_every_rule():
    assert rules_broken([shift(day(number), 8) for number in range(5)]) == []


def test_short_rest_between_late_and_early_is_named_in_local_time():
    # given a late shift ending 22:00 and an early one at 06:00 next day (8 hours' rest)
    found = violations(
        [shift(day(0, 14), 8), shift(day(1, 6), 8)],
        RULES,
        time_zones={7: "America/New_York"},
    )
    # then
    assert [violation.rule for violation in found] == ["rest"]
    assert found[0].message == (
        "Only 8 hours of rest between the shift ending Mon 04 Jan 2027 17:00 and the one "
        "starting Tue 05 Jan 2027 01:00 (America/New_York); the rule is at least 11 hours."
    )


def test_seven_days_running_breaks_days_per_week_and_consecutive_days():
    broken = rules_broken([shift(day(number), 6) for number in range(7)])
    assert sorted(set(broken)) == ["consecutive_days", "days_per_week"]


def test_six_ten_hour_days_break_the_48_hour_week():
    assert "weekly_hours" in rules_broken([shift(day(number), 10) for number in range(6)])


def test_weekly_hours_count_any_seven_days_not_only_calendar_weeks():
    # given 5 x 10 h from Thursday to Monday and a rest Tuesday: 50 hours in the 7 days
    # from Thursday, though no Monday-to-Sunday week holds more than 30
    shifts = [shift(day(number), 10) for number in range(3, 8)]
    assert rules_broken(shifts) == ["weekly_hours"]


def test_shift_length_outside_the_limits():
    assert rules_broken([shift(day(0), 3)]) == ["shift_length"]
    assert "shift_length" in rules_broken([shift(day(0), 11)])


def test_missing_or_misplaced_breaks():
    start = day(0)
    no_break = shift(start, 8, breaks=[])
    too_early = shift(
        start,
        8,
        breaks=[
            (start + timedelta(minutes=10), start + timedelta(minutes=25)),
            (start + timedelta(hours=3), start + timedelta(hours=3, minutes=30)),
        ],
    )
    overlapping = shift(
        start,
        8,
        breaks=[
            (start + timedelta(hours=2), start + timedelta(hours=2, minutes=15)),
            (start + timedelta(hours=2, minutes=5), start + timedelta(hours=2, minutes=35)),
        ],
    )
    assert rules_broken([no_break]) == ["breaks"]
    assert rules_broken([too_early]) == ["breaks"]
    assert rules_broken([overlapping]) == ["breaks"]


def test_local_day_decides_the_working_day_across_the_clock_change():
    # given London shifts at 23:30 local: on 27 March (GMT) and 28 March (BST) they start
    # 23:30 and 22:30 UTC, each on its own local day
    zone = {7: "Europe/London"}
    first = datetime(2027, 3, 27, 23, 30, tzinfo=UTC)
    second = datetime(2027, 3, 28, 22, 30, tzinfo=UTC)
    found = violations([shift(first, 8), shift(second, 8)], RULES, time_zones=zone)
    # then 15 hours' rest separates them, on two local days: nothing is broken
    assert found == []
