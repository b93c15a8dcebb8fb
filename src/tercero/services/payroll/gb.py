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
- Band limits to date = annual limit x n / periods, rounded up to the penny; tax to date
  is rounded down to the penny once, on the sum of the bands (HMRC's 2009-10 test data
  has it so: rounding each band first is 1p off it). The tax for the period is tax to
  date less tax already deducted: a refund when negative (cumulative codes only).
- K codes: the tax for the period is at most 50 % of the period's pay (the regulatory
  limit); what could not be deducted is carried in the tax to date.
- BR, D0, D1: the flat rate on all pay (cumulative: on pay to date rounded down to whole
  pounds); NT: no tax; 0T: no allowance, normal bands.
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
  above it; employer rate above the Secondary Threshold. Each band's product is kept to
  four decimals, and the employee's and employer's sums are each rounded to the penny
  on the third decimal alone: 5 or less down, 6 or more up (HMRC's NICs rounding).
"""

import json
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_DOWN, Decimal
from functools import cache
from pathlib import Path

from tercero.platform.errors import InvalidInput

PACKS = Path(__file__).resolve().parent / "packs"
PERIODS = {"weekly": 52, "monthly": 12}
# pay frequency -> (the tables it is worked on, how many of their periods one pay covers)
FREQUENCIES = {
    "weekly": ("weekly", 1),
    "biweekly": ("weekly", 2),
    "four_weekly": ("weekly", 4),
    "monthly": ("monthly", 1),
}
# the pack's own NICs thresholds for a pay frequency that is a multiple of a week
# (regulation 11 rounds PT and ST up from the yearly figure: not the weekly ones times n)
NIC_PERIODS = {"biweekly": "fortnightly", "four_weekly": "four_weekly"}
PENNY = Decimal("0.01")
POUND = Decimal("1")
CODE = re.compile(
    r"^(?P<region>[SC]?)(?:(?P<k>K)(?P<knum>\d{1,4})|(?P<num>\d{1,4})(?P<suffix>[LMNT])"
    r"|(?P<flat>BR|D0|D1|NT|0T))(?P<basis>\s*(?:W1|M1|X))?$"
)


@dataclass(frozen=True)
class TaxCode:
    kind: str  # "suffix", "k", "flat", "nt", "0t"
    number: int = 0
    flat: str = ""
    cumulative: bool = True
    text: str = ""


def parse_code(text: str) -> TaxCode:
    """A tax code as HMRC writes it: 1257L, K475, BR, D0, D1, NT, 0T, with W1/M1/X for
    the non-cumulative basis. Scottish and Welsh prefixes need their own pack."""
    cleaned = (text or "").strip().upper().replace(" ", "")
    found = CODE.match(cleaned)
    if found is None:
        raise InvalidInput(f"{text!r} is not a tax code.", fields={"tax_code": "e.g. 1257L"})
    if found["region"]:
        raise InvalidInput(
            "Scottish (S) and Welsh (C) codes need the Scottish or Welsh rate pack.",
            fields={"tax_code": "region"},
        )
    cumulative = not found["basis"]
    if found["k"]:
        return TaxCode("k", int(found["knum"]), cumulative=cumulative, text=cleaned)
    if found["num"]:
        return TaxCode("suffix", int(found["num"]), cumulative=cumulative, text=cleaned)
    flat = found["flat"]
    kind = {"NT": "nt", "0T": "0t"}.get(flat, "flat")
    return TaxCode(kind, flat=flat, cumulative=cumulative, text=cleaned)


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
    limited: bool = False  # the K-code regulatory limit held some tax back


def basis(frequency: str) -> tuple[str, int]:
    """The tables a pay frequency is worked on and how many of their periods it covers."""
    try:
        return FREQUENCIES[frequency]
    except KeyError:
        raise InvalidInput(
            "United Kingdom pay groups are paid weekly, fortnightly or monthly.",
            fields={"frequency": "weekly, biweekly or monthly"},
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
    table = (rates or pack(year))["income_tax"]
    tables, multiple = basis(frequency)
    periods = PERIODS[tables]
    last = periods + 1 if tables == "weekly" else periods  # week 53, on the Week 1 basis
    if not 1 <= period <= last:
        raise InvalidInput(f"A {frequency} period is 1 to {last}.", fields={"period": period})
    if not tax_code.cumulative or period > periods:
        result = income_tax(
            code=TaxCode(tax_code.kind, tax_code.number, tax_code.flat, True, tax_code.text),
            pay=pay,
            pay_to_date=pay,
            tax_to_date_before=Decimal(0),
            period=multiple,
            frequency=tables,
            rates=rates or pack(year),
        )
        tax = max(result.tax, Decimal(0))
        return TaxResult(
            tax,
            tax_to_date_before + tax,
            result.taxable_to_date,
            result.pay_adjustment_to_date,
            result.limited,
        )
    if tax_code.kind == "nt":
        return TaxResult(Decimal(0), tax_to_date_before, Decimal(0), Decimal(0))
    adjustment = Decimal(0)
    if tax_code.kind in ("suffix", "k"):
        unit = int(table.get("pay_adjustment_unit", 500))
        adjustment = pay_adjustment_per_period(tax_code.number, periods, unit) * period
    signed = adjustment if tax_code.kind == "k" else -adjustment
    taxable = max(_down(pay_to_date + signed, POUND), Decimal(0))
    if tax_code.kind == "flat":
        due_to_date = _down(taxable * Decimal(table["flat_codes"][tax_code.flat]))
    else:
        due_to_date = _banded(taxable, table["bands"], period, periods)
    tax = due_to_date - tax_to_date_before
    limited = False
    if tax_code.kind == "k":
        limit = _down(pay * Decimal(table["regulatory_limit"]))
        if tax > limit:
            tax, limited = limit, True
    return TaxResult(tax, tax_to_date_before + tax, taxable, adjustment, limited)


def _banded(taxable: Decimal, bands: list[dict], period: int, periods: int) -> Decimal:
    due, lower = Decimal(0), Decimal(0)
    for band in bands:
        rate = Decimal(band["rate"])
        upper = None if band["upto"] is None else _up(Decimal(band["upto"]) * period / periods)
        top = taxable if upper is None else min(taxable, upper)
        if top > lower:
            due += (top - lower) * rate
        if upper is None or taxable <= upper:
            break
        lower = upper
    return _down(due)


@dataclass(frozen=True)
class NicResult:
    employee: Decimal
    employer: Decimal
    # earnings in each band, as reported on the FPS
    at_lel_to_pt: Decimal
    pt_to_uel: Decimal


FOUR_PLACES = Decimal("0.0001")
THREE_PLACES = Decimal("0.001")


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
    try:
        rate = {k: Decimal(v) for k, v in table["categories"][category].items()}
    except KeyError:
        raise InvalidInput(
            f"Unknown NI category {category!r}.",
            fields={"category": ", ".join(sorted(table["categories"]))},
        ) from None
    main = max(min(pay, limits["UEL"]) - limits["PT"], Decimal(0))
    above = max(pay - limits["UEL"], Decimal(0))
    employee = _nic_round(
        _nic_band(main, rate["employee_main"]) + _nic_band(above, rate["employee_above_uel"])
    )
    secondary_base = max(pay - limits["ST"], Decimal(0))
    if "employer_above_uel" in rate:  # under 21 / apprentices: 0 % up to the UST (= UEL)
        employer = _nic_round(
            _nic_band(max(min(pay, limits["UEL"]) - limits["ST"], Decimal(0)), rate["employer"])
            + _nic_band(above, rate["employer_above_uel"])
        )
    else:
        employer = _nic_round(_nic_band(secondary_base, rate["employer"]))
    lel_to_pt = (
        max(min(pay, limits["PT"]) - limits["LEL"], Decimal(0))
        if pay >= limits["LEL"]
        else Decimal(0)
    )
    return NicResult(employee, employer, lel_to_pt, main)


def pence(value: Decimal) -> int:
    """Pounds as integer pence (exact: every figure above is whole pence)."""
    return int((value * 100).to_integral_value(rounding=ROUND_DOWN))


# --- the routines a pay group's rules call (rules.Rule(kind="tax", tax="gb.paye")) ------


def _paye_line(taxable: Decimal, rule, context) -> Decimal:
    code = parse_code(context.get("tax_code", "1257L"))
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
    return max(result.tax - taken, Decimal(0)) if not code.cumulative else result.tax


def _nic(taxable: Decimal, context) -> NicResult:
    """NICs on the period's total earnings (an off-cycle payment adds to the regular
    one's), less what the period's earlier payments took (HMRC CWG2: earnings paid in
    the same earnings period are added together)."""
    before = Decimal(context.get("pay_in_period_before", 0))
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


ROUTINES = {
    "gb.paye": _paye_line,
    "gb.nic": lambda taxable, rule, context: _nic(taxable, context).employee,
    "gb.nic_employer": lambda taxable, rule, context: _nic(taxable, context).employer,
}
