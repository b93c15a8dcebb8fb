"""Calculating a pay run, in chunks of employees, each chunk one transaction that locks
the run row and writes that chunk's results (unique run + employee). A worker killed
anywhere loses at most its open chunk; calculating again continues with the employees
that have no result yet, so every employee is paid exactly once and the totals equal an
uninterrupted run's. Two workers on one run take turns on the lock and never overlap.
Then the variance review flags what a reviewer must look at."""

import json
from collections import defaultdict
from datetime import date
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import (
    calc,
    gb,
    groups,
    holiday_leave,
    lifecycle,
    pensions,
    statutory_leave,
)
from tercero.services.payroll import run_steps as steps
from tercero.services.payroll.models import (
    Employee,
    Employment,
    PayInput,
    PayResult,
    PayRuleSet,
    PayRun,
    WithholdingCertificate,
)
from tercero.services.payroll.variance import review_variance

CHUNK = 1000
INLINE_LIMIT = 500  # runs up to this many employees are calculated in the request


def start_calculation(*, actor, run: PayRun, version: int | None = None) -> PayRun:
    """Calculate (again) from scratch: earlier results are dropped. The caller runs
    `calculate` inline for small runs or enqueues it for large ones."""
    with transaction.atomic():
        current = steps.locked(run, version)
        steps.expect(current, "calculate")
        if current.status != PayRun.Status.CALCULATING:
            steps.back_to_draft(current)
            total = len(
                steps.eligible_ids(current.pay_group, current.period_start, current.period_end)
            )
            # the rules in force now, pinned: every chunk (and a resume) uses this version
            rules = groups.current_rules(current.pay_group, actor=actor)
            PayRun.objects.filter(pk=run.pk).update(
                status=PayRun.Status.CALCULATING,
                employees_total=total,
                note="",
                rules_version=rules.number,
            )
            steps.audit(current, "payroll.run.calculation_started", actor, {"employees": total})
    run.refresh_from_db()
    return run


def calculate(*, run_id: int, chunk: int = CHUNK, chunks: int | None = None) -> PayRun:
    """Work through the employees without a result, a chunk per transaction, then total
    the run and flag the variance review. Safe to call again after a crash, and from
    several workers at once. `chunks` stops after that many (tests, progress).

    Employees go in ascending id order and each chunk commits whole, so the results
    written so far are always the employees up to the highest id with a result: the
    next chunk starts after it (an index lookup, not a scan of what is done)."""
    done_chunks = 0
    while chunks is None or done_chunks < chunks:
        with transaction.atomic():
            run = PayRun.objects.select_for_update().select_related("pay_group").get(pk=run_id)
            if not lifecycle.allows(lifecycle.RUN, "complete", run.status):
                return run  # finished already, or never started
            last = PayResult.objects.filter(run=run).aggregate(last=Max("employee_id"))["last"]
            batch = list(
                steps.eligible(run.pay_group, run.period_start, run.period_end)
                .filter(employee_id__gt=last or 0)
                .order_by("employee_id")
                .values_list("employee_id", flat=True)
                .distinct()[:chunk]
            )
            if not batch:
                _finish(run, PayResult.objects.filter(run=run).count())
                run.refresh_from_db()
                return run
            _write_results(run, batch)
            PayRun.objects.filter(pk=run.pk).update(employees_done=F("employees_done") + len(batch))
        done_chunks += 1
    return PayRun.objects.get(pk=run_id)


def setting_of(run: PayRun) -> calc.Setting:
    """What the run is calculated with: its pay group's settings and the rule version it
    pinned when its calculation started."""
    group = run.pay_group
    pinned = PayRuleSet.objects.get(pay_group_id=group.pk, number=run.rules_version)
    return calc.Setting(
        rules=calc.rule_set(pinned.rules),
        frequency=group.frequency,
        period=run.period,
        tax_year=run.tax_year,
        currency=group.currency,
        jurisdiction=group.jurisdiction,
    )


def snapshots(run: PayRun, employee_ids: list[int]) -> list[calc.Snapshot]:
    """What each employee's pay depends on, read in a handful of queries per chunk."""
    employees = {
        row["pk"]: row
        for row in Employee.objects.filter(pk__in=employee_ids).values(
            "pk",
            "tax_code",
            "ni_category",
            "student_loan_plans",
            "pension_enrolled_on",
            "pension_opted_out_on",
            "previous_tax_year",
            "previous_pay_minor",
            "previous_tax_minor",
            "director_since",
            "director_nic_method",
        )
    }
    history: dict[int, list[dict]] = defaultdict(list)
    for row in (
        Employment.objects.filter(employee_id__in=employee_ids)
        .order_by("employee_id", "valid_from")
        .values("employee_id", "valid_from", "valid_to", "annual_salary_minor",
                "hourly_rate_minor", "pay_group_id", "status")
    ):  # fmt: skip
        history[row["employee_id"]].append(row)
    inputs: dict[int, dict[str, str]] = defaultdict(dict)
    # a range over the unique (run, employee, name) index: an IN list of the chunk's ids
    # lets the planner walk every input of the run once its statistics grow
    wanted = set(employee_ids)
    for employee_id, name, value in PayInput.objects.filter(
        run=run, employee_id__gte=min(employee_ids), employee_id__lte=max(employee_ids)
    ).values_list("employee_id", "name", "value"):
        if employee_id in wanted:
            inputs[employee_id][name] = value
    earlier = _earlier_results(run, employee_ids)
    regular_runs = _regular_runs(run)
    certificates = _certificates(run, employee_ids)
    frequency = run.pay_group.frequency
    regular = run.kind == PayRun.Kind.REGULAR
    statutory = statutory_leave.run_lines(run, employee_ids) if regular else {}
    holidays = holiday_leave.taken_in(run, employee_ids)
    built = []
    for employee_id in employee_ids:
        # only the employment in this pay group: a transfer's other part is the other
        # group's to pay
        rows = [row for row in history[employee_id] if row["pay_group_id"] == run.pay_group_id]
        current = _in_force(rows, run.period_end, run.period_start) or {
            "annual_salary_minor": None,
            "hourly_rate_minor": None,
        }
        past = earlier.get(employee_id, [])
        built.append(
            calc.Snapshot(
                employee_id=employee_id,
                annual_salary_minor=current["annual_salary_minor"],
                hourly_rate_minor=current["hourly_rate_minor"],
                tax_code=employees[employee_id]["tax_code"],
                ni_category=employees[employee_id]["ni_category"],
                student_loan_plans=employees[employee_id]["student_loan_plans"],
                pension_membership=pensions.membership(
                    enrolled_on=employees[employee_id]["pension_enrolled_on"],
                    opted_out_on=employees[employee_id]["pension_opted_out_on"],
                    period_end=run.period_end,
                ),
                inputs=inputs.get(employee_id, {}),
                ytd=past[-1].ytd if past else {},
                # an off-cycle run pays only what it is given: no salary, no back pay
                retro_minor=_retro(history[employee_id], past, regular_runs) if regular else 0,
                salary_minor=(
                    period_salary(rows, run.period_start, run.period_end, frequency)
                    if regular
                    else 0
                ),
                period_before=_paid_in_period(past, run.period, frequency),
                **_p45(employees[employee_id], run.tax_year),
                withholding=certificates.get(employee_id, {}),
                **_director(employees[employee_id], run),
                **_statutory_and_holiday(
                    statutory.get(employee_id, {}),
                    holiday_leave.snapshot_fields(
                        employee_id,
                        holidays.get(employee_id, []),
                        annual_salary_minor=current["annual_salary_minor"],
                    ),
                ),
            )
        )
    return built


def _statutory_and_holiday(statutory: dict, holiday: dict) -> dict:
    """A snapshot's statutory pay and holiday fields; either one's problem holds the
    employee (the first one found is said)."""
    problem = statutory.get("statutory_problem") or holiday.get("statutory_problem")
    if problem:
        return {"statutory_problem": problem}
    return {**statutory, **holiday}


def _director(employee: dict, run: PayRun) -> dict:
    """A United Kingdom director's annual earnings period this tax year (HMRC CA44): its
    weeks, pro rata from an appointment during the year, and the NICs method; nothing
    for an employee not yet a director on the pay day."""
    appointed = employee["director_since"]
    if appointed is None or appointed > run.pay_date or run.pay_group.jurisdiction != "GB":
        return {}
    start = date(int(run.tax_year[:4]), 4, 6)
    return {
        "director_weeks": gb.director_weeks(appointed_on=appointed, tax_year_start=start),
        "director_method": employee["director_nic_method"],
    }


def _certificates(run: PayRun, employee_ids: list[int]) -> dict[int, dict]:
    """United States employees' Forms W-4 on file, as us.certificate reads them."""
    if run.pay_group.jurisdiction != "US":
        return {}
    rows = WithholdingCertificate.objects.filter(employee_id__in=employee_ids).values(
        "employee_id", *WithholdingCertificate.APPLIED
    )
    return {row.pop("employee_id"): row for row in rows}


def _p45(employee: dict, tax_year: str) -> dict:
    """A starter's pay and tax with earlier employers, in the tax year they belong to."""
    if employee["previous_tax_year"] != tax_year:
        return {}
    return {
        "previous_pay_minor": employee["previous_pay_minor"],
        "previous_tax_minor": employee["previous_tax_minor"],
    }


def _in_force(rows: list[dict], day: date, start: date) -> dict:
    """The employment row in force at the period's end (or the last one in the period,
    for a leaver)."""
    chosen = None
    for row in rows:
        if row["valid_from"] <= day and (row["valid_to"] is None or row["valid_to"] >= start):
            chosen = row
    return chosen


def period_salary(rows: list[dict], start: date, end: date, frequency: str) -> int | None:
    """The salary one period pays from the employment rows, or None when it is simply
    one whole period at one salary. Days before a joiner's start, after a leaver's last
    day and on unpaid leave are not paid; a salary changed within the period is paid
    pro rata to its days (calendar days: calc.prorated_minor)."""
    days = (end - start).days + 1
    parts = []
    for row in rows:
        first = max(row["valid_from"], start)
        last = min(row["valid_to"] or end, end)
        if first > last:
            continue
        if row["status"] != Employment.Status.ACTIVE or row["annual_salary_minor"] is None:
            parts.append((0, (last - first).days + 1))
        else:
            parts.append((row["annual_salary_minor"], (last - first).days + 1))
    paid = [part for part in parts if part[0]]
    if len(paid) == 1 and paid[0][1] == days:
        return None
    if not paid:
        return 0 if parts else None
    return calc.prorated_minor(paid, days, frequency)


class Paid(NamedTuple):
    """One finalised result earlier in the tax year, with what its run was."""

    period_start: date
    period_end: date
    ytd: dict
    basis: dict
    kind: str
    pay_group_id: int
    frequency: str
    period: int
    run_id: int = 0


def _regular_runs(run: PayRun) -> list[Paid]:
    """The tax year's other finalised regular runs of the client, with nothing paid (the
    periods back pay is worked over)."""
    return [
        Paid(start, end, {}, {}, PayRun.Kind.REGULAR, group_id, frequency, period, pk)
        for pk, start, end, group_id, frequency, period in PayRun.objects.filter(
            client_id=run.client_id,
            status=PayRun.Status.FINALISED,
            kind=PayRun.Kind.REGULAR,
            tax_year=run.tax_year,
            pay_group__jurisdiction=run.pay_group.jurisdiction,
        )
        .exclude(pk=run.pk)
        .values_list(
            "pk", "period_start", "period_end", "pay_group_id", "pay_group__frequency", "period"
        )
    ]


def _earlier_results(run: PayRun, employee_ids: list[int]) -> dict[int, list[Paid]]:
    """Each employee's finalised results earlier in the tax year, oldest first."""
    found: dict[int, list[Paid]] = defaultdict(list)
    # the finalised runs first (a handful), then their results for this chunk: one join
    # over all results lets the planner scan every result row once statistics grow
    earlier = {
        row[0]: row[1:]
        for row in PayRun.objects.filter(
            client_id=run.client_id,
            status=PayRun.Status.FINALISED,
            tax_year=run.tax_year,
            pay_group__jurisdiction=run.pay_group.jurisdiction,
        )
        .exclude(pk=run.pk)
        .values_list(
            "pk", "period_start", "period_end", "kind", "pay_group_id",
            "pay_group__frequency", "period",
        )
    }  # fmt: skip
    if not earlier:
        return found
    order = {
        pk: index
        for index, pk in enumerate(
            PayRun.objects.filter(pk__in=earlier)
            .order_by("pay_date", "pk")
            .values_list("pk", flat=True)
        )
    }
    rows = sorted(
        (
            (employee_id, order[run_id], run_id, ytd, basis)
            for employee_id, run_id, ytd, basis in PayResult.objects.filter(
                run_id__in=list(earlier), employee_id__in=employee_ids
            ).values_list("employee_id", "run_id", "ytd", "basis")
        ),
        key=lambda row: (row[0], row[1]),
    )
    for employee_id, _order, run_id, ytd, basis in rows:
        start, end, kind, group_id, frequency, period = earlier[run_id]
        found[employee_id].append(
            Paid(start, end, ytd, basis, kind, group_id, frequency, period, run_id)
        )
    return found


def _paid_in_period(past: list[Paid], period: int, frequency: str) -> dict[str, int]:
    """What earlier finalised payments of this same tax period added to each year-to-date
    figure (taxable pay, each line): NICs are worked on the period's total earnings, less
    what the period's earlier payments took."""
    added: dict[str, int] = {}
    before: dict = {}
    for paid in past:
        if paid.period == period and calc.same_tables(paid.frequency, frequency):
            for key, value in paid.ytd.items():
                added[key] = added.get(key, 0) + value - before.get(key, 0)
        before = paid.ytd
    return added


def _retro(rows: list[dict], past: list[Paid], regular_runs: list[Paid]) -> int:
    """Back pay owed for finalised periods whose records changed afterwards (a raise or a
    transfer back-dated into them): what the records now say each finalised regular
    run's period owes (the employment in that run's pay group, at that group's
    frequency), a run of a group the employee was moved into afterwards included, less
    what every run paid as salary and back pay."""
    groups = {row["pay_group_id"] for row in rows}
    results = {paid.run_id: paid for paid in past}
    owed = 0
    for regular in regular_runs:
        if regular.run_id in results:
            owed += _owed_for(rows, results[regular.run_id])
        elif regular.pay_group_id in groups:  # nothing paid: what the records owe now
            owed += _owed_for(rows, regular)
    for paid in past:
        owed -= paid.basis.get("salary_minor", 0) + paid.basis.get("retro_minor", 0)
    return owed


def _owed_for(rows: list[dict], paid: Paid) -> int:
    """The salary one finalised regular run's period is owed by the records now."""
    group_rows = [row for row in rows if row["pay_group_id"] == paid.pay_group_id]
    should = period_salary(group_rows, paid.period_start, paid.period_end, paid.frequency)
    if should is not None:
        return should
    row = _in_force(group_rows, paid.period_end, paid.period_start)
    if row is None:  # not in this group that period after all (a transfer dated back)
        return 0
    if row["annual_salary_minor"] is None:  # hourly: paid from its hours, nothing owed back
        return paid.basis.get("salary_minor", 0) + paid.basis.get("retro_minor", 0)
    return calc.period_amount_minor(row["annual_salary_minor"], paid.frequency)


_RESULT_COLUMNS = (
    "client_id, run_id, employee_id, gross_minor, deductions_minor, net_minor, "
    "employer_minor, lines, ytd, basis, flags"
)


def _write_results(run: PayRun, employee_ids: list[int]) -> None:
    """Compute and insert one chunk's results. A plain multi-row INSERT through the
    driver (psycopg pipelines it): building 100,000 model instances and Django's bulk
    insert SQL cost more than the arithmetic. The unique (run, employee) index still
    refuses any second result, and row-level security still checks every row."""
    setting = setting_of(run)
    rows = []
    for snapshot in snapshots(run, employee_ids):
        try:
            computed = calc.compute(snapshot, setting)
        except InvalidInput as error:  # this employee is held; the others go on
            rows.append(_held_row(run, snapshot.employee_id, error.message))
            continue
        rows.append(
            (
                run.client_id,
                run.pk,
                snapshot.employee_id,
                computed.gross_minor,
                computed.deductions_minor,
                computed.net_minor,
                computed.employer_minor,
                json.dumps(computed.lines, separators=(",", ":")),
                json.dumps(computed.ytd, separators=(",", ":")),
                json.dumps(computed.basis, separators=(",", ":")),
                "[]",
            )
        )
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    marks = ", ".join(["%s"] * 7 + [f"%s{json_cast}"] * 4)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {PayResult._meta.db_table} ({_RESULT_COLUMNS}) VALUES ({marks})", rows
        )


def _held_row(run: PayRun, employee_id: int, reason: str) -> tuple:
    """A result that pays nothing and says why: flagged "held" in the variance review.
    Its year to date is unchanged and it paid no salary, so the next regular run pays
    the period as back pay once the record is corrected."""
    earlier = _earlier_results(run, [employee_id]).get(employee_id)
    ytd = earlier[-1].ytd if earlier else {}
    return (
        run.client_id,
        run.pk,
        employee_id,
        0,
        0,
        0,
        0,
        "[]",
        json.dumps(ytd, separators=(",", ":")),
        json.dumps({"held": reason[:500]}, separators=(",", ":")),
        '["held"]',
    )


def _finish(run: PayRun, total: int) -> None:
    flagged = review_variance(run)
    sums = PayResult.objects.filter(run=run).aggregate(
        gross=Sum("gross_minor"),
        deductions=Sum("deductions_minor"),
        net=Sum("net_minor"),
        employer=Sum("employer_minor"),
    )
    PayRun.objects.filter(pk=run.pk).update(
        status=PayRun.Status.CALCULATED,
        employees_total=total,
        employees_done=total,
        flagged=flagged,
        gross_minor=sums["gross"] or 0,
        deductions_minor=sums["deductions"] or 0,
        net_minor=sums["net"] or 0,
        employer_minor=sums["employer"] or 0,
        calculated_at=timezone.now(),
        version=run.version + 1,
    )
    steps.audit(run, "payroll.run.calculated", None, {"employees": total, "flagged": flagged})
