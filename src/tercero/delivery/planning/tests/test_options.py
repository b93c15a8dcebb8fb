"""Delivery options' rules worked by hand: overlap of the client's business week with a
site's 08:00-20:00 day, and cost a month from seat hours at the site's hourly cost."""

from types import SimpleNamespace
from typing import Any

import pytest

from tercero.delivery.planning import options

WEEKDAYS_9_TO_5 = {str(day): [["09:00", "17:00"]] for day in range(5)}


def _engagement(time_zone: str, *, always: bool = False) -> Any:
    """Only the fields the rules read (an engagement row needs a database)."""
    return SimpleNamespace(time_zone=time_zone, working_hours=WEEKDAYS_9_TO_5, is_24_7=always)


def test_a_london_business_week_overlaps_manilas_day_three_hours_a_day():
    # 09:00-17:00 London in January is 09:00-17:00 UTC; Manila's 08:00-20:00 is 00:00-12:00
    # UTC: 09:00-12:00 overlaps, 3 hours on each of 5 days
    cover = options.cover_spans(_engagement("Europe/London"))
    assert sum((end - start).total_seconds() for start, end in cover) / 3600 == 40
    assert options.overlap_hours(cover, "Asia/Manila") == pytest.approx(15)
    assert options.overlap_hours(cover, "Europe/Dublin") == pytest.approx(40)


def test_a_24_7_engagement_overlaps_twelve_hours_of_every_day():
    cover = options.cover_spans(_engagement("America/New_York", always=True))
    assert options.overlap_hours(cover, "Asia/Kolkata") == pytest.approx(7 * 12)


def test_cost_a_month_is_seat_hours_at_the_sites_hourly_cost():
    # given 40 hours of cover a week and a site at 9.00 an hour (900 minor units)
    engagement = _engagement("Europe/London")
    engagement.client = SimpleNamespace(country="GB", time_zone="Europe/London")
    engagement.languages, engagement.monthly_volume = ["en", "de"], 10_000
    engagement.residency_allowed_shores, engagement.residency_allowed_countries = [], []
    manila: Any = SimpleNamespace(
        pk=1,
        country="PH",
        time_zone="Asia/Manila",
        languages=["en"],
        hourly_cost_minor=900,
        currency="USD",
        shrinkage=0.3,
    )

    # when the site is compared for 10,000 items a month of 300 seconds
    found = options.compare(
        engagement=engagement, sites=[manila], scope=options.Scope(monthly_volume=10_000)
    )

    # then 10,000 items over 40 * 52 / 12 hours come about 28.8 to the half hour
    option = found.options[0]
    assert found.calls_per_half_hour == pytest.approx(10_000 / (80 * 52 / 12), abs=0.01)
    # seat hours are the fractional agents over every hour of cover in an average month
    assert option.seat_hours == pytest.approx(option.agents_raw * 40 * 52 / 12, rel=1e-3)
    assert option.cost_minor == pytest.approx(option.seat_hours * 900, rel=1e-3)
    assert option.fte == pytest.approx(option.agents_raw, abs=0.1)  # 40 h of cover = 1 FTE
    assert option.agents_raw < option.agents
    assert option.languages_missing == ("de",)
    assert option.shore == "Offshore"
    assert option.residency_allowed
    assert option.shrinkage == 0.3


def test_a_site_with_more_shrinkage_needs_more_agents_for_the_same_work():
    # given two otherwise equal sites, one at 20 % shrinkage and one at 50 %
    engagement = _engagement("Europe/London")
    engagement.client = SimpleNamespace(country="GB", time_zone="Europe/London")
    engagement.languages = []
    engagement.residency_allowed_shores, engagement.residency_allowed_countries = [], []
    common = {"country": "GB", "time_zone": "Europe/London", "languages": ["en"]}
    lean: Any = SimpleNamespace(
        pk=1, hourly_cost_minor=1000, currency="GBP", shrinkage=0.2, **common
    )
    heavy: Any = SimpleNamespace(
        pk=2, hourly_cost_minor=1000, currency="GBP", shrinkage=0.5, **common
    )
    # when both are compared for the same scope
    found = options.compare(
        engagement=engagement, sites=[lean, heavy], scope=options.Scope(monthly_volume=10_000)
    )
    # then each uses its own figure: the same productive agents over 0.8 and over 0.5
    first, second = found.options
    assert (first.shrinkage, second.shrinkage) == (0.2, 0.5)
    assert second.agents_raw == pytest.approx(first.agents_raw * 0.8 / 0.5, abs=0.02)
    assert second.cost_minor > first.cost_minor
