"""The figures HMRC's returns report, read from a run's stored results and never worked
out again: each line's amount as the run stored it, sorted by what the line is in the
rules version the run pinned (income tax, employee and employer NICs, student and
postgraduate loans, net pay pension). Only the NICs earnings bands (at the lower
earnings limit, LEL to primary threshold, primary threshold to upper earnings limit)
are derived, from the period's stored NICs earnings and the tax year's thresholds.

Used by the Full Payment Submission (rti.py) and by P45 and P60 (p45p60.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tercero.services.payroll import calculation, gb, statutory_corrections
from tercero.services.payroll.models import Employee, PayResult, PayRun

# a statutory payment's payslip code (statutory_leave.run_lines) -> its Figures field;
# each is also taxable pay and earnings for NICs (calc._with_statutory)
STATUTORY = {
    "SMP": "smp", "SPP": "spp", "SAP": "sap", "SHPP": "shpp", "SPBP": "spbp", "SNCP": "sncp",
    "SSP": "ssp",
}  # fmt: skip
HOLIDAY = "HOLIDAY"  # holiday pay of a recorded holiday (holiday_leave), not in the rules
# the statutory payments an employer recovers through the EPS (not SSP)
RECOVERABLE = ("smp", "spp", "sap", "shpp", "spbp", "sncp")
# what a rule's tax routine makes its line
KINDS = {
    "gb.paye": "tax",
    "gb.nic": "nic_employee",
    "gb.nic_employer": "nic_employer",
    "gb.student_loan": "student_loan",
    "gb.postgraduate_loan": "postgraduate_loan",
}


@dataclass
class Figures:
    """One employee's amounts in minor units: for one payment, or summed over several."""

    taxable_pay: int = 0  # pay income tax sees (after a net pay pension)
    nic_earnings: int = 0  # gross earnings for NICs
    tax: int = 0
    nic_employee: int = 0
    nic_employer: int = 0
    student_loan: int = 0
    postgraduate_loan: int = 0
    pension_net_pay: int = 0  # employee contributions under a net pay arrangement
    gross: int = 0
    net: int = 0
    smp: int = 0  # statutory maternity, paternity, adoption, shared parental, sick pay
    spp: int = 0
    sap: int = 0
    shpp: int = 0
    spbp: int = 0  # parental bereavement
    sncp: int = 0  # neonatal care
    ssp: int = 0

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Bands:
    """Earnings in each NICs band, in minor units (FPS: AtLELYTD, LELtoPTYTD, PTtoUELYTD)."""

    at_lel: int = 0
    lel_to_pt: int = 0
    pt_to_uel: int = 0


@dataclass
class YearToDate:
    figures: Figures = field(default_factory=Figures)
    bands: Bands = field(default_factory=Bands)
    payments: int = 0


def line_kinds(run: PayRun) -> dict[str, str]:
    """code -> what the line is, from the rules version the run was calculated with;
    earnings not in taxable pay and other lines are left out."""
    kinds = {}
    for rule in calculation.setting_of(run).rules:
        if rule.category == "earning":
            kinds[rule.code] = "earning" if rule.taxable else "earning_untaxed"
        elif rule.tax in KINDS:
            kinds[rule.code] = KINDS[rule.tax]
        elif rule.before_tax:
            kinds[rule.code] = "pension_net_pay"
    return kinds


def of_result(result: PayResult, kinds: dict[str, str]) -> Figures:
    """One stored payslip's figures."""
    made = Figures(gross=result.gross_minor, net=result.net_minor)
    for code, _name, _category, amount in result.lines:
        kind = kinds.get(code)
        payment = statutory_corrections.payment_of(code)  # a payment, or its correction
        if kind is None and payment in STATUTORY:
            setattr(made, STATUTORY[payment], getattr(made, STATUTORY[payment]) + amount)
            kind = "earning"
        elif kind is None and code == HOLIDAY:  # added by the run, taxed like pay
            kind = "earning"
        if kind == "earning":
            made.nic_earnings += amount
            made.taxable_pay += amount
        elif kind == "pension_net_pay":
            made.pension_net_pay += amount
            made.taxable_pay -= amount
        elif kind is not None and kind != "earning_untaxed":
            setattr(made, kind, getattr(made, kind) + amount)
    return made


@dataclass(frozen=True)
class Recovered:
    """What an employer recovers of one statutory payment to date, in pence: a share of
    it, and a small employer's NICs compensation (EPS: SMPRecovered, NICCompensationOnSMP)."""

    paid: int
    recovered: int
    compensation: int


def recovered(*, paid_minor: int, tax_year: str, is_small_employer: bool) -> Recovered:
    """92 % of the statutory pay, or for a small employer all of it plus compensation
    (8.5 % from 2025-26), each rounded to the nearest penny (the pack's figures and
    source: "recovery_source")."""
    found = gb.pack(tax_year)["statutory_payments"]
    if is_small_employer:
        share = Decimal(found["small_employer_recovery_percent"])
        extra = Decimal(found["small_employer_compensation_percent"])
    else:
        share, extra = Decimal(found["recovery_percent"]), Decimal(0)
    return Recovered(paid_minor, _percent_of(paid_minor, share), _percent_of(paid_minor, extra))


def _percent_of(minor: int, percent: Decimal) -> int:
    return int((Decimal(minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def statutory_to_date(*, pay_group_id: int, tax_year: str, upto: date) -> Figures:
    """The statutory pay of a pay group's finalised runs of the tax year paid on or
    before `upto`, summed over its employees (held payslips were not paid)."""
    total = Figures()
    kinds_of: dict[int, dict[str, str]] = {}
    found = PayResult.objects.filter(
        run__pay_group_id=pay_group_id,
        run__tax_year=tax_year,
        run__status=PayRun.Status.FINALISED,
        run__pay_date__lte=upto,
    ).select_related("run")
    for result in found:
        if "held" in result.flags:
            continue
        if result.run_id not in kinds_of:
            kinds_of[result.run_id] = line_kinds(result.run)
        total.add(of_result(result, kinds_of[result.run_id]))
    return total


def limits(*, tax_year: str, frequency: str) -> dict[str, Decimal]:
    """The NICs thresholds of one earnings period, as the calculation reads them."""
    table = gb.pack(tax_year)["national_insurance"]
    tables, multiple = gb.basis(frequency)
    own = table["periods"].get(gb.NIC_PERIODS.get(frequency, ""))
    if own is not None:
        return {k: Decimal(v) for k, v in own.items()}
    return {k: Decimal(v) * multiple for k, v in table["periods"][tables].items()}


def bands(*, nic_earnings: int, tax_year: str, frequency: str) -> Bands:
    """Earnings at the LEL, from the LEL to the PT and from the PT to the UEL, for one
    earnings period's NICs earnings (below the LEL: none at all)."""
    found = limits(tax_year=tax_year, frequency=frequency)
    pay = Decimal(nic_earnings) / 100
    if pay < found["LEL"]:
        return Bands()
    lel_to_pt = max(min(pay, found["PT"]) - found["LEL"], Decimal(0))
    pt_to_uel = max(min(pay, found["UEL"]) - found["PT"], Decimal(0))
    return Bands(gb.pence(found["LEL"]), gb.pence(lel_to_pt), gb.pence(pt_to_uel))


def finalised_results(*, employee_ids: list[int], tax_year: str, upto: PayRun | None = None):
    """The employees' results in finalised runs of the tax year (up to and including
    `upto`, by pay date), oldest first."""
    found = PayResult.objects.filter(
        employee_id__in=employee_ids,
        run__tax_year=tax_year,
        run__status=PayRun.Status.FINALISED,
        run__pay_group__jurisdiction="GB",
    ).select_related("run", "run__pay_group")
    if upto is not None:
        found = found.filter(run__pay_date__lte=upto.pay_date)
    return found.order_by("run__pay_date", "run_id")


def year_to_date(
    *, employee_ids: list[int], tax_year: str, upto: PayRun | None = None
) -> dict[int, YearToDate]:
    """Each employee's figures summed over the tax year's finalised runs, with the NICs
    bands worked per earnings period on the period's total (a regular and an off-cycle
    payment in one period are one earnings period)."""
    kinds_of: dict[int, dict[str, str]] = {}
    totals: dict[int, YearToDate] = defaultdict(YearToDate)
    periods: dict[tuple[int, str, int], int] = defaultdict(int)
    for result in finalised_results(employee_ids=employee_ids, tax_year=tax_year, upto=upto):
        run = result.run
        if run.pk not in kinds_of:
            kinds_of[run.pk] = line_kinds(run)
        figures = of_result(result, kinds_of[run.pk])
        totals[result.employee_id].figures.add(figures)
        totals[result.employee_id].payments += 1
        periods[(result.employee_id, run.pay_group.frequency, run.period)] += figures.nic_earnings
    for (employee_id, frequency, _period), earnings in periods.items():
        found = bands(nic_earnings=earnings, tax_year=tax_year, frequency=frequency)
        total = totals[employee_id].bands
        total.at_lel += found.at_lel
        total.lel_to_pt += found.lel_to_pt
        total.pt_to_uel += found.pt_to_uel
    return dict(totals)


def leaving_date(employee: Employee) -> date | None:
    """The last day of the employee's latest employment, if it has ended."""
    last = employee.employments.order_by("-valid_from").first()
    return last.valid_to if last is not None else None


def starting_date(employee: Employee) -> date | None:
    first = employee.employments.order_by("valid_from").first()
    return first.valid_from if first is not None else None


def tax_year_start(tax_year: str) -> date:
    return date(int(tax_year[:4]), 4, 6)


def tax_year_end(tax_year: str) -> date:
    return date(int(tax_year[:4]) + 1, 4, 5)


def tax_month(day: date) -> int:
    """HMRC's tax month of a day: month 1 runs 6 April to 5 May."""
    months = (day.year - 2000) * 12 + day.month - 4 - (1 if day.day < 6 else 0)
    return months % 12 + 1


def tax_week(day: date) -> int:
    """HMRC's tax week of a day: week 1 starts 6 April (week 53: the last day or two)."""
    start = date(day.year if (day.month, day.day) >= (4, 6) else day.year - 1, 4, 6)
    return (day - start).days // 7 + 1
