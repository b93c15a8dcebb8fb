"""United Kingdom statutory payments, without the database: Statutory Sick Pay (SSP),
Maternity (SMP), Adoption (SAP), Paternity (SPP), Shared Parental (ShPP), Parental
Bereavement (SPBP) and Neonatal Care Pay (SNCP), day by day, in integer pence, with lines
an auditor can read.

Rates and rules come from the tax year's pack (`packs/gb-<year>.json`,
"statutory_payments", each figure with its GOV.UK source). Whoever calls these functions
has decided the absence qualifies (`statutory_rules.refusal`); here it is only paid.

Rounding. SMP: a week's payment at the earnings-related rate that includes a fraction of
a penny is rounded up to the next penny (Statutory Maternity Pay (General) Regulations
1986, reg. 28), and a day is one seventh of the weekly rate (Social Security
Contributions and Benefits Act 1992 s. 166(4)). SPP and SAP: the same, weekly or daily
(Statutory Paternity Pay and Statutory Adoption Pay (Weekly Rates) Regulations 2002,
SI 2002/2818, reg. 4); ShPP is paid the same way. SSP: a day is the weekly rate divided
by the qualifying days in that week (GOV.UK, Statutory Sick Pay: manually calculate your
employee's payments); HMRC's rounding rule for SSP was not found in the sources checked,
so SSP is rounded up to the penny like the other payments.

Part weeks are rounded cumulatively: the days 0..b of a week are paid ceil(weekly x b /
n) pence, so each day pays ceil(w x (j+1)/n) - ceil(w x j/n). Days paid in two pay
periods therefore add up to exactly the week's amount, never a penny more.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import gb

SICKNESS = "sickness"
MATERNITY = "maternity"
ADOPTION = "adoption"
PATERNITY = "paternity"
SHARED_PARENTAL = "shared_parental"
BEREAVEMENT = "bereavement"
NEONATAL = "neonatal_care"
KINDS = {
    SICKNESS: ("SSP", "Statutory Sick Pay"),
    MATERNITY: ("SMP", "Statutory Maternity Pay"),
    ADOPTION: ("SAP", "Statutory Adoption Pay"),
    PATERNITY: ("SPP", "Statutory Paternity Pay"),
    SHARED_PARENTAL: ("SHPP", "Statutory Shared Parental Pay"),
    BEREAVEMENT: ("SPBP", "Statutory Parental Bereavement Pay"),
    NEONATAL: ("SNCP", "Statutory Neonatal Care Pay"),
}
# paid in whole weeks, each week at the lower of the flat rate and 90 % of earnings
WHOLE_WEEKS = (BEREAVEMENT, NEONATAL)
# average weekly earnings in pence, exact: HMRC's employer helpbook for SMP (E15) says not
# to round them, and to use the unrounded amount against the lower earnings limit
type Pence = int | Fraction
KINDS_BY_CODE = dict(KINDS.values())
SICK_SERIES_YEARS = 3  # a linked series of sickness ends SSP after three years
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Rates:
    """One tax year's statutory payment rates and rules, in pence."""

    tax_year: str
    sick_weekly: int
    sick_waiting_days: int
    sick_incapacity_min_days: int
    sick_earnings_limit_applies: bool
    sick_earnings_percent: Decimal | None
    sick_max_weeks: int
    sick_linking_days: int
    family_weekly: int
    family_percent: Decimal
    family_higher_weeks: int
    maternity_weeks: int
    paternity_weeks: int
    shared_weeks: int
    continuous_weeks: int
    lower_earnings_limit: int
    # Statutory Parental Bereavement Pay and Statutory Neonatal Care Pay (None: the
    # year's pack has no such payment, e.g. neonatal care pay before 6 April 2025)
    bereavement_weekly: int | None = None
    bereavement_weeks: int = 2
    bereavement_window_weeks: int = 56
    neonatal_weekly: int | None = None
    neonatal_max_weeks: int = 12
    neonatal_window_weeks: int = 68
    neonatal_care_start_days: int = 28

    def flat_rate(self, kind: str) -> int | None:
        """The flat weekly rate of a family payment this year (None: not paid this year)."""
        if kind == BEREAVEMENT:
            return self.bereavement_weekly
        if kind == NEONATAL:
            return self.neonatal_weekly
        return self.family_weekly


@dataclass(frozen=True)
class PaidDay:
    day: date
    amount_minor: int
    week_start: date
    week_number: int  # 1 for the first week of the payment period
    weekly_minor: int  # the week's rate
    basis: str  # how the week's rate was found, in words


@dataclass(frozen=True)
class Line:
    """A run of days in one week at one rate, paid in one pay period."""

    code: str
    start: date
    end: date
    days: int
    amount_minor: int
    text: str


def tax_year_of(day: date) -> str:
    start = day.year if day >= date(day.year, 4, 6) else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


@cache
def rates(tax_year: str) -> Rates:
    """The statutory payment rates of a tax year; InvalidInput when no pack has them."""
    found = gb.pack(tax_year).get("statutory_payments")
    if not found:
        raise InvalidInput(
            f"The {tax_year} rates pack has no statutory payment rates.",
            fields={"tax_year": tax_year},
        )
    percent = found["sick_pay_earnings_percent"]
    return Rates(
        tax_year=tax_year,
        sick_weekly=pence(found["sick_pay_weekly"]),
        sick_waiting_days=found["sick_pay_waiting_days"],
        sick_incapacity_min_days=found["sick_pay_incapacity_min_days"],
        sick_earnings_limit_applies=found["sick_pay_lower_earnings_limit_applies"],
        sick_earnings_percent=Decimal(percent) if percent is not None else None,
        sick_max_weeks=found["sick_pay_max_weeks"],
        sick_linking_days=found["sick_pay_linking_days"],
        family_weekly=pence(found["family_weekly"]),
        family_percent=Decimal(found["family_earnings_percent"]),
        family_higher_weeks=found["family_higher_rate_weeks"],
        maternity_weeks=found["maternity_adoption_weeks"],
        paternity_weeks=found["paternity_weeks"],
        shared_weeks=found["shared_parental_weeks"],
        continuous_weeks=found["continuous_employment_weeks"],
        lower_earnings_limit=pence(found["lower_earnings_limit_weekly"]),
        **_bereavement_and_neonatal(found),
    )


def _bereavement_and_neonatal(found: dict) -> dict:
    """SPBP's and SNCP's rates and limits, when the year's pack has them."""
    made: dict = {}
    bereavement = found.get("parental_bereavement")
    if bereavement:
        made.update(
            bereavement_weekly=pence(bereavement["weekly"]),
            bereavement_weeks=bereavement["weeks"],
            bereavement_window_weeks=bereavement["within_weeks_of_death"],
        )
    neonatal = found.get("neonatal_care")
    if neonatal:
        made.update(
            neonatal_weekly=pence(neonatal["weekly"]),
            neonatal_max_weeks=neonatal["max_weeks"],
            neonatal_window_weeks=neonatal["within_weeks_of_birth"],
            neonatal_care_start_days=neonatal["care_starts_within_days_of_birth"],
        )
    return made


def rates_on(day: date) -> Rates:
    return rates(tax_year_of(day))


def pence(text: str) -> int:
    return int(Decimal(text) * 100)


def pounds(minor: int | Decimal | Fraction) -> str:
    """£1,234.56, for the sentences (a fraction of a penny left off, not rounded)."""
    if isinstance(minor, Fraction):
        minor = math.floor(minor)
    value = Decimal(minor) / 100
    return f"£{value:,.2f}"


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def percent_of_minor(amount_minor: Pence, percent: Decimal) -> int:
    """A percentage of an amount (exact, perhaps with a fraction of a penny), rounded up
    to the next penny."""
    return math.ceil(Fraction(amount_minor) * Fraction(percent) / 100)


def share_minor(weekly_minor: int, days: int, of_days: int) -> int:
    """`days` of `of_days` of a weekly amount, rounded up to the next penny."""
    return -((-weekly_minor * days) // of_days)


def _day_amount(weekly_minor: int, index: int, of_days: int) -> int:
    """Day `index` (0-based) of a week of `of_days` paid days: cumulative rounding."""
    return share_minor(weekly_minor, index + 1, of_days) - share_minor(weekly_minor, index, of_days)


# --- maternity, adoption, paternity and shared parental pay -------------------------


def family_weekly(
    *, awe_minor: Pence, week_start: date, higher: bool, kind: str = MATERNITY
) -> tuple[int, str]:
    """The week's rate: 90 % of average weekly earnings in the first six weeks of SMP and
    SAP (`higher`), otherwise the lower of that and the flat rate of the tax year the
    week starts in (SPBP and SNCP: their own flat rates, the same figure in the packs)."""
    year = rates_on(week_start)
    earnings = percent_of_minor(awe_minor, year.family_percent)
    said = f"{_percent(year.family_percent)} % of average weekly earnings {pounds(awe_minor)}"
    flat = year.flat_rate(kind)
    if flat is None:
        raise InvalidInput(
            f"The {year.tax_year} rates pack has no rate for {KINDS[kind][1]}.",
            fields={"tax_year": year.tax_year},
        )
    if higher or earnings <= flat:
        return earnings, said
    return flat, f"the {year.tax_year} flat rate (lower than {said})"


def family_days(
    *,
    kind: str,
    start: date,
    end: date | None,
    awe_minor: Pence,
    weeks: int | None = None,
) -> Iterator[PaidDay]:
    """Every day of an SMP, SAP, SPP or ShPP payment period from `start`, up to `end`
    (or the end of the entitlement): weeks run from the start day, seven days each."""
    year = rates_on(start)
    if weeks is None:
        weeks = {
            MATERNITY: year.maternity_weeks,
            ADOPTION: year.maternity_weeks,
            PATERNITY: year.paternity_weeks,
            SHARED_PARENTAL: year.shared_weeks,
            BEREAVEMENT: year.bereavement_weeks,
            NEONATAL: year.neonatal_max_weeks,
        }[kind]
    higher_weeks = year.family_higher_weeks if kind in (MATERNITY, ADOPTION) else 0
    last = start + timedelta(days=7 * weeks - 1)
    if end is not None:
        last = min(last, end)
    for number in range(weeks):
        week_start = start + timedelta(days=7 * number)
        if week_start > last:
            return
        weekly, basis = family_weekly(
            awe_minor=awe_minor, week_start=week_start, higher=number < higher_weeks, kind=kind
        )
        for index in range(7):
            day = week_start + timedelta(days=index)
            if day > last:
                return
            yield PaidDay(day, _day_amount(weekly, index, 7), week_start, number + 1, weekly, basis)


def shared_days(
    *, blocks: Iterable[tuple[date, date]], awe_minor: Pence, weeks_available: int
) -> Iterator[PaidDay]:
    """ShPP over one or more blocks of leave, oldest first, until the weeks left after
    SMP or SAP (`weeks_available`) are used: each day uses a seventh of a week."""
    days_left = 7 * weeks_available
    number = 0
    for start, end in sorted(blocks):
        if days_left <= 0:
            return
        block_weeks = -(-((end - start).days + 1) // 7)
        for paid in family_days(
            kind=SHARED_PARENTAL, start=start, end=end, awe_minor=awe_minor, weeks=block_weeks
        ):
            if days_left <= 0:
                return
            days_left -= 1
            yield PaidDay(
                paid.day,
                paid.amount_minor,
                paid.week_start,
                number + paid.week_number,
                paid.weekly_minor,
                paid.basis,
            )
        number += block_weeks


# --- lines for a pay period ---------------------------------------------------------


def lines_in(
    days: Iterable[PaidDay], *, kind: str, period_start: date, period_end: date
) -> list[Line]:
    """The paid days that fall in a pay period, one line per week and rate, each with a
    sentence: which week, how many days, at what weekly rate and why."""
    code, name = KINDS[kind]
    groups: dict[tuple[date, int], list[PaidDay]] = {}
    for paid in days:  # in date order: later days (perhaps in a tax year with no rates
        if paid.day > period_end:  # pack yet) are never worked out
            break
        if paid.day >= period_start:
            groups.setdefault((paid.week_start, paid.weekly_minor), []).append(paid)
    made = []
    for (week_start, weekly), group in sorted(groups.items()):
        amount = sum(paid.amount_minor for paid in group)
        first, last = group[0], group[-1]
        week = (
            f"week {first.week_number} (from {day_text(week_start)})"
            if first.week_number
            else f"for the week from {day_text(week_start)}"
        )
        text = (
            f"{name} {week}: "
            f"{len(group)} day{'s' if len(group) != 1 else ''}, {day_text(first.day)} to "
            f"{day_text(last.day)}, at {pounds(weekly)} a week ({first.basis}) = "
            f"{pounds(amount)}."
        )
        made.append(Line(code, first.day, last.day, len(group), amount, text))
    return made


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- Statutory Sick Pay -------------------------------------------------------------


@dataclass(frozen=True)
class Spell:
    """Days of sickness, first and last day inclusive."""

    start: date
    end: date


def sick_weekly(*, awe_minor: Pence, day: date, series_rules: Rates) -> tuple[int, str]:
    """SSP's weekly rate on a day: the flat rate of that day's tax year; from 6 April 2026
    (Employment Rights Act 2025) the lower of that and 80 % of average weekly earnings
    (the series' rules decide which applies)."""
    year = rates_on(day)
    if series_rules.sick_earnings_percent is None:
        return year.sick_weekly, f"the {year.tax_year} flat rate"
    percent = series_rules.sick_earnings_percent
    earnings = percent_of_minor(awe_minor, percent)
    said = f"{_percent(percent)} % of average weekly earnings {pounds(awe_minor)}"
    if earnings < year.sick_weekly:
        return earnings, said
    return year.sick_weekly, f"the {year.tax_year} flat rate (lower than {said})"


def linked_series(spells: Iterable[Spell]) -> list[list[Spell]]:
    """Periods of incapacity for work, linked into series when 8 weeks (56 days) or less
    apart (SSCBA 1992 s. 152(3)). A spell shorter than the rules' minimum (4 days before
    6 April 2026, 1 day after) is no period of incapacity and links nothing."""
    series: list[list[Spell]] = []
    for spell in sorted(spells, key=lambda s: s.start):
        rules = rates_on(spell.start)
        if (spell.end - spell.start).days + 1 < rules.sick_incapacity_min_days:
            continue
        previous = series[-1][-1] if series else None
        gap = (spell.start - previous.end).days - 1 if previous else None
        if gap is not None and gap <= rules.sick_linking_days:
            series[-1].append(spell)
        else:
            series.append([spell])
    return series


def sick_days(
    *, spells: Iterable[Spell], awe_minor: Pence, qualifying_weekdays: frozenset[int],
    not_payable: tuple[Spell, ...] = (),
) -> Iterator[PaidDay]:  # fmt: skip
    """Every day SSP is paid for: qualifying days of each linked series, after the waiting
    days its rules ask (3 qualifying days before 6 April 2026, none after; a series keeps
    the rules of its first day), and until 28 weeks' worth is paid in the series (each day
    is 1 / qualifying days of its week) or the series has lasted three years. Days in
    `not_payable` (a maternity or adoption pay period: no SSP is due in it, GOV.UK
    Statutory Sick Pay: employee eligibility) are neither paid nor waited."""
    if not qualifying_weekdays:
        raise InvalidInput("At least one qualifying day a week is needed.")
    for series in linked_series(spells):
        rules = rates_on(series[0].start)
        waiting = rules.sick_waiting_days
        used = Fraction(0)
        ends = series_ends(series[0].start)
        for day in (day for spell in series for day in _days(spell.start, spell.end)):
            if used >= rules.sick_max_weeks or day >= ends:
                break
            if day.weekday() not in qualifying_weekdays or _within(day, not_payable):
                continue
            if waiting:
                waiting -= 1
                continue
            yield _sick_day(day, awe_minor, qualifying_weekdays, rules)
            used += Fraction(1, len(qualifying_weekdays))


def series_ends(first_day: date) -> date:
    """The first day no SSP is due in a linked series that began on `first_day`: the
    period of entitlement ends when the series has lasted three years (SSCBA 1992
    s. 153(6)(b); GOV.UK, Statutory Sick Pay: manually calculate your employee's
    payments, linked periods of sickness)."""
    try:
        return first_day.replace(year=first_day.year + SICK_SERIES_YEARS)
    except ValueError:  # 29 February
        return date(first_day.year + SICK_SERIES_YEARS, 3, 1)


def _sick_day(day: date, awe_minor: Pence, weekdays: frozenset[int], rules: Rates) -> PaidDay:
    """One qualifying day's SSP: SSP weeks run Sunday to Saturday; the day's share is its
    place among the week's qualifying days (cumulative rounding)."""
    week_start = day - timedelta(days=(day.weekday() + 1) % 7)
    in_week = sorted(
        d for d in (week_start + timedelta(days=i) for i in range(7)) if d.weekday() in weekdays
    )
    weekly, basis = sick_weekly(awe_minor=awe_minor, day=day, series_rules=rules)
    index = in_week.index(day)
    amount = _day_amount(weekly, index, len(in_week))
    said = f"{basis}, {len(in_week)} qualifying day{'s' if len(in_week) != 1 else ''} a week"
    return PaidDay(day, amount, week_start, 0, weekly, said)


def sick_lines(
    *, spells: Iterable[Spell], awe_minor: Pence, qualifying_weekdays: frozenset[int],
    period_start: date, period_end: date, not_payable: tuple[Spell, ...] = (),
) -> list[Line]:  # fmt: skip
    """SSP lines for one pay period, one per Sunday-to-Saturday week."""
    days = sick_days(
        spells=spells, awe_minor=awe_minor, qualifying_weekdays=qualifying_weekdays,
        not_payable=not_payable,
    )  # fmt: skip
    return lines_in(days, kind=SICKNESS, period_start=period_start, period_end=period_end)


def _within(day: date, spells: tuple[Spell, ...]) -> bool:
    return any(spell.start <= day <= spell.end for spell in spells)


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
