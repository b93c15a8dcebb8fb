"""Statutory pay for periods already paid, set right after an absence is corrected.

A finalised run's payslips are never changed. When an absence record is corrected after
its period was paid (a sickness shortened, a maternity start moved), the next regular run
of the employee's pay group works out again what each earlier finalised period of the tax
year owes by the corrected records, takes off what was paid for that period (the period's
own statutory lines and any correction already paid for it by a finalised run) and pays
the difference, per statutory payment, as a line of its own: positive is paid, negative
recovered. The line is an earning of the current period, taxed and NICable with it.

A correction line's code names the payment and the period it corrects
(`SSP_ADJ_20260406`), so the results themselves say what was paid for which period:
calculating the run again, or a second run, never pays the same correction twice.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from tercero.services.payroll import statutory
from tercero.services.payroll.models import PayResult, PayRun, StatutoryAbsence

MARK = "_ADJ_"

type Owed = Callable[..., list[statutory.Line]]


@dataclass(frozen=True)
class Correction:
    """One statutory payment of one earlier period, owed again less what was paid."""

    code: str  # "SSP"
    period_start: date
    period_end: date
    pay_date: date
    owed_minor: int
    paid_minor: int
    owed_days: tuple[date, ...] = ()  # the first and last day owed, if any
    owed_count: int = 0  # days owed

    @property
    def amount_minor(self) -> int:
        return self.owed_minor - self.paid_minor

    @property
    def line_code(self) -> str:
        return correction_code(self.code, self.period_start)

    @property
    def name(self) -> str:
        """The payslip line: "SSP correction for April 2026"."""
        return f"{self.code} correction for {_period_words(self)}"

    @property
    def text(self) -> str:
        """The sentence behind the line, for the payslip notes and the register."""
        full = statutory.KINDS_BY_CODE[self.code]
        change = "paid" if self.amount_minor > 0 else "recovered"
        return (
            f"{self.name}: the corrected absence records owe {statutory.pounds(self.owed_minor)} "
            f"{full} for {statutory.day_text(self.period_start)} to "
            f"{statutory.day_text(self.period_end)}{self._days_words()}, "
            f"{statutory.pounds(self.paid_minor)} was paid; "
            f"{statutory.pounds(abs(self.amount_minor))} {change} in this period."
        )

    def _days_words(self) -> str:
        if not self.owed_days:
            return ""
        first, last = self.owed_days
        plural = "s" if self.owed_count != 1 else ""
        return (
            f" ({self.owed_count} day{plural}, {statutory.day_text(first)} to "
            f"{statutory.day_text(last)})"
        )


def correction_code(code: str, period_start: date) -> str:
    return f"{code}{MARK}{period_start:%Y%m%d}"


def payment_of(line_code: str) -> str | None:
    """The statutory payment a payslip line pays ("SSP" for SSP and its corrections)."""
    code = line_code.split(MARK, 1)[0]
    return code if code in statutory.KINDS_BY_CODE else None


def _corrected_start(line_code: str) -> date | None:
    if MARK not in line_code:
        return None
    text = line_code.split(MARK, 1)[1]
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _period_words(correction: Correction) -> str:
    """April 2026 for a monthly period, otherwise its dates."""
    start, end = correction.period_start, correction.period_end
    if (end - start).days >= 27:
        return f"{correction.pay_date:%B %Y}"
    return f"{statutory.day_text(start)} to {statutory.day_text(end)}"


def corrections(
    run: PayRun,
    employee_ids: list[int],
    absences: dict[int, list[StatutoryAbsence]],
    owed_in: Owed,
) -> dict[int, list[Correction]]:
    """Each employee's corrections for the earlier finalised periods of `run`'s pay group
    and tax year. `absences`: their absence records that start by the run's period end
    (one moved later owes nothing before); `owed_in(absences, period_start=,
    period_end=)`: the statutory lines they owe in a period."""
    periods = _earlier_periods(run)
    if not periods:
        return {}
    with_records = set(
        StatutoryAbsence.objects.filter(employee_id__in=employee_ids).values_list(
            "employee_id", flat=True
        )
    )
    if not with_records:
        return {}
    paid, was_paid = _paid(run, sorted(with_records), periods)
    made: dict[int, list[Correction]] = {}
    for employee_id in sorted(with_records):
        records = absences.get(employee_id, [])
        found = []
        for start, (end, pay_date) in sorted(periods.items()):
            if (employee_id, start) not in was_paid:
                continue  # not paid by this group in that period
            owed: dict[str, list[statutory.Line]] = defaultdict(list)
            for line in owed_in(records, period_start=start, period_end=end):
                owed[line.code].append(line)
            before = paid.get((employee_id, start), {})
            for code in sorted(set(owed) | set(before)):
                lines = owed.get(code, [])
                correction = Correction(
                    code, start, end, pay_date,
                    owed_minor=sum(line.amount_minor for line in lines),
                    paid_minor=before.get(code, 0),
                    owed_days=(
                        (min(line.start for line in lines), max(line.end for line in lines))
                        if lines else ()
                    ),
                    owed_count=sum(line.days for line in lines),
                )  # fmt: skip
                if correction.amount_minor:
                    found.append(correction)
        if found:
            made[employee_id] = found
    return made


def _earlier_periods(run: PayRun) -> dict[date, tuple[date, date]]:
    """period start -> (period end, pay date) of the group's finalised regular runs of
    the tax year before this run's period."""
    return {
        start: (end, pay_date)
        for start, end, pay_date in PayRun.objects.filter(
            pay_group_id=run.pay_group_id,
            status=PayRun.Status.FINALISED,
            kind=PayRun.Kind.REGULAR,
            tax_year=run.tax_year,
            period_end__lt=run.period_start,
        ).values_list("period_start", "period_end", "pay_date")
    }


def _paid(
    run: PayRun, employee_ids: list[int], periods: dict[date, tuple[date, date]]
) -> tuple[dict[tuple[int, date], dict[str, int]], set[tuple[int, date]]]:
    """What the group's finalised runs of the tax year paid of each statutory payment for
    each (employee, earlier period), and which (employee, period) a regular run paid."""
    paid: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    was_paid: set[tuple[int, date]] = set()
    for employee_id, start, kind, lines, flags in (
        PayResult.objects.filter(
            employee_id__in=employee_ids,
            run__pay_group_id=run.pay_group_id,
            run__status=PayRun.Status.FINALISED,
            run__tax_year=run.tax_year,
        )
        .exclude(run_id=run.pk)
        .values_list("employee_id", "run__period_start", "run__kind", "lines", "flags")
    ):
        if "held" in flags:  # not paid (rti_figures.statutory_to_date leaves it out too)
            continue
        if kind == PayRun.Kind.REGULAR and start in periods:
            was_paid.add((employee_id, start))
        for code, _name, _category, amount in lines:
            payment = payment_of(code)
            if payment is None:
                continue
            for_period = _corrected_start(code) or start
            if for_period in periods:
                paid[(employee_id, for_period)][payment] += amount
    return paid, was_paid
