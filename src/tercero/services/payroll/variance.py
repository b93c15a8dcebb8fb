"""The variance review of a calculated run: what a reviewer must look at before it is
submitted (net pay moved, joiners and leavers, negative net pay, tax the overriding limit
held back, pay per hour below the minimum wage). Flags inform; only a negative net pay
stops a run (runs.submit)."""

from datetime import date
from decimal import Decimal

from tercero.platform.security import crypto
from tercero.services.payroll import calc, gb, minimum_wage
from tercero.services.payroll.models import Employee, Employment, PayResult, PayRun


def review_variance(run: PayRun) -> int:
    """Flag what a reviewer must look at: net pay moved more than the run's threshold
    against the previous finalised run of the pay group, new joiners, leavers, negative
    net pay, tax the overriding limit held back and pay per hour below the minimum wage
    (the words for it are kept in the result's basis). A flag holds nobody else's pay.
    Returns how many results carry a flag."""
    before = _previous_net(run)
    joined, leaving = _joiners_and_leavers(run)
    low_pay = minimum_wage_shortfalls(run)
    threshold = Decimal(run.variance_percent) / 100
    changed = []
    rows = PayResult.objects.filter(run=run).values_list(
        "pk", "employee_id", "net_minor", "flags", "basis"
    )
    for pk, employee_id, net, stored, basis in rows.iterator(chunk_size=5000):
        old = before.get(employee_id)
        checks = (
            ("held", "held" in stored),
            ("negative_net", net < 0),
            ("new_joiner", employee_id in joined),
            ("leaver", employee_id in leaving),
            ("net_moved", old is not None and abs(net - old) > abs(old) * threshold),
            ("tax_not_deducted", bool(basis.get(calc.TAX_NOT_DEDUCTED))),
            ("below_minimum_wage", employee_id in low_pay),
        )
        flags = [name for name, found in checks if found]
        if employee_id in low_pay:
            basis = {**basis, "minimum_wage": low_pay[employee_id]}
        if flags:
            changed.append(PayResult(pk=pk, flags=flags, basis=basis))
    PayResult.objects.bulk_update(changed, ["flags", "basis"], batch_size=1000)
    return len(changed)


def _previous_net(run: PayRun) -> dict[int, int]:
    """Each employee's net pay in the pay group's previous finalised run."""
    previous = (
        PayRun.objects.filter(
            pay_group=run.pay_group, status=PayRun.Status.FINALISED, pay_date__lt=run.pay_date
        )
        .order_by("-pay_date", "-pk")
        .first()
    )
    if previous is None:
        return {}
    return dict(PayResult.objects.filter(run=previous).values_list("employee_id", "net_minor"))


def _joiners_and_leavers(run: PayRun) -> tuple[set[int], set[int]]:
    joined = set(
        Employment.objects.filter(
            pay_group=run.pay_group,
            valid_from__gte=run.period_start,
            valid_from__lte=run.period_end,
            reason="hire",
        ).values_list("employee_id", flat=True)
    )
    leaving = set(
        Employment.objects.filter(
            pay_group=run.pay_group, valid_to__gte=run.period_start, valid_to__lte=run.period_end
        )
        .exclude(employee__employments__valid_from__gt=run.period_end)
        .values_list("employee_id", flat=True)
    )
    return joined, leaving


def minimum_wage_shortfalls(run: PayRun) -> dict[int, dict]:
    """United Kingdom pay groups: the employees whose pay per hour in an employment row
    of the period is below the minimum wage for their age (minimum_wage.py), each with
    the lowest such row's figures."""
    if run.pay_group.jurisdiction != "GB":
        return {}
    rates = gb.pack(run.tax_year)
    rows = (
        Employment.objects.filter(
            pay_group=run.pay_group,
            status=Employment.Status.ACTIVE,
            valid_from__lte=run.period_end,
            employee__in=PayResult.objects.filter(run=run).values("employee_id"),
        )
        .exclude(valid_to__lt=run.period_start)
        .select_related("employee")
    )
    found: dict[int, minimum_wage.Shortfall] = {}
    for row in rows:
        hourly = minimum_wage.pay_per_hour(
            annual_salary_minor=row.annual_salary_minor,
            hourly_rate_minor=row.hourly_rate_minor,
            contracted_seconds_per_week=row.contracted_seconds_per_week,
        )
        age = _age(row.employee, run.period_start)
        low = minimum_wage.shortfall(rates=rates, hourly=hourly, age=age)
        earlier = found.get(row.employee_id)
        if low and (earlier is None or low.hourly_minor < earlier.hourly_minor):
            found[row.employee_id] = low
    return {employee_id: low.as_basis() for employee_id, low in found.items()}


def _age(employee: Employee, day: date) -> int | None:
    """Age on `day` from the sealed date of birth; None when none is recorded."""
    if not employee.date_of_birth:
        return None
    try:
        born = date.fromisoformat(crypto.open_sealed(employee.date_of_birth))
    except ValueError:
        return None
    return minimum_wage.age_on(born, day)
