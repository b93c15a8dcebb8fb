"""United States payroll taxes for one pay period, driven by a rates pack
(`packs/us-<year>.json`): a new year is a new pack, not new code. Money is `Decimal`
dollars here; every figure the routines return is rounded half up to the cent.

- Federal income tax: IRS Publication 15-T, Worksheet 1A (percentage method tables for
  automated payroll systems), for 2020 or later Forms W-4 and 2019 or earlier ones:
  wages x pay periods = annual wages (1c); 2020+: plus Step 4(a) (1e), less Step 4(b)
  and, when the Step 2 box is not checked, the pack's line 1g amount (1h); 2019 or
  earlier: less allowances x the pack's allowance (1l). The annual schedule's row gives
  the tentative annual amount (2g), divided by the pay periods (2h); 2020+: less Step 3
  divided by the pay periods, not below zero (3c); plus Step 4(c) or the old line 6
  extra amount (4b). An exempt certificate withholds no income tax. No certificate on
  file: single, no entries (Pub. 15-T, "Form W-4 not furnished").
- A second payment in the same period (an off-cycle bonus) is taxed by Publication 15's
  aggregate procedure: the tax on the period's total less what the period's earlier
  payments withheld.
- Social Security 6.2 % (employee and employer) on wages up to the wage base in the
  calendar year; Medicare 1.45 % each on all wages, and the employee's Additional
  Medicare 0.9 % on wages paid above 200,000 in the year (Pub. 15, section 9), whatever
  the filing status. Each is worked on the payment and rounded to the cent; Form 941's
  line 7 takes up the fractions of cents (us_forms.py).
- FUTA 6.0 % less the 5.4 % credit on each employee's first 7,000 in the year.
- One state, Pennsylvania (docs/payroll.md says why): personal income tax 3.07 % of
  compensation; unemployment compensation 0.07 % of all wages from the employee and the
  employer's rate on each employee's first 10,000 in the year.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from tercero.platform.errors import InvalidInput

PACKS = Path(__file__).resolve().parent / "packs"
CENT = Decimal("0.01")
ZERO = Decimal(0)
FORMS = ("2020", "2019")  # a 2020 or later Form W-4; a 2019 or earlier one
FILING_STATUSES = {
    "2020": ("single", "married_jointly", "head_of_household"),
    "2019": ("single", "married", "married_single_rate"),
}
FILING_LABELS = {
    "single": "Single or married filing separately",
    "married_jointly": "Married filing jointly",
    "head_of_household": "Head of household",
    "married": "Married",
    "married_single_rate": "Married, but withhold at the higher single rate",
}


@dataclass(frozen=True)
class W4:
    """An employee's Form W-4 as the withholding reads it (dollars)."""

    form: str = "2020"
    filing_status: str = "single"
    multiple_jobs: bool = False  # Step 2(c) checked
    dependents: Decimal = ZERO  # Step 3
    other_income: Decimal = ZERO  # Step 4(a)
    deductions: Decimal = ZERO  # Step 4(b)
    extra: Decimal = ZERO  # Step 4(c); line 6 of a 2019 or earlier form
    allowances: int = 0  # line 5 of a 2019 or earlier form
    exempt: bool = False
    state: str = "PA"  # where the work is done: the state whose tax is withheld


def certificate(record: Mapping | None) -> W4:
    """A stored certificate (amounts in cents) as a `W4`; none on file: single, no
    entries."""
    if not record:
        return W4()
    cents = {
        name: Decimal(int(record.get(f"{name}_minor", 0))).scaleb(-2)
        for name in ("dependents", "other_income", "deductions", "extra")
    }
    return W4(
        form=record.get("form", "2020"),
        filing_status=record.get("filing_status", "single"),
        multiple_jobs=bool(record.get("multiple_jobs", False)),
        allowances=int(record.get("allowances", 0)),
        exempt=bool(record.get("exempt", False)),
        state=record.get("state", "PA") or "PA",
        **cents,
    )


def check(w4: W4, *, year: str) -> None:
    """Refuse a certificate the withholding cannot apply, naming the field."""
    if w4.form not in FORMS:
        raise InvalidInput("A Form W-4 is from 2020 or later, or 2019 or earlier.",
                           fields={"form": "2020 or 2019"})  # fmt: skip
    if w4.filing_status not in FILING_STATUSES[w4.form]:
        raise InvalidInput(
            "That filing status is not on this Form W-4.",
            fields={"filing_status": ", ".join(FILING_STATUSES[w4.form])},
        )
    for name in ("dependents", "other_income", "deductions", "extra"):
        if not ZERO <= getattr(w4, name) < 10**9:
            raise InvalidInput("An amount on a Form W-4 is 0 or more.", fields={name: "0 or more"})
    if not 0 <= w4.allowances <= 99:
        raise InvalidInput("Allowances are 0 to 99.", fields={"allowances": "0 to 99"})
    if w4.form == "2020" and w4.allowances:
        raise InvalidInput("A 2020 or later Form W-4 has no allowances.",
                           fields={"allowances": "0"})  # fmt: skip
    if w4.state not in pack(year)["states"]:
        raise InvalidInput(
            f"This payroll withholds state tax for {', '.join(sorted(pack(year)['states']))}.",
            fields={"state": ", ".join(sorted(pack(year)["states"]))},
        )


@cache
def pack(year: str) -> dict:
    """The rates pack of a calendar year, e.g. "2026"."""
    path = PACKS / f"us-{year}.json"
    if not path.exists():
        raise InvalidInput(f"No United States rates pack for {year}.", fields={"tax_year": year})
    return json.loads(path.read_text())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def periods_per_year(frequency: str, rates: Mapping) -> int:
    try:
        return int(rates["periods"][frequency])
    except KeyError:
        raise InvalidInput(
            f"Publication 15-T has no {frequency!r} pay period.",
            fields={"frequency": ", ".join(rates["periods"])},
        ) from None


def adjusted_annual_wage(wages: Decimal, periods: int, w4: W4, rates: Mapping) -> Decimal:
    """Worksheet 1A, step 1: the adjusted annual wage amount (line 1i or 1l)."""
    table = rates["federal_income_tax"]
    annual = wages * periods
    if w4.form == "2020":
        line_1g = (
            ZERO
            if w4.multiple_jobs
            else Decimal(table["step_2_unchecked_deduction"][w4.filing_status])
        )
        adjusted = annual + w4.other_income - (w4.deductions + line_1g)
    else:
        adjusted = annual - w4.allowances * Decimal(table["allowance"])
    return max(adjusted, ZERO)


def schedule(w4: W4, rates: Mapping) -> list[list[str]]:
    """The annual percentage method table the certificate is withheld on."""
    schedules = rates["federal_income_tax"]["schedules"]
    if w4.form == "2019":
        status = rates["federal_income_tax"]["pre_2020_schedule"][w4.filing_status]
        return schedules["standard"][status]
    return schedules["step_2_checkbox" if w4.multiple_jobs else "standard"][w4.filing_status]


def tentative_annual(adjusted: Decimal, rows: list[list[str]]) -> Decimal:
    """Worksheet 1A, step 2 (2b to 2g): the row the wage is at least, its tentative
    amount, plus its percentage of the excess over the row."""
    found = rows[0]
    for row in rows:
        if adjusted >= Decimal(row[0]):
            found = row
    at_least, amount, percent = (Decimal(value) for value in found)
    return amount + (adjusted - at_least) * percent


def federal_income_tax(*, wages: Decimal, frequency: str, w4: W4, rates: Mapping) -> Decimal:
    """Publication 15-T Worksheet 1A for one payment of `wages`."""
    if w4.exempt:
        return ZERO
    periods = periods_per_year(frequency, rates)
    adjusted = adjusted_annual_wage(wages, periods, w4, rates)
    per_period = tentative_annual(adjusted, schedule(w4, rates)) / periods  # 2h
    if w4.form == "2020":
        per_period = max(per_period - w4.dependents / periods, ZERO)  # 3b, 3c
    return cents(per_period + w4.extra)  # 4b


def capped(wages: Decimal, before: Decimal, limit: Decimal) -> Decimal:
    """The part of this payment's wages that falls under a yearly limit, given the
    wages paid earlier in the year."""
    if wages <= 0:
        return ZERO
    return max(min(wages, limit - before), ZERO)


def above(wages: Decimal, before: Decimal, threshold: Decimal) -> Decimal:
    """The part of this payment's wages above a yearly threshold."""
    if wages <= 0:
        return ZERO
    return max(before + wages - max(before, threshold), ZERO)


def social_security(*, wages: Decimal, before: Decimal, rates: Mapping, who: str) -> Decimal:
    table = rates["social_security"]
    base = capped(wages, before, Decimal(table["wage_base"]))
    return cents(base * Decimal(table[f"{who}_rate"]))


def medicare(*, wages: Decimal, before: Decimal, rates: Mapping, who: str) -> Decimal:
    """Medicare on all wages; the employee also the Additional Medicare Tax on what the
    year's wages pass the threshold by (never the employer)."""
    table = rates["medicare"]
    due = wages * Decimal(table[f"{who}_rate"])
    if who == "employee":
        due += above(wages, before, Decimal(table["additional_threshold"])) * Decimal(
            table["additional_rate"]
        )
    return cents(due)


def futa(*, wages: Decimal, before: Decimal, rates: Mapping) -> Decimal:
    table = rates["futa"]
    net_rate = Decimal(table["rate"]) - Decimal(table["credit"])
    return cents(capped(wages, before, Decimal(table["wage_base"])) * net_rate)


def state_rates(state: str, rates: Mapping) -> dict:
    try:
        return rates["states"][state]
    except KeyError:
        raise InvalidInput(
            f"No state tax rates for {state!r} in the {rates['tax_year']} pack.",
            fields={"state": ", ".join(sorted(rates["states"]))},
        ) from None


def state_income_tax(*, wages: Decimal, state: str, rates: Mapping) -> Decimal:
    return cents(max(wages, ZERO) * Decimal(state_rates(state, rates)["income_tax_rate"]))


def state_unemployment(
    *, wages: Decimal, before: Decimal, state: str, rates: Mapping, who: str
) -> Decimal:
    table = state_rates(state, rates)["unemployment"]
    if who == "employee":
        return cents(max(wages, ZERO) * Decimal(table["employee_rate"]))
    base = capped(wages, before, Decimal(table["employer_wage_base"]))
    return cents(base * Decimal(table["employer_rate"]))


# --- the routines a pay group's rules call (rules.Rule(kind="tax", tax="us.fit")) ------


def _rates(context: Mapping) -> dict:
    return pack(str(context.get("tax_year", "2026")))


def _w4(context: Mapping) -> W4:
    try:
        w4 = certificate(context.get("withholding"))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput("The Form W-4 on file cannot be read.") from None
    check(w4, year=str(context.get("tax_year", "2026")))
    return w4


def _before(context: Mapping) -> Decimal:
    """Wages paid earlier in the calendar year by this employer (its own year to date:
    a previous employer's wages do not count towards the wage bases)."""
    return Decimal(context.get("taxable_pay_to_date_before", 0))


def _fit(taxable: Decimal, rule, context: Mapping) -> Decimal:
    earlier = Decimal(context.get("pay_in_period_before", 0))
    taken = Decimal(context.get("taken_in_period_before", {}).get("us.fit", 0))
    total = federal_income_tax(
        wages=taxable + earlier,
        frequency=context.get("frequency", "biweekly"),
        w4=_w4(context),
        rates=_rates(context),
    )
    return max(total - taken, ZERO) if earlier or taken else total


def _employee_and_employer(function):
    def employee(taxable: Decimal, rule, context: Mapping) -> Decimal:
        return function(wages=taxable, before=_before(context), rates=_rates(context),
                        who="employee")  # fmt: skip

    def employer(taxable: Decimal, rule, context: Mapping) -> Decimal:
        return function(wages=taxable, before=_before(context), rates=_rates(context),
                        who="employer")  # fmt: skip

    return employee, employer


def _state_tax(taxable: Decimal, rule, context: Mapping) -> Decimal:
    return state_income_tax(wages=taxable, state=_w4(context).state, rates=_rates(context))


def _state_unemployment(who: str):
    def routine(taxable: Decimal, rule, context: Mapping) -> Decimal:
        return state_unemployment(
            wages=taxable,
            before=_before(context),
            state=_w4(context).state,
            rates=_rates(context),
            who=who,
        )

    return routine


_SS, _SS_EMPLOYER = _employee_and_employer(social_security)
_MEDICARE, _MEDICARE_EMPLOYER = _employee_and_employer(medicare)

ROUTINES = {
    "us.fit": _fit,
    "us.social_security": _SS,
    "us.medicare": _MEDICARE,
    "us.state_income_tax": _state_tax,
    "us.state_unemployment": _state_unemployment("employee"),
    "us.social_security_employer": _SS_EMPLOYER,
    "us.medicare_employer": _MEDICARE_EMPLOYER,
    "us.futa": lambda taxable, rule, context: futa(
        wages=taxable, before=_before(context), rates=_rates(context)
    ),
    "us.state_unemployment_employer": _state_unemployment("employer"),
}

# The rule set a new United States pay group starts with (each client may change it).
DEFAULT_RULES = [
    {"code": "BASIC", "name": "Regular pay", "category": "earning", "kind": "fixed",
     "amount": "salary"},
    {"code": "HOURS", "name": "Hours worked", "category": "earning",
     "kind": "rate_x_quantity", "rate": "hourly_rate", "quantity": "hours"},
    {"code": "OT", "name": "Overtime (time and a half)", "category": "earning",
     "kind": "formula", "formula": "hourly_rate * 1.5 * overtime_hours"},
    {"code": "BONUS", "name": "Bonus", "category": "earning", "kind": "fixed",
     "amount": "bonus"},
    {"code": "RETRO", "name": "Back pay (earlier periods)", "category": "earning",
     "kind": "fixed", "amount": "retro"},
    {"code": "FIT", "name": "Federal income tax", "category": "deduction", "kind": "tax",
     "tax": "us.fit"},
    {"code": "SS", "name": "Social Security", "category": "deduction", "kind": "tax",
     "tax": "us.social_security"},
    {"code": "MEDICARE", "name": "Medicare", "category": "deduction", "kind": "tax",
     "tax": "us.medicare"},
    {"code": "STATE_TAX", "name": "State income tax", "category": "deduction",
     "kind": "tax", "tax": "us.state_income_tax"},
    {"code": "STATE_UC", "name": "State unemployment (employee)", "category": "deduction",
     "kind": "tax", "tax": "us.state_unemployment"},
    {"code": "ADJUST", "name": "One-off deduction", "category": "deduction",
     "kind": "fixed", "amount": "deduction"},
    {"code": "ER_SS", "name": "Employer Social Security", "category": "employer",
     "kind": "tax", "tax": "us.social_security_employer"},
    {"code": "ER_MEDICARE", "name": "Employer Medicare", "category": "employer",
     "kind": "tax", "tax": "us.medicare_employer"},
    {"code": "FUTA", "name": "Federal unemployment (FUTA)", "category": "employer",
     "kind": "tax", "tax": "us.futa"},
    {"code": "ER_STATE_UC", "name": "State unemployment (employer)", "category": "employer",
     "kind": "tax", "tax": "us.state_unemployment_employer"},
]  # fmt: skip
