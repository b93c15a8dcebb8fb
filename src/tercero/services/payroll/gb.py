"""United Kingdom PAYE income tax and Class 1 National Insurance, as HMRC's
*Specification for PAYE Tax Table Routines* computes them, driven by a jurisdiction
pack (`packs/gb-<year>.json`): a new tax year is a new pack, not new code.

Money is `Decimal` pounds here and integer pence at the edges. The rules, with HMRC's
rounding:

- Pay adjustment (free pay for suffix codes, additional pay for K codes): the code
  number is split into units of 500 and a remainder r (a code of 1000 is one unit and
  r = 500); per period each unit is 5000 / periods rounded *up* to the penny, the
  remainder (r x 10 + 9) / periods rounded up to the penny; to date = per period x n.
- Taxable pay to date = pay to date - free pay to date (suffix codes) or + additional
  pay to date (K codes), rounded *down* to whole pounds (never below 0).
- Tax to date (specification version 24.0, Definitions 9 to 11 and paragraph 4.4.4):
  the band is chosen by testing taxable pay to date (before its rounding to the pound)
  against each band's limit to date (annual limit x n / periods) rounded *up* to the
  whole pound; the tax is then the threshold tax of the band below (the annual tax of
  the bands below x n / periods) plus the band's rate on taxable pay above the band
  below's exact limit to date, every figure to four decimals with the rest dropped, and
  the result rounded *down* to the penny. (Rounding band limits up to the penny instead
  is 1p off HMRC for some additional-rate months; HMRC's 2009-10 test data agrees with
  both.) The tax for the period is tax to date less tax already deducted: a refund when
  negative (cumulative codes only).
- Scottish (S) and Welsh (C) codes: the same routines on the pack's Scottish or Welsh
  bands and flat rates (SBR, SD0-SD3; CBR, CD0, CD1), HMRC's Appendices B and C.
- The overriding (regulatory) limit: the tax deducted from a payment is at most 50 % of
  its taxable pay, on every code since 6 April 2015 (PAYE Regulations 2003, reg. 23(5);
  specification version 13). What it holds back stays due on the cumulative basis, so
  later payments of the year collect it, each within its own limit (reg. 23's UT); on
  the Week 1 / Month 1 basis nothing is carried.
- BR, D0, D1: the flat rate on all pay (cumulative: on pay to date rounded down to whole
  pounds); 0T: no allowance, normal bands. NT: tax due to date is nil, so on the
  cumulative basis the tax deducted earlier in the year is refunded (specification,
  paragraph 7); on the Week 1 / Month 1 basis nothing is deducted or refunded.
- Week 1 / Month 1 (non-cumulative, e.g. the emergency code): every period is period 1
  on that period's pay alone, and never a refund.
- A pay day in tax week 53 (5 April, or 4-5 April in a leap year) is taxed on the
  Week 1 basis for that payment, whatever the code (fortnightly: the week 2 figures, HMRC's
  "week 54"), as HMRC's guidance on week 53 payments says.
- Fortnightly pay is worked on the weekly tables: the period is the tax week the pay day
  falls in (cumulative), Week 1 figures times two on the Week 1 basis. NICs use the
  pack's fortnightly (and four-weekly) thresholds: regulation 11 SS(C)R 2001 (HMRC
  NIM01010) rounds the PT and ST up from the yearly figure, so they are not the weekly
  ones times two (ST: 193, not 192).
- Class 1 NICs (exact percentage method, per period, not cumulative): employee rate on
  earnings above the Primary Threshold up to the Upper Earnings Limit, the lower rate
  above it; employer rate above the Secondary Threshold, or, for the letters with an
  employer relief (H, M, V, Z up to the UEL; freeport F, I, L, S up to the FUST;
  investment zone N, E, D, K up to the IZUST), only above that upper threshold. Each
  band's product is kept to four decimals, and the employee's and employer's sums are
  each rounded to the penny on the third decimal alone: 5 or less down, 6 or more up
  (HMRC's NICs rounding).
"""

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    Decimal,
    InvalidOperation,
)
from functools import cache
from pathlib import Path

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import pensions, student_loans

PACKS = Path(__file__).resolve().parent / "packs"
PERIODS = {"weekly": 52, "monthly": 12}
# pay frequency -> (the tables it is worked on, how many of their periods one pay covers)
FREQUENCIES = {
    "weekly": ("weekly", 1),
    "biweekly": ("weekly", 2),
    "four_weekly": ("weekly", 4),
    "monthly": ("monthly", 1),
    "annual": ("monthly", 12),  # the monthly tables at month 12: the whole year's bands
}
# the pack's own NICs thresholds for a pay frequency that is a multiple of a week
# (regulation 11 rounds PT and ST up from the yearly figure: not the weekly ones times n)
# and for annual pay (the yearly thresholds)
NIC_PERIODS = {"biweekly": "fortnightly", "four_weekly": "four_weekly", "annual": "annual"}
PENNY = Decimal("0.01")
THREE_PLACES = Decimal("0.001")
FOUR_PLACES = Decimal("0.0001")
POUND = Decimal("1")
CODE = re.compile(
    r"^(?P<region>[SC]?)(?:(?P<k>K)(?P<knum>\d{1,4})|(?P<num>\d{1,4})(?P<suffix>[LMNT])"
    r"|(?P<flat>BR|D[0-3]|NT|0T))(?P<basis>\s*(?:W1|M1|X))?$"
)
# the highest D code of each region (Scotland has five rates above its basic rate)
TOP_D_CODE = {"": 1, "C": 1, "S": 3}
REGION_NAMES = {"S": "Scottish", "C": "Welsh"}


@dataclass(frozen=True)
class TaxCode:
    kind: str  # "suffix", "k", "flat", "nt", "0t"
    number: int = 0
    flat: str = ""
    cumulative: bool = True
    text: str = ""
    region: str = ""  # "S" Scotland, "C" Wales (Cymru), "" England and Northern Ireland


def parse_code(text: str) -> TaxCode:
    """A tax code as HMRC writes it: 1257L, K475, BR, D0, D1, NT, 0T, with W1/M1/X for
    the non-cumulative basis, and S (Scottish) or C (Welsh) in front: S1257L, SK475,
    SBR, SD0-SD3, CD1, SNT, C0T."""
    cleaned = (text or "").strip().upper().replace(" ", "")
    found = CODE.match(cleaned)
    if found is None:
        raise InvalidInput(f"{text!r} is not a tax code.", fields={"tax_code": "e.g. 1257L"})
    region, cumulative = found["region"], not found["basis"]
    if found["k"]:
        return TaxCode("k", int(found["knum"]), cumulative=cumulative, text=cleaned, region=region)
    if found["num"]:
        number = int(found["num"])
        return TaxCode("suffix", number, cumulative=cumulative, text=cleaned, region=region)
    flat = found["flat"]
    if flat[0] == "D" and int(flat[1]) > TOP_D_CODE[region]:
        raise InvalidInput(
            f"{text!r} is not a tax code: {flat} is a Scottish code (SD2, SD3).",
            fields={"tax_code": "e.g. SD2"},
        )
    kind = {"NT": "nt", "0T": "0t"}.get(flat, "flat")
    return TaxCode(kind, flat=flat, cumulative=cumulative, text=cleaned, region=region)


@cache
def pack(year: str) -> dict:
    """The rates pack of a tax year, e.g. "2026-27"."""
    path = PACKS / f"gb-{year}.json"
    if not path.exists():
        raise InvalidInput(f"No UK rates pack for tax year {year}.", fields={"tax_year": year})
    return json.loads(path.read_text())


@cache
def known_ni_categories() -> frozenset[str]:
    """The NI category letters the packs have rates for (HMRC publishes others, e.g. the
    freeport and investment zone letters, which need their own upper secondary thresholds:
    refused until a pack carries them)."""
    letters: set[str] = set()
    for path in PACKS.glob("gb-*.json"):
        letters.update(json.loads(path.read_text())["national_insurance"]["categories"])
    return frozenset(letters)


def ni_category(text: str) -> str:
    """An NI category letter as stored: upper case, one the calculation knows; blank is
    category A."""
    letter = (text or "").strip().upper()
    if letter and letter not in known_ni_categories():
        raise InvalidInput(
            f"{text!r} is not an NI category letter this payroll calculates.",
            fields={"ni_category": ", ".join(sorted(known_ni_categories()))},
        )
    return letter


def _up(value: Decimal, step: Decimal = PENNY) -> Decimal:
    return value.quantize(step, rounding=ROUND_CEILING)


def _down(value: Decimal, step: Decimal = PENNY) -> Decimal:
    return value.quantize(step, rounding=ROUND_FLOOR)


def pay_adjustment_per_period(number: int, periods: int, unit: int = 500) -> Decimal:
    if number <= 0:
        return Decimal(0)
    units, remainder = divmod(number - 1, unit)
    remainder += 1
    per_unit = _up(Decimal(unit * 10) / periods)
    return units * per_unit + _up(Decimal(remainder * 10 + 9) / periods)


@dataclass(frozen=True)
class TaxResult:
    tax: Decimal  # deducted (negative: refunded) this period
    tax_to_date: Decimal
    taxable_to_date: Decimal
    pay_adjustment_to_date: Decimal
    limited: bool = False  # the overriding limit held some tax back
    not_deducted: Decimal = Decimal(0)  # what it held back from this payment


def basis(frequency: str) -> tuple[str, int]:
    """The tables a pay frequency is worked on and how many of their periods it covers."""
    try:
        return FREQUENCIES[frequency]
    except KeyError:
        raise InvalidInput(
            "United Kingdom pay groups are paid weekly, fortnightly, four-weekly, monthly or "
            "annually.",
            fields={"frequency": "weekly, biweekly, four_weekly, monthly or annual"},
        ) from None


def income_tax(
    *,
    code: str | TaxCode,
    pay: Decimal,
    pay_to_date: Decimal,
    tax_to_date_before: Decimal,
    period: int,
    frequency: str = "monthly",
    year: str = "2026-27",
    rates: dict | None = None,
) -> TaxResult:
    """PAYE for one pay period. `pay_to_date` includes this period's `pay` (and, for a
    starter with a P45, the previous employment's pay); `tax_to_date_before` is the tax
    already deducted this year (P45 tax included). A fortnightly `period` is the tax
    week of the pay day."""
    tax_code = parse_code(code) if isinstance(code, str) else code
    table = _regional((rates or pack(year))["income_tax"], tax_code.region)
    tables, multiple = basis(frequency)
    periods = PERIODS[tables]
    last = periods + 1 if tables == "weekly" else periods  # week 53, on the Week 1 basis
    if not 1 <= period <= last:
        raise InvalidInput(f"A {frequency} period is 1 to {last}.", fields={"period": period})
    if not tax_code.cumulative or period > periods:
        result = income_tax(
            code=replace(tax_code, cumulative=True),
            pay=pay,
            pay_to_date=pay,
            tax_to_date_before=Decimal(0),
            period=multiple,
            frequency=tables,
            rates=rates or pack(year),
        )
        tax = max(result.tax, Decimal(0))
        return replace(result, tax=tax, tax_to_date=tax_to_date_before + tax)
    if tax_code.kind == "nt":  # nothing due to date: what was deducted comes back
        return TaxResult(-tax_to_date_before, Decimal(0), Decimal(0), Decimal(0))
    adjustment = Decimal(0)
    if tax_code.kind in ("suffix", "k"):
        unit = int(table.get("pay_adjustment_unit", 500))
        adjustment = pay_adjustment_per_period(tax_code.number, periods, unit) * period
    signed = adjustment if tax_code.kind == "k" else -adjustment
    unrounded = pay_to_date + signed
    taxable = max(_down(unrounded, POUND), Decimal(0))
    if tax_code.kind == "flat":
        due_to_date = _down(taxable * Decimal(table["flat_codes"][tax_code.flat]))
    else:
        by_band = table.get("threshold_tax") == "by_band"
        due_to_date = _banded(unrounded, table["bands"], period, periods, by_band)
    wanted = due_to_date - tax_to_date_before
    tax = overriding_limit(wanted, pay=pay, rate=Decimal(table["regulatory_limit"]))
    return TaxResult(tax, tax_to_date_before + tax, taxable, adjustment, tax < wanted, wanted - tax)


def overriding_limit(tax: Decimal, *, pay: Decimal, rate: Decimal) -> Decimal:
    """`tax` held to at most `rate` (50 %) of the payment's taxable `pay`, rounded down to
    the penny (nothing from a payment of nothing); a refund is never limited."""
    if tax <= 0:
        return tax
    return min(tax, max(_down(pay * rate), Decimal(0)))


def _regional(table: dict, region: str) -> dict:
    """The income tax table of a code's region: the pack's own bands and flat rates for
    Scotland or Wales, its other figures (regulatory limit, pay adjustment) shared."""
    if not region:
        return table
    regional = table.get("regions", {}).get(region)
    if regional is None:
        raise InvalidInput(
            f"This rates pack has no {REGION_NAMES[region]} income tax bands.",
            fields={"tax_code": region},
        )
    return {**table, **regional}


def _four(value: Decimal) -> Decimal:
    """To four decimal places, the rest dropped (the specification's working precision)."""
    return value.quantize(FOUR_PLACES, rounding=ROUND_DOWN)


def _banded(
    unrounded: Decimal, bands: list[dict], period: int, periods: int, by_band: bool = False
) -> Decimal:
    """Tax due to date on the bands (specification version 24.0, paragraphs 4.4.4-4.4.5):
    the income test compares unrounded taxable pay with each limit to date rounded up to
    the pound (Definition 10); the tax is the threshold tax of the bands below plus the
    band's rate on pay (rounded down to the pound) above the exact threshold below
    (Definition 9), to four decimals, then rounded down to the penny. The threshold tax
    (Definition 11) is the annual tax of the bands below x n / periods to four decimals,
    or, where the pack says `threshold_tax: "by_band"` (Scotland), the sum of each band's
    tax on its width to date, each to four decimals: HMRC's 2025-26 test data agrees
    with the first for England, Northern Ireland and Wales and only with the second for
    Scotland (six bands: 1p less in some months)."""
    if unrounded <= 0:
        return Decimal(0)
    whole = _down(unrounded, POUND)
    threshold = threshold_tax = limit = tax_to_limit = Decimal(0)
    rate = Decimal(bands[-1]["rate"])
    for band in bands:
        rate = Decimal(band["rate"])
        if band["upto"] is None:
            break
        tax_to_limit += (Decimal(band["upto"]) - limit) * rate
        limit = Decimal(band["upto"])
        if unrounded <= _up(limit * period / periods, POUND):
            break
        below, threshold = threshold, _four(limit * period / periods)
        if by_band:
            threshold_tax += _four((threshold - below) * rate)
        else:
            threshold_tax = _four(tax_to_limit * period / periods)
    return _down(threshold_tax + _four((whole - threshold) * rate))


@dataclass(frozen=True)
class NicResult:
    employee: Decimal
    employer: Decimal
    # earnings in each band, as reported on the FPS
    at_lel_to_pt: Decimal
    pt_to_uel: Decimal


def _nic_band(earnings: Decimal, rate: Decimal) -> Decimal:
    """One band's contribution, kept to four decimal places (the rest dropped)."""
    return (earnings * rate).quantize(FOUR_PLACES, rounding=ROUND_DOWN)


def _nic_round(value: Decimal) -> Decimal:
    """HMRC's NICs rounding (regulation 12(1) SS(C)R 2001, NIM11002, and the NICs
    guidance for software developers): to the penny on the third decimal alone, the
    fourth ignored: 5 or less rounds down, 6 or more up (52.6558 -> 52.65)."""
    return value.quantize(THREE_PLACES, rounding=ROUND_DOWN).quantize(
        PENNY, rounding=ROUND_HALF_DOWN
    )


def national_insurance(
    *,
    pay: Decimal,
    category: str = "A",
    frequency: str = "monthly",
    year: str = "2026-27",
    rates: dict | None = None,
) -> NicResult:
    """Class 1 NICs for one period's earnings (exact percentage method)."""
    table = (rates or pack(year))["national_insurance"]
    tables, multiple = basis(frequency)
    own = table["periods"].get(NIC_PERIODS.get(frequency, ""))
    if own is not None:
        limits = {k: Decimal(v) for k, v in own.items()}
    else:  # a pack without the frequency's own table: the weekly figures times n
        limits = {k: Decimal(v) * multiple for k, v in table["periods"][tables].items()}
    return contributions(pay=pay, limits=limits, category=category, table=table)


def contributions(*, pay: Decimal, limits: dict, category: str, table: dict) -> NicResult:
    """Class 1 NICs on `pay` in an earnings period with these thresholds."""
    try:
        rate = {
            k: Decimal(v)
            for k, v in table["categories"][category].items()
            if k != "employer_relief_upto"
        }
    except KeyError:
        raise InvalidInput(
            f"Unknown NI category {category!r}.",
            fields={"category": ", ".join(sorted(table["categories"]))},
        ) from None
    main = max(min(pay, limits["UEL"]) - limits["PT"], Decimal(0))
    above = max(pay - limits["UEL"], Decimal(0))
    # each band rounded on its own, then added (HMRC's 2025-26 NICs test data: 1,450 at
    # 1.85 % = 26.825 -> 26.82 plus 0.05 at 2 % = 0.001 -> 0.00 is 26.82, not 26.83)
    employee = _nic_round(_nic_band(main, rate["employee_main"])) + _nic_round(
        _nic_band(above, rate["employee_above_uel"])
    )
    secondary_base = max(pay - limits["ST"], Decimal(0))
    relief = table["categories"][category].get("employer_relief_upto")
    if relief:  # no employer NICs up to the letter's upper secondary threshold
        secondary_base = max(pay - max(limits[relief], limits["ST"]), Decimal(0))
    employer = _nic_round(_nic_band(secondary_base, rate["employer"]))
    lel_to_pt = (
        max(min(pay, limits["PT"]) - limits["LEL"], Decimal(0))
        if pay >= limits["LEL"]
        else Decimal(0)
    )
    return NicResult(employee, employer, lel_to_pt, main)


# --- directors (HMRC CA44, National Insurance for company directors) -------------------


def director_weeks(*, appointed_on: date, tax_year_start: date) -> int:
    """The weeks of a director's annual earnings period in a tax year: 52 when appointed
    before it began or in its first week; else the weeks left counting the week of
    appointment (tax week n: 53 - n, at least 1), a pro rata annual earnings period."""
    if appointed_on < tax_year_start:
        return 52
    return max(52 - (appointed_on - tax_year_start).days // 7, 1)


def director_limits(*, table: dict, weeks: int) -> dict:
    """The thresholds of a director's earnings period: the yearly ones, or pro rata each
    yearly figure / 52 x the weeks, rounded up to the whole pound (CA44)."""
    yearly = {k: Decimal(v) for k, v in table["periods"]["annual"].items()}
    if weeks >= 52:
        return yearly
    return {k: _up(v * weeks / 52, POUND) for k, v in yearly.items()}


def final_period(*, frequency: str, period: int) -> bool:
    """Whether a pay day is the tax year's last of its frequency (no later one fits)."""
    tables, multiple = basis(frequency)
    return period + multiple > PERIODS[tables]


def director_national_insurance(
    *,
    pay: Decimal,
    earnings_before: Decimal,
    employee_before: Decimal,
    employer_before: Decimal,
    category: str,
    weeks: int,
    year: str = "2026-27",
    rates: dict | None = None,
) -> NicResult:
    """A director's NICs by the annual earnings period (CA44): worked on the earnings to
    date against the period's thresholds, less what the year's earlier payments took.
    The alternative method uses this only on the year's last pay day."""
    table = (rates or pack(year))["national_insurance"]
    total = contributions(
        pay=earnings_before + pay,
        limits=director_limits(table=table, weeks=weeks),
        category=category,
        table=table,
    )
    return NicResult(
        total.employee - employee_before,
        total.employer - employer_before,
        total.at_lel_to_pt,
        total.pt_to_uel,
    )


def pence(value: Decimal) -> int:
    """Pounds as integer pence (exact: every figure above is whole pence)."""
    return int((value * 100).to_integral_value(rounding=ROUND_DOWN))


# --- the routines a pay group's rules call (rules.Rule(kind="tax", tax="gb.paye")) ------


def _paye_line(taxable: Decimal, rule, context) -> Decimal:
    code = parse_code(context.get("tax_code", "1257L"))
    taxable -= Decimal(context.get("relieved_before_tax", 0))  # a net pay pension
    pay = taxable
    taken = Decimal(0)
    if not code.cumulative:  # Week 1 / Month 1: on the period's total, less what it took
        pay += Decimal(context.get("pay_in_period_before", 0))
        taken = Decimal(context.get("taken_in_period_before", {}).get("gb.paye", 0))
    result = income_tax(
        code=code,
        pay=pay,
        pay_to_date=Decimal(context.get("taxable_pay_to_date_before", 0)) + taxable,
        tax_to_date_before=Decimal(context.get("tax_to_date_before", 0)),
        period=int(context.get("period", 1)),
        frequency=context.get("frequency", "monthly"),
        year=context.get("tax_year", "2026-27"),
    )
    tax, not_deducted = result.tax, result.not_deducted
    if not code.cumulative:  # this payment's share of the period's tax, in its own limit
        wanted = max(result.tax + result.not_deducted - taken, Decimal(0))
        rate = Decimal(pack(context.get("tax_year", "2026-27"))["income_tax"]["regulatory_limit"])
        tax = overriding_limit(max(result.tax - taken, Decimal(0)), pay=taxable, rate=rate)
        not_deducted = wanted - tax
    if "not_deducted" in context:  # calc.compute reads it back for the payslip and register
        context["not_deducted"][rule.code] = not_deducted
    return tax


def _nic(taxable: Decimal, context) -> NicResult:
    """NICs on the period's total earnings (an off-cycle payment adds to the regular
    one's), less what the period's earlier payments took (HMRC CWG2: earnings paid in
    the same earnings period are added together). A director's by the annual earnings
    period: always by the annual method, on the year's last pay day by the alternative."""
    director = context.get("director")
    frequency = context.get("frequency", "monthly")
    if director and (
        director["method"] != "alternative"
        or final_period(frequency=frequency, period=int(context.get("period", 1)))
    ):
        taken = context.get("taken_to_date", {})
        return director_national_insurance(
            pay=taxable,
            earnings_before=Decimal(context.get("nic_earnings_to_date_before", 0)),
            employee_before=Decimal(taken.get("gb.nic", 0)),
            employer_before=Decimal(taken.get("gb.nic_employer", 0)),
            category=context.get("ni_category", "A"),
            weeks=int(director["weeks"]),
            year=context.get("tax_year", "2026-27"),
        )
    before = Decimal(context.get("earnings_in_period_before", 0))
    taken = context.get("taken_in_period_before", {})
    total = national_insurance(
        pay=taxable + before,
        category=context.get("ni_category", "A"),
        frequency=context.get("frequency", "monthly"),
        year=context.get("tax_year", "2026-27"),
    )
    if not before and not taken:
        return total
    return NicResult(
        total.employee - Decimal(taken.get("gb.nic", 0)),
        total.employer - Decimal(taken.get("gb.nic_employer", 0)),
        total.at_lel_to_pt,
        total.pt_to_uel,
    )


def _loan_line(deduction):
    """A student or postgraduate loan routine: on the period's earnings for NICs (an
    off-cycle payment adds to the regular one's, less what the period's earlier
    payments took: HMRC's guidance for more than one payment in a period); never a
    refund."""

    def line(taxable: Decimal, rule, context) -> Decimal:
        plans = context.get("student_loan_plans", "")
        if not plans:
            return Decimal(0)
        due = deduction(
            earnings=taxable + Decimal(context.get("earnings_in_period_before", 0)),
            plans=plans,
            frequency=context.get("frequency", "monthly"),
            rates=pack(context.get("tax_year", "2026-27")),
        )
        taken = Decimal(context.get("taken_in_period_before", {}).get(rule.tax, 0))
        return max(due - taken, Decimal(0))

    return line


def _pension_line(share: str):
    """An automatic enrolment contribution routine: the line's percent of the period's
    qualifying earnings (an off-cycle payment adds to the regular one's, less what the
    period's earlier payments took). `share` is "net_pay" (the line must be before_tax),
    "relief_at_source" (80 % of the gross contribution) or "employer"."""

    def line(taxable: Decimal, rule, context) -> Decimal:
        membership = context.get("pension_membership", "active")
        if membership == "refunded":  # opted out in the window: all of it comes back
            return -Decimal(context.get("line_ytd", {}).get(rule.code, 0))
        if membership != "active":
            return Decimal(0)
        if (share == "net_pay") != rule.before_tax:
            raise InvalidInput(
                f"{rule.code}: a net pay arrangement's line, and only that, is before tax.",
                fields={rule.code: "before_tax"},
            )
        rates = pack(context.get("tax_year", "2026-27"))
        qualifying = pensions.qualifying_earnings(
            earnings=taxable + Decimal(context.get("earnings_in_period_before", 0)),
            frequency=context.get("frequency", "monthly"),
            rates=rates,
        )
        due = qualifying * _percent(rule) / 100
        if share == "relief_at_source":
            due *= 1 - Decimal(rates["auto_enrolment"]["relief_at_source"])
        return due - Decimal(context.get("taken_in_period_before", {}).get(rule.tax, 0))

    return line


def _percent(rule) -> Decimal:
    try:
        percent = Decimal(rule.percent)
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise InvalidInput(
            f"{rule.code}: a pension line needs its percent (0 to 100).",
            fields={rule.code: "percent"},
        )
    return percent


ROUTINES = {
    "gb.paye": _paye_line,
    "gb.pension_net_pay": _pension_line("net_pay"),
    "gb.pension_relief_at_source": _pension_line("relief_at_source"),
    "gb.pension_employer": _pension_line("employer"),
    "gb.student_loan": _loan_line(student_loans.plan_deduction),
    "gb.postgraduate_loan": _loan_line(student_loans.postgraduate_deduction),
    "gb.nic": lambda taxable, rule, context: _nic(taxable, context).employee,
    "gb.nic_employer": lambda taxable, rule, context: _nic(taxable, context).employer,
}
