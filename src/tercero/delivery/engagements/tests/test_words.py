"""SLA targets and working hours in words, and targets as people enter them turned into
the stored structure and back."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.delivery.engagements import calendar, words


def _engagement(hours, cover="business_hours"):
    return SimpleNamespace(working_hours=hours, is_24_7=cover == "24_7")


def test_first_response_within_one_business_hour_for_p1():
    target = words.target_from(metric="first_response", priority="P1", amount="1", unit="hours")
    assert target == {"metric": "first_response", "priority": "P1", "target_seconds": 3600}
    assert words.target_in_words(target, is_24_7=False) == (
        "First response within 1 business hour for P1"
    )
    assert words.target_in_words(target, is_24_7=True) == "First response within 1 hour for P1"


def test_a_general_target_reads_for_the_other_priorities_when_some_have_their_own():
    targets = [
        {"metric": "resolution", "target_business_days": 3},
        {"metric": "resolution", "priority": "P1", "target_seconds": 4 * 3600},
        {"metric": "service_level", "target_percent": 80},
    ]
    assert words.targets_in_words(targets, is_24_7=False) == [
        "Resolved within 4 business hours for P1",
        "Resolved within 3 business days for other priorities",
        "Service level of at least 80%",
    ]


def test_answer_targets_run_on_the_plain_clock():
    target = words.target_from(metric="answer", priority="", amount="0.5", unit="minutes")
    assert target == {"metric": "answer", "target_seconds": 30}
    assert words.target_in_words(target, is_24_7=False) == (
        "Answered within 30 seconds for every priority"
    )


@pytest.mark.parametrize(
    ("metric", "amount", "unit", "said"),
    [
        ("accuracy", "99", "hours", "Accuracy is a percentage: choose Percent."),
        ("first_response", "10", "percent", "First response is a time"),
        ("answer", "1", "hours", "An answer target is in seconds or minutes"),
        ("resolution", "0", "hours", "The target is a number above zero."),
        ("resolution", "x", "hours", "The target is a number, e.g. 4 or 99.5."),
        ("resolution", "0.0001", "minutes", "whole number of seconds"),
        ("resolution", "367", "business_days", "Business days are a whole number up to 365."),
        ("resolution", "9000", "hours", "A time target is at most 366 days."),
        ("accuracy", "100.1", "percent", "Accuracy is at most 100 percent."),
    ],
)
def test_targets_that_cannot_be_stored_are_refused_in_words(metric, amount, unit, said):
    with pytest.raises(words.TargetNotValid, match=said):
        words.target_from(metric=metric, priority="", amount=amount, unit=unit)


@given(
    metric=st.sampled_from(["first_response", "resolution", "turnaround"]),
    priority=st.sampled_from(["", *words.PRIORITIES]),
    seconds=st.integers(min_value=1, max_value=words.MAX_TARGET_SECONDS),
)
def test_a_stored_time_target_survives_the_form_unchanged(metric, priority, seconds):
    stored = {"metric": metric, "target_seconds": seconds}
    if priority:
        stored["priority"] = priority
    amount, unit = words.amount_and_unit(stored)
    again = words.target_from(metric=metric, priority=priority, amount=amount, unit=unit)
    assert again == stored
    calendar.SlaTarget.model_validate(again)  # and the engine's own schema takes it


@given(percent=st.decimals(min_value="0.001", max_value=100, places=3))
def test_a_stored_percent_target_survives_the_form_unchanged(percent):
    stored = {"metric": "accuracy", "target_percent": float(percent)}
    amount, unit = words.amount_and_unit(stored)
    again = words.target_from(metric="accuracy", priority="", amount=amount, unit=unit)
    assert again == stored


def test_weekdays_with_the_same_hours_are_said_together():
    split = [["08:00", "12:00"], ["13:00", "17:00"]]
    hours = {**{str(d): split for d in range(5)}, "5": [["09:00", "13:00"]]}
    assert words.working_hours_in_words(_engagement(hours)) == [
        f"Monday to Friday: 08:00{words.DASH}12:00 and 13:00{words.DASH}17:00",
        f"Saturday: 09:00{words.DASH}13:00",
        "Sunday: closed",
    ]
    two_days = {0: [["09:00", "17:00"]], 1: [["09:00", "17:00"]]}
    assert words.working_hours_in_words(_engagement(two_days))[0] == (
        f"Monday and Tuesday: 09:00{words.DASH}17:00"
    )


def test_a_24_7_engagement_is_said_24_7_and_one_without_hours_says_so():
    assert words.working_hours_in_words(_engagement({"0": [["09:00", "17:00"]]}, "24_7")) == [
        "24/7"
    ]
    assert words.working_hours_in_words(_engagement({})) == ["No working hours set"]


def test_countries_are_named_in_english():
    assert words.country_name("GB") == "United Kingdom"
    assert words.country_name("ba") == "Bosnia and Herzegovina"
    assert words.country_name("ZZ") == "ZZ"
