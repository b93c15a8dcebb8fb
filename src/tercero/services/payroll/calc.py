"""Gross to net for one employee in one period, without the database: the pay run
feeds it snapshots and stores what it returns; the benchmark runs the same function
on the same snapshots to prove the stored results equal a pure computation.

Money enters and leaves as integer minor units; inside, `rules.evaluate` works in
`Decimal` major units and rounds each line by its own rule.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import gb, rules, us

PERIODS_PER_YEAR = {
    "weekly": 52,
    "biweekly": 26,
    "four_weekly": 13,
    "semimonthly": 24,
    "monthly": 12,
    "annual": 1,
}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND"})
# tax routines by jurisdiction: a second country adds its module's ROUTINES here
ROUTINES = {"GB": gb.ROUTINES, "US": us.ROUTINES}
TAXABLE_TO_DATE = "TAXABLE"  # the year-to-date key for taxable pay
TAX_NOT_DEDUCTED = "tax_not_deducted_minor"  # a result's basis key: the limit held it back

# The rule set a new United Kingdom pay group starts with (each client may change it).
GB_DEFAULT_RULES = [
    {"code": "BASIC", "name": "Basic pay", "category": "earning", "kind": "fixed",
     "amount": "salary"},
    {"code": "HOURS", "name": "Hours worked", "category": "earning",
     "kind": "rate_x_quantity", "rate": "hourly_rate", "quantity": "hours"},
    {"code": "OT", "name": "Overtime (time and a half)", "category": "earning",
     "kind": "formula", "formula": "hourly_rate * 1.5 * overtime_hours"},
    {"code": "BONUS", "name": "Bonus", "category": "earning", "kind": "fixed",
     "amount": "bonus"},
    {"code": "RETRO", "name": "Back pay (earlier periods)", "category": "earning",
     "kind": "fixed", "amount": "retro"},
    {"code": "PAYE", "name": "Income tax", "category": "deduction", "kind": "tax",
     "tax": "gb.paye"},
    {"code": "NI", "name": "National Insurance", "category": "deduction", "kind": "tax",
     "tax": "gb.nic"},
    {"code": "SL", "name": "Student loan", "category": "deduction", "kind": "tax",
     "tax": "gb.student_loan"},
    {"code": "PGL", "name": "Postgraduate loan", "category": "deduction", "kind": "tax",
     "tax": "gb.postgraduate_loan"},
    {"code": "PENSION", "name": "Pension 5 %", "category": "deduction",
     "kind": "percent_of", "percent": "5", "of": ["BASIC", "HOURS", "OT"]},
    {"code": "ADJUST", "name": "One-off deduction", "category": "deduction",
     "kind": "fixed", "amount": "deduction"},
    {"code": "ER_NI", "name": "Employer National Insurance", "category": "employer",
     "kind": "tax", "tax": "gb.nic_employer"},
    {"code": "ER_PENSION", "name": "Employer pension 3 %", "category": "employer",
     "kind": "percent_of", "percent": "3", "of": ["BASIC", "HOURS", "OT"]},
]  # fmt: skip
# a new pay group's rules by jurisdiction (groups.default_rules)
DEFAULT_RULES = {"GB": GB_DEFAULT_RULES, "US": us.DEFAULT_RULES}


@dataclass(frozen=True)
class Snapshot:
    """What one employee's pay depends on, read from HR records and the run's inputs."""

    employee_id: int
    annual_salary_minor: int | None
    hourly_rate_minor: int | None
    tax_code: str = ""
    ni_category: str = ""
    student_loan_plans: str = ""  # e.g. "2 PGL" (United Kingdom)
    pension_membership: str = "active"  # pensions.membership for the run's period
    inputs: dict[str, str] = field(default_factory=dict)
    ytd: dict[str, int] = field(default_factory=dict)  # before this run, minor units
    retro_minor: int = 0
    # the period's salary when it is not one whole period at annual_salary_minor (a
    # joiner, a leaver, an unpaid leave or a raise within the period): see prorated
    salary_minor: int | None = None
    # a starter's P45 figures for this tax year (pay and tax with earlier employers)
    previous_pay_minor: int = 0
    previous_tax_minor: int = 0
    # what earlier finalised payments of this same tax period added to each year-to-date
    # figure (an off-cycle run after the regular one, or another pay group's run)
    period_before: dict[str, int] = field(default_factory=dict)
    # a United States employee's Form W-4 (models.WithholdingCertificate's fields)
    withholding: dict = field(default_factory=dict)
    # a company director (United Kingdom): the weeks of the annual earnings period (0:
    # not a director this tax year) and the NICs method, "annual" or "alternative"
    director_weeks: int = 0
    director_method: str = ""
    # United Kingdom statutory pay for the period (statutory_leave.period_lines): one
    # (code, name, amount_minor, sentences) per kind, an earning taxed and NICable like pay
    statutory: tuple[tuple[str, str, int, tuple[str, ...]], ...] = ()
    statutory_problem: str = ""  # why it could not be worked out: the employee is held
    # United Kingdom paid annual leave in the period (holiday_leave): the holiday pay,
    # the basic pay for the same days not paid as salary, and the sentences
    holiday_minor: int = 0
    holiday_salary_minor: int = 0
    holiday: tuple[str, ...] = ()


@dataclass(frozen=True)
class Computed:
    lines: list[list]  # [code, name, category, amount_minor]
    gross_minor: int
    deductions_minor: int
    net_minor: int
    employer_minor: int
    ytd: dict[str, int]
    basis: dict[str, int]


@dataclass(frozen=True)
class Setting:
    """Everything shared by the employees of one run."""

    rules: tuple[rules.Rule, ...]
    frequency: str
    period: int
    tax_year: str
    currency: str
    jurisdiction: str

    @property
    def input_names(self) -> frozenset[str]:
        return input_names(self.rules)


def rule_set(data: list[dict]) -> tuple[rules.Rule, ...]:
    """A pay group's stored rules as checked `Rule`s (InvalidInput naming the bad one)."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise rules.RuleError("Rules are a list of lines.", fields={"rules": "list"})
    built = []
    for index, item in enumerate(data):
        of = item.get("of", ())
        item = {  # numbers given as JSON numbers read as their text
            key: str(value) if isinstance(value, int | float) and not isinstance(value, bool)
            else value
            for key, value in item.items()
        }  # fmt: skip
        try:
            built.append(rules.Rule(**{**item, "of": tuple(of) if isinstance(of, list) else of}))
        except TypeError as error:
            raise rules.RuleError(
                f"rules[{index}] has an unknown field.", fields={f"rules[{index}]": str(error)}
            ) from None
    rules.check(built)
    return tuple(built)


@cache
def input_names(rule_tuple: tuple[rules.Rule, ...]) -> frozenset[str]:
    """The lower-case names the rules read: the inputs a run may import."""
    names: set[str] = set()
    for rule in rule_tuple:
        for token in (rule.amount, rule.rate, rule.quantity):
            if token and token[0].isalpha() and token.islower():
                names.add(token)
        if rule.kind == "formula":
            names.update(n for n in rules.names_in(rule.formula) if n.islower())
    return frozenset(names - {"min", "max"})


def places(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def period_amount_minor(annual_minor: int, frequency: str) -> int:
    """An annual salary's share for one period, rounded half up to the minor unit."""
    share = Decimal(annual_minor) / PERIODS_PER_YEAR[frequency]
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorated_minor(parts: list[tuple[int, int]], period_days: int, frequency: str) -> int:
    """A period's salary paid for part of it, by calendar days: each part is (annual
    salary, days paid at it); the period's share of each annual salary times its days
    over the period's days, summed exactly and rounded half up once. A whole period at
    one salary is exactly `period_amount_minor`."""
    if period_days <= 0 or any(days < 0 for _, days in parts):
        raise ValueError("days must be positive")
    per_year = PERIODS_PER_YEAR[frequency]
    exact = sum(
        (Decimal(annual) * days / (per_year * period_days) for annual, days in parts),
        Decimal(0),
    )
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute(snapshot: Snapshot, setting: Setting) -> Computed:
    """One employee's payslip for the run's period."""
    scale = places(setting.currency)
    if snapshot.statutory_problem:
        raise InvalidInput(snapshot.statutory_problem)
    added = snapshot.statutory
    if snapshot.holiday:
        added += (("HOLIDAY", "Holiday pay", snapshot.holiday_minor, snapshot.holiday),)
    if added:
        setting = _with_statutory(setting, added, scale)
    if snapshot.salary_minor is not None:
        salary_minor = snapshot.salary_minor
    elif snapshot.annual_salary_minor is not None:
        salary_minor = period_amount_minor(snapshot.annual_salary_minor, setting.frequency)
    else:
        salary_minor = 0
    # the salary the period owes is paid as basic pay and, for holiday days, holiday pay
    not_as_salary = min(snapshot.holiday_salary_minor, salary_minor)
    inputs = dict.fromkeys(setting.input_names, "0")
    inputs.update(snapshot.inputs)
    inputs["salary"] = _major(salary_minor - not_as_salary, scale)
    inputs["hourly_rate"] = _major(snapshot.hourly_rate_minor or 0, scale)
    inputs["retro"] = _major(snapshot.retro_minor, scale)
    ytd = snapshot.ytd
    paye_codes = [r.code for r in setting.rules if r.kind == "tax" and r.tax.endswith(".paye")]
    # a net pay pension earlier in the period was taken off its taxable pay, not its earnings
    relieved_before = sum(
        snapshot.period_before.get(r.code, 0) for r in setting.rules if r.before_tax
    )
    ytd_major = {code: _major(amount, scale) for code, amount in ytd.items()}
    context = {
        "tax_code": snapshot.tax_code or "1257L",
        "ni_category": snapshot.ni_category or "A",
        "student_loan_plans": snapshot.student_loan_plans,
        "pension_membership": snapshot.pension_membership,
        "line_ytd": ytd_major,
        "period": setting.period,
        "frequency": setting.frequency,
        "tax_year": setting.tax_year,
        "taxable_pay_to_date_before": _major(
            ytd.get(TAXABLE_TO_DATE, 0) + snapshot.previous_pay_minor, scale
        ),
        "tax_to_date_before": _major(
            sum(ytd.get(code, 0) for code in paye_codes) + snapshot.previous_tax_minor, scale
        ),
        "pay_in_period_before": _major(snapshot.period_before.get(TAXABLE_TO_DATE, 0), scale),
        "earnings_in_period_before": _major(
            snapshot.period_before.get(TAXABLE_TO_DATE, 0) + relieved_before, scale
        ),
        "taken_in_period_before": _taken_in_period(snapshot.period_before, setting.rules, scale),
        "withholding": snapshot.withholding,
        "not_deducted": {},  # tax routines note here what a limit held back, by line
    }
    if snapshot.director_weeks:
        context.update(_director_context(snapshot, setting.rules, scale))
    payslip = rules.evaluate(
        list(setting.rules),
        inputs=inputs,
        ytd=ytd_major,
        taxes=ROUTINES.get(setting.jurisdiction, {}),
        context=context,
        checked=True,
    )
    lines, sums = [], {"earning": 0, "deduction": 0, "employer": 0, "info": 0}
    taxable = 0
    after = dict(ytd)
    for line in payslip.lines:
        minor = _minor(line.amount, scale)
        lines.append([line.code, line.name, line.category, minor])
        sums[line.category] += minor
        after[line.code] = after.get(line.code, 0) + minor
        if line.category == "earning" and line.taxable:
            taxable += minor
        elif line.before_tax:  # taxable pay to date is after a net pay pension
            taxable -= minor
    after[TAXABLE_TO_DATE] = after.get(TAXABLE_TO_DATE, 0) + taxable
    return Computed(
        lines=lines,
        gross_minor=sums["earning"],
        deductions_minor=sums["deduction"],
        net_minor=sums["earning"] - sums["deduction"],
        employer_minor=sums["employer"],
        ytd=after,
        basis={
            **_basis(salary_minor, snapshot.retro_minor, context["not_deducted"], scale),
            **(
                {"statutory": [t for *_, texts in snapshot.statutory for t in texts]}
                if snapshot.statutory
                else {}
            ),
            **({"holiday": list(snapshot.holiday)} if snapshot.holiday else {}),
            **({"holiday_salary_minor": not_as_salary} if not_as_salary else {}),
        },
    )


def _with_statutory(setting: Setting, lines: tuple, scale: int) -> Setting:
    """The run's rules with a fixed earning per statutory payment, before the first tax
    line so income tax and NICs see it (a code the rules already use is refused)."""
    added = [
        rules.Rule(code, name, "earning", "fixed", amount=str(_major(amount, scale)))
        for code, name, amount, _texts in lines
    ]
    given = list(setting.rules)
    at = next((i for i, rule in enumerate(given) if rule.kind == "tax"), len(given))
    combined = given[:at] + added + given[at:]
    rules.check(combined)
    return dataclasses.replace(setting, rules=tuple(combined))


def _basis(salary_minor: int, retro_minor: int, not_deducted: dict, scale: int) -> dict:
    """What the payslip was computed from, and the tax the overriding limit held back
    from it (United Kingdom: collected from later pay in the tax year)."""
    basis = {"salary_minor": salary_minor, "retro_minor": retro_minor}
    held_back = sum(_minor(amount, scale) for amount in not_deducted.values())
    if held_back:
        basis[TAX_NOT_DEDUCTED] = held_back
    return basis


def _director_context(snapshot: Snapshot, rule_tuple: tuple[rules.Rule, ...], scale: int) -> dict:
    """What a director's annual earnings period is worked on: its length, the method,
    the earnings for NICs this tax year before this payment (taxable pay plus a net pay
    pension's relief) and what each routine took so far."""
    ytd = snapshot.ytd
    relieved = sum(ytd.get(r.code, 0) for r in rule_tuple if r.before_tax)
    return {
        "director": {"weeks": snapshot.director_weeks, "method": snapshot.director_method},
        "nic_earnings_to_date_before": _major(ytd.get(TAXABLE_TO_DATE, 0) + relieved, scale),
        "taken_to_date": _taken_in_period(ytd, rule_tuple, scale),
    }


def _taken_in_period(
    added: dict[str, int], rule_tuple: tuple[rules.Rule, ...], scale: int
) -> dict[str, Decimal]:
    """What each tax routine's lines took in this period's earlier payments."""
    taken: dict[str, Decimal] = {}
    for rule in rule_tuple:
        if rule.kind == "tax" and rule.code in added:
            taken[rule.tax] = taken.get(rule.tax, Decimal(0)) + _major(added[rule.code], scale)
    return taken


def same_tables(frequency: str, other: str) -> bool:
    """Whether two pay frequencies number their tax periods alike (weekly and fortnightly
    both count tax weeks)."""
    if frequency == other:
        return True
    try:
        return gb.basis(frequency)[0] == gb.basis(other)[0]
    except InvalidInput:
        return False


def _major(minor: int, scale: int) -> Decimal:
    return Decimal(minor).scaleb(-scale)


def _minor(amount: Decimal, scale: int) -> int:
    value = amount.scaleb(scale)
    if value != value.to_integral_value():
        raise InvalidInput(f"{amount} is not a whole number of minor units.")
    return int(value)


def tax_period(*, jurisdiction: str, frequency: str, pay_date: date) -> tuple[str, int]:
    """The tax year and period number a pay date falls in: the UK's year starts on
    6 April (month 1 = 6 April to 5 May; week 1 = 6 to 12 April); elsewhere the
    calendar year."""
    if jurisdiction == "GB":
        tables, _ = gb.basis(frequency)
        start_year = pay_date.year if pay_date >= date(pay_date.year, 4, 6) else pay_date.year - 1
        year = f"{start_year}-{str(start_year + 1)[2:]}"
        start = date(start_year, 4, 6)
        if frequency == "annual":  # the whole year's allowance and bands: month 12
            return year, 12
        if tables == "weekly":  # fortnightly too: the tax week of the pay day
            return year, (pay_date - start).days // 7 + 1  # 53: 5 April (4-5 in leap years)
        months = (pay_date.year - start_year) * 12 + pay_date.month - 4
        return year, months + (1 if pay_date.day >= 6 else 0)
    year = str(pay_date.year)
    if frequency == "monthly":
        return year, pay_date.month
    if frequency == "semimonthly":
        return year, pay_date.month * 2 - (1 if pay_date.day <= 15 else 0)
    day = pay_date.timetuple().tm_yday
    return year, (day - 1) // (7 if frequency == "weekly" else 14) + 1
