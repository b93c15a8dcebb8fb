"""United Kingdom National Minimum Wage and National Living Wage check for the variance
review, driven by the year's pack (`packs/gb-<year>.json`, "national_minimum_wage";
GOV.UK, National Minimum Wage and National Living Wage rates).

- The rate is the band for the worker's age on the first day of the pay reference period
  (the run's period); without a date of birth the check uses the rate for 21 and over.
- Pay per hour: an hourly-paid worker's rate; a salaried worker's annual salary over
  their contracted hours a week times 52. A worker paid both ways is checked on each and
  the lower counts. Without contracted hours a salary is not checked.
- Below means below by any fraction of a penny: the comparison is exact, and the pay per
  hour is shown rounded down to the penny, so it never reads as the rate itself.

A flag for a person to look at, not the full calculation of the National Minimum Wage
Regulations 2015 (which also count bonuses, deductions for the employer's benefit and
salary sacrifice, and the hours actually worked); apprentices' rate is not applied, as
the records do not say who is one.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

SECONDS_AN_HOUR = 3600
WEEKS_A_YEAR = 52


@dataclass(frozen=True)
class Band:
    wage: str  # "National Living Wage"
    ages: str  # "21 and over"
    from_age: int
    rate_minor: int  # pence an hour


@dataclass(frozen=True)
class Shortfall:
    """Pay per hour below the band's rate."""

    hourly_minor: int  # pay per hour, rounded down to the penny
    band: Band
    age_known: bool

    def as_basis(self) -> dict:
        return {
            "hourly_minor": self.hourly_minor,
            "rate_minor": self.band.rate_minor,
            "wage": self.band.wage,
            "ages": self.band.ages,
            "age_known": self.age_known,
        }


def bands(rates: dict) -> list[Band]:
    """The pack's bands, the oldest first."""
    found = [
        Band(
            wage=band["wage"],
            ages=band["ages"],
            from_age=int(band["from_age"]),
            rate_minor=int(Decimal(band["rate"]) * 100),
        )
        for band in rates["national_minimum_wage"]["bands"]
    ]
    return sorted(found, key=lambda band: -band.from_age)


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day` (a 29 February birthday counts from 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def band_for(rates: dict, age: int | None) -> Band:
    """The band for `age`; None (no date of birth): the band for the oldest."""
    ordered = bands(rates)
    if age is None:
        return ordered[0]
    return next(band for band in ordered if age >= band.from_age)


def pay_per_hour(
    *,
    annual_salary_minor: int | None,
    hourly_rate_minor: int | None,
    contracted_seconds_per_week: int | None,
) -> Fraction | None:
    """The lowest pay per hour the employment row shows, exactly, in pence; None when it
    shows none (a salary without contracted hours)."""
    measures = []
    if hourly_rate_minor is not None:
        measures.append(Fraction(hourly_rate_minor))
    if annual_salary_minor is not None and contracted_seconds_per_week:
        hours_a_year = Fraction(contracted_seconds_per_week * WEEKS_A_YEAR, SECONDS_AN_HOUR)
        measures.append(annual_salary_minor / hours_a_year)
    return min(measures) if measures else None


def shortfall(*, rates: dict, hourly: Fraction | None, age: int | None) -> Shortfall | None:
    """What the review says when `hourly` pay is below the rate for `age`, or None."""
    if hourly is None:
        return None
    band = band_for(rates, age)
    if hourly >= band.rate_minor:
        return None
    return Shortfall(int(hourly), band, age is not None)


def sentence(basis: dict, *, amount_text) -> str:
    """The review's words for a stored shortfall (`Shortfall.as_basis`): "Paid £11.02 an
    hour, below the National Living Wage of £12.71 for 21 and over"."""
    words = (
        f"Paid {amount_text(basis['hourly_minor'])} an hour, below the {basis['wage']} of "
        f"{amount_text(basis['rate_minor'])} for {basis['ages']}"
    )
    if not basis["age_known"]:
        words += " (no date of birth recorded: checked against the highest rate)"
    return words
