"""Every change to a pay run: creating it (with its `payroll.run` work item), importing
inputs, calculating, the variance review, maker-checker approval and finalising.

The statuses and the moves between them are `lifecycle.RUN`; each change here asks it
first (`_expect`). The run's work item follows the run in the same transaction:
finalising resolves it, cancelling cancels it (the engine's `close_for_record`).

Calculation works in chunks of employees, each chunk one transaction that locks the run
row and writes that chunk's results (unique run + employee). A worker killed anywhere
loses at most its open chunk; calculating again continues with the employees that have
no result yet, so every employee is paid exactly once and the totals equal an
uninterrupted run's. Two workers on one run take turns on the lock and never overlap.
"""

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work_services
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.identity.roles import Role
from tercero.services.payroll import calc, events, groups, journal, lifecycle, outputs, paydates
from tercero.services.payroll.models import (
    Employee,
    Employment,
    PayGroup,
    PayInput,
    PayResult,
    PayRuleSet,
    PayRun,
    Posting,
)

CHUNK = 1000
INLINE_LIMIT = 500  # runs up to this many employees are calculated in the request
MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_INPUT_ROWS = 200_000


def create_run(
    *,
    actor,
    pay_group: PayGroup,
    period_start: date,
    period_end: date,
    pay_date: date,
    kind: str = PayRun.Kind.REGULAR,
    variance_percent: int = 10,
) -> PayRun:
    """A run for one period of a pay group, and the work item the payroll team works it
    as (in the engagement's queue that takes `payroll.run`)."""
    if period_end < period_start:
        raise InvalidInput("The period ends before it starts.", fields={"period_end": "order"})
    if kind not in PayRun.Kind.values:
        raise InvalidInput("Unknown kind of run.", fields={"kind": "regular or off_cycle"})
    if not 0 < variance_percent <= 1000:
        raise InvalidInput("Variance threshold is 1 to 1000 %.", fields={"variance_percent": ""})
    calc.rule_set(pay_group.rules)  # a broken rule set is refused before anything exists
    if kind == PayRun.Kind.REGULAR:
        paydates.require_period(pay_group, start=period_start, end=period_end, pay_date=pay_date)
    tax_year, period = calc.tax_period(
        jurisdiction=pay_group.jurisdiction, frequency=pay_group.frequency, pay_date=pay_date
    )
    queue = work_selectors.queue_taking(
        engagement_id=pay_group.engagement_id, work_type="payroll.run"
    )
    if queue is None:
        raise InvalidInput(
            "No queue of this engagement takes payroll runs; add payroll.run to one.",
            code="no_queue",
        )
    with transaction.atomic():
        if (
            kind == PayRun.Kind.REGULAR
            and PayRun.objects.filter(pay_group=pay_group, tax_year=tax_year, period=period)
            .filter(kind=kind)
            .exclude(status=PayRun.Status.CANCELLED)
            .exists()
        ):
            raise Conflict(
                f"Period {period} of {tax_year} already has a regular run; use an off-cycle run.",
                code="period_taken",
            )
        run = PayRun.objects.create(
            client_id=pay_group.client_id,
            pay_group=pay_group,
            kind=kind,
            tax_year=tax_year,
            period=period,
            period_start=period_start,
            period_end=period_end,
            pay_date=pay_date,
            rules_version=groups.current_rules(pay_group, actor=actor).number,
            variance_percent=variance_percent,
            employees_total=len(_eligible_ids(pay_group, period_start, period_end)),
        )
        item = work_services.create_item(
            actor=actor,
            queue=queue,
            work_type="payroll.run",
            payload={
                "run_id": run.pk,
                "pay_group": pay_group.name,
                "tax_year": tax_year,
                "period": period,
                "pay_date": pay_date.isoformat(),
                "kind": kind,
            },
        )
        PayRun.objects.filter(pk=run.pk).update(work_item=item)
        _audit(run, "payroll.run.created", actor, {"period": period, "tax_year": tax_year})
    run.refresh_from_db()
    return run


def _eligible(pay_group: PayGroup, start: date, end: date):
    """Employment rows in this pay group during the period."""
    return Employment.objects.filter(pay_group=pay_group, valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=start)
    )


def _eligible_ids(pay_group: PayGroup, start: date, end: date) -> list[int]:
    """Employees with an employment in this pay group during the period."""
    return sorted(set(_eligible(pay_group, start, end).values_list("employee_id", flat=True)))


def _locked(run: PayRun, version: int | None) -> PayRun:
    current = PayRun.objects.select_for_update().get(pk=run.pk)
    if version is not None and current.version != version:
        raise Conflict("The run changed since you loaded it; reload.", code="stale")
    return current


def _audit(run: PayRun, action: str, actor, payload: dict | None = None, reason: str = ""):
    record(
        action=action,
        actor=actor,
        client=run.client_id,
        object_type="pay_run",
        object_id=run.pk,
        reason=reason,
        payload=payload or {},
    )


# --- inputs -----------------------------------------------------------------------------


@dataclass
class InputReport:
    rows: int = 0
    stored: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # line, column, problem

    @property
    def ok(self) -> bool:
        return not self.errors


def import_inputs(*, actor, run: PayRun, data: bytes) -> InputReport:
    """Inputs from CSV: `employee_number` and one column per input the rules read
    (hours, overtime_hours, bonus, deduction...). All or nothing: a file with any bad
    row stores none and the report names every bad row by its line. An empty cell
    leaves that input as it was; importing after calculation sends the run back to
    draft (calculate again)."""
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidInput("The file is larger than 20 MB.", fields={"file": "too large"})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", fields={"file": "encoding"}) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    allowed = importable_inputs(run)
    if "employee_number" not in header:
        raise InvalidInput("The first row must name the columns, with employee_number.")
    unknown = [name for name in header if name not in allowed and name != "employee_number"]
    if unknown:
        raise InvalidInput(
            f"Unknown columns: {', '.join(unknown)}.",
            fields={"columns": f"this pay group takes: {', '.join(sorted(allowed))}"},
        )
    numbers = dict(
        Employee.objects.filter(client_id=run.client_id).values_list("employee_number", "pk")
    )
    report = InputReport()
    try:
        values = _read_inputs(reader, header, numbers, report)
    except csv.Error as error:  # a NUL byte, an unterminated quote...
        raise InvalidInput(
            f"The file is not readable CSV: {error}.", fields={"file": "csv"}
        ) from None
    if report.errors:
        return report
    with transaction.atomic():
        current = _locked(run, None)
        _expect(current, "import_inputs")
        PayInput.objects.bulk_create(
            [
                PayInput(client_id=run.client_id, run=current, employee_id=e, name=n, value=v)
                for (e, n), v in values.items()
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["run", "employee", "name"],
            update_fields=["value"],
        )
        report.stored = len(values)
        _back_to_draft(current)
        _audit(current, "payroll.inputs.imported", actor, {"rows": report.rows})
    return report


def importable_inputs(run: PayRun) -> frozenset[str]:
    """The input columns a run's CSV may carry."""
    return calc.input_names(calc.rule_set(run.pay_group.rules)) - {
        "salary",
        "hourly_rate",
        "retro",
    }


def _read_inputs(reader, header: list[str], numbers: dict, report: InputReport) -> dict:
    values: dict[tuple[int, str], str] = {}
    for line, row in enumerate(reader, start=2):
        report.rows += 1
        if report.rows > MAX_INPUT_ROWS:
            raise InvalidInput(f"More than {MAX_INPUT_ROWS} rows.", fields={"file": "too long"})
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        employee_id = numbers.get(row.get("employee_number", ""))
        if employee_id is None:
            report.errors.append((line, "employee_number", "no such employee"))
            continue
        for name in header:
            if name == "employee_number" or not row.get(name):
                continue
            problem = _input_problem(row[name])
            if problem:
                report.errors.append((line, name, problem))
            elif (employee_id, name) in values:
                report.errors.append((line, name, "this employee's value is given twice"))
            else:
                values[(employee_id, name)] = str(Decimal(row[name]))
    return values


def _input_problem(text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{text!r} is not a number"
    if not value.is_finite():
        return "not a number"
    if value < 0:
        return "must not be negative"
    if value >= 10**9:
        return "too large"
    if value.as_tuple().exponent < -4:
        return "at most 4 decimals"
    return ""


def _back_to_draft(run: PayRun) -> None:
    """Inputs or HR records changed: the results no longer hold."""
    PayResult.objects.filter(run=run).delete()
    PayRun.objects.filter(pk=run.pk).update(
        status=PayRun.Status.DRAFT,
        employees_done=0,
        flagged=0,
        gross_minor=0,
        deductions_minor=0,
        net_minor=0,
        employer_minor=0,
        calculated_at=None,
        version=run.version + 1,
    )


# --- calculation ------------------------------------------------------------------------


def start_calculation(*, actor, run: PayRun, version: int | None = None) -> PayRun:
    """Calculate (again) from scratch: earlier results are dropped. The caller runs
    `calculate` inline for small runs or enqueues it for large ones."""
    with transaction.atomic():
        current = _locked(run, version)
        _expect(current, "calculate")
        if current.status != PayRun.Status.CALCULATING:
            _back_to_draft(current)
            total = len(_eligible_ids(current.pay_group, current.period_start, current.period_end))
            # the rules in force now, pinned: every chunk (and a resume) uses this version
            rules = groups.current_rules(current.pay_group, actor=actor)
            PayRun.objects.filter(pk=run.pk).update(
                status=PayRun.Status.CALCULATING,
                employees_total=total,
                note="",
                rules_version=rules.number,
            )
            _audit(current, "payroll.run.calculation_started", actor, {"employees": total})
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
                _eligible(run.pay_group, run.period_start, run.period_end)
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
            "previous_tax_year",
            "previous_pay_minor",
            "previous_tax_minor",
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
    frequency = run.pay_group.frequency
    built = []
    for employee_id in employee_ids:
        rows = history[employee_id]
        current = _in_force(rows, run.period_end, run.period_start)
        past = earlier.get(employee_id, [])
        built.append(
            calc.Snapshot(
                employee_id=employee_id,
                annual_salary_minor=current["annual_salary_minor"],
                hourly_rate_minor=current["hourly_rate_minor"],
                tax_code=employees[employee_id]["tax_code"],
                ni_category=employees[employee_id]["ni_category"],
                inputs=inputs.get(employee_id, {}),
                ytd=past[-1][2] if past else {},
                retro_minor=_retro(rows, past, frequency),
                salary_minor=period_salary(rows, run.period_start, run.period_end, frequency),
                **_p45(employees[employee_id], run.tax_year),
            )
        )
    return built


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


def _earlier_results(run: PayRun, employee_ids: list[int]) -> dict[int, list[tuple]]:
    """Each employee's finalised results earlier in the tax year, oldest first:
    (period start, period end, ytd after, basis)."""
    found: dict[int, list[tuple]] = defaultdict(list)
    # the finalised runs first (a handful), then their results for this chunk: one join
    # over all results lets the planner scan every result row once statistics grow
    earlier = {
        pk: (start, end)
        for pk, start, end in PayRun.objects.filter(
            client_id=run.client_id,
            status=PayRun.Status.FINALISED,
            tax_year=run.tax_year,
            pay_group__jurisdiction=run.pay_group.jurisdiction,
        )
        .exclude(pk=run.pk)
        .values_list("pk", "period_start", "period_end")
    }
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
            (employee_id, order[run_id], earlier[run_id], ytd, basis)
            for employee_id, run_id, ytd, basis in PayResult.objects.filter(
                run_id__in=list(earlier), employee_id__in=employee_ids
            ).values_list("employee_id", "run_id", "ytd", "basis")
        ),
        key=lambda row: (row[0], row[1]),
    )
    for employee_id, _order, (period_start, period_end), ytd, basis in rows:
        found[employee_id].append((period_start, period_end, ytd, basis))
    return found


def _retro(rows: list[dict], past: list[tuple], frequency: str) -> int:
    """Back pay owed for finalised periods whose salary changed afterwards (a raise
    back-dated into them): what the salary in force now says each of those periods
    should have paid, less what was paid, less back pay already paid."""
    owed = 0
    for period_start, period_end, _ytd, basis in past:
        should = period_salary(rows, period_start, period_end, frequency)
        if should is None:
            row = _in_force(rows, period_end, period_start)
            if row is None or row["annual_salary_minor"] is None:
                continue
            should = calc.period_amount_minor(row["annual_salary_minor"], frequency)
        owed += should - basis.get("salary_minor", 0) - basis.get("retro_minor", 0)
    return owed


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
        computed = calc.compute(snapshot, setting)
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
    _audit(run, "payroll.run.calculated", None, {"employees": total, "flagged": flagged})


def review_variance(run: PayRun) -> int:
    """Flag what a reviewer must look at: net pay moved more than the run's threshold
    against the previous finalised run of the pay group, new joiners, leavers and
    negative net pay. Returns how many results carry a flag."""
    previous = (
        PayRun.objects.filter(
            pay_group=run.pay_group, status=PayRun.Status.FINALISED, pay_date__lt=run.pay_date
        )
        .order_by("-pay_date", "-pk")
        .first()
    )
    before = (
        dict(PayResult.objects.filter(run=previous).values_list("employee_id", "net_minor"))
        if previous
        else {}
    )
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
    threshold = Decimal(run.variance_percent) / 100
    changed = []
    rows = PayResult.objects.filter(run=run).values_list("pk", "employee_id", "net_minor")
    for pk, employee_id, net in rows.iterator(chunk_size=5000):
        flags = []
        if net < 0:
            flags.append("negative_net")
        if employee_id in joined:
            flags.append("new_joiner")
        if employee_id in leaving:
            flags.append("leaver")
        old = before.get(employee_id)
        if old is not None and abs(net - old) > abs(old) * threshold:
            flags.append("net_moved")
        if flags:
            changed.append(PayResult(pk=pk, flags=flags))
    PayResult.objects.bulk_update(changed, ["flags"], batch_size=1000)
    return len(changed)


# --- approval and release -----------------------------------------------------------------


def submit(*, actor, run: PayRun, version: int) -> PayRun:
    """The provider's preparer sends the calculated run to the client for approval."""
    with transaction.atomic():
        current = _locked(run, version)
        _expect(current, "submit")
        if not actor.is_provider_staff:
            raise PermissionDenied("The provider's payroll team prepares runs.")
        negative = PayResult.objects.filter(run=current, net_minor__lt=0).count()
        if negative:
            raise Conflict(
                f"{negative} employees have a negative net pay; correct their inputs first.",
                code="negative_net",
            )
        _move(current, PayRun.Status.SUBMITTED, prepared_by=actor, note="")
        _audit(current, "payroll.run.submitted", actor)
    run.refresh_from_db()
    return run


def approve(*, actor, run: PayRun, version: int) -> PayRun:
    """The client's approver (a client admin of the run's client, never the preparer)
    approves the calculated figures."""
    with transaction.atomic():
        current = _locked(run, version)
        _expect(current, "approve")
        if actor.role != Role.CLIENT_ADMIN or actor.client_id != current.client_id:
            raise PermissionDenied("Only the client's administrators approve pay runs.")
        if actor.pk == current.prepared_by_id:
            raise PermissionDenied("The preparer cannot approve their own run.")
        _move(current, PayRun.Status.APPROVED, approved_by=actor)
        _audit(current, "payroll.run.approved", actor)
    run.refresh_from_db()
    return run


def send_back(*, actor, run: PayRun, version: int, note: str) -> PayRun:
    """The approver returns the run to the preparer with a reason."""
    note = (note or "").strip()
    if len(note) < 10:
        raise InvalidInput("Say what must change (10 characters or more).", fields={"note": ""})
    with transaction.atomic():
        current = _locked(run, version)
        _expect(current, "send_back")
        if actor.role != Role.CLIENT_ADMIN or actor.client_id != current.client_id:
            raise PermissionDenied("Only the client's administrators review pay runs.")
        _move(current, PayRun.Status.CALCULATED, note=note[:500])
        _audit(current, "payroll.run.sent_back", actor, reason=note[:500])
    run.refresh_from_db()
    return run


def finalise(*, actor, run: PayRun, version: int) -> PayRun:
    """Lock the approved run for good, post its journal, resolve its item and publish
    `payroll.run.finalised`. Payslips go out by e-mail after this (tasks.email_payslips);
    bank files can be released."""
    with transaction.atomic():
        current = _locked(run, version)
        _expect(current, "finalise")
        if not actor.is_provider_staff:
            raise PermissionDenied("The provider's payroll team finalises runs.")
        entries = journal.entries(current)
        Posting.objects.bulk_create(
            [
                Posting(
                    client_id=current.client_id,
                    run=current,
                    account=entry.account,
                    description=entry.description,
                    debit_minor=entry.debit_minor,
                    credit_minor=entry.credit_minor,
                    currency=current.pay_group.currency,
                )
                for entry in entries
            ]
        )
        _move(current, PayRun.Status.FINALISED, finalised_at=timezone.now())
        _audit(current, "payroll.run.finalised", actor, {"net_minor": current.net_minor})
        _close_item(current, actor, "resolve", finalised_text(current))
        _publish_finalised(current, actor)
        transaction.on_commit(lambda: _email_payslips(current.pk))
    run.refresh_from_db()
    return run


def _publish_finalised(run: PayRun, actor) -> None:
    """The `payroll.run.finalised` event: the run's period, head count and net total."""
    group = run.pay_group
    work_services.publish(
        kind=events.RUN_FINALISED,
        client_id=run.client_id,
        item=run.work_item,
        engagement_id=group.engagement_id,
        actor=actor,
        data={
            "run_id": run.pk,
            "pay_group_id": group.pk,
            "pay_group": group.name,
            "kind": run.kind,
            "tax_year": run.tax_year,
            "period": run.period,
            "period_start": run.period_start,
            "period_end": run.period_end,
            "pay_date": run.pay_date,
            "employees": run.employees_total,
            "net_minor": run.net_minor,
            "currency": group.currency,
        },
    )


def _email_payslips(run_id: int) -> None:
    from tercero.services.payroll import tasks  # tasks import this module

    tasks.email_payslips.enqueue(run_id)


def enqueue_calculation(run: PayRun) -> None:
    """Calculate a started run: here when it is small, by a worker when it is not."""
    if run.employees_total <= INLINE_LIMIT:
        calculate(run_id=run.pk)
        return
    from tercero.services.payroll import tasks

    transaction.on_commit(lambda: tasks.calculate_run.enqueue(run.pk))


def cancel(*, actor, run: PayRun, version: int, reason: str) -> PayRun:
    """Drop a draft or calculated run (its period may be run again); its item is
    cancelled with it."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        current = _locked(run, version)
        _expect(current, "cancel")
        PayResult.objects.filter(run=current).delete()
        _move(current, PayRun.Status.CANCELLED, note=reason)
        _audit(current, "payroll.run.cancelled", actor, reason=reason)
        _close_item(current, actor, "cancel", f"Pay run cancelled: {reason or 'no reason given'}")
    run.refresh_from_db()
    return run


def finalised_text(run: PayRun) -> str:
    """What the run's item says when the run is finalised."""
    currency = run.pay_group.currency
    employees = "1 employee" if run.employees_total == 1 else f"{run.employees_total} employees"
    return f"Pay run finalised: {employees}, net {outputs.amount_text(run.net_minor, currency)}."


def _close_item(run: PayRun, actor, action: str, text: str) -> None:
    """The run's item ends with the run (an item already closed stays as it is)."""
    if run.work_item_id is not None:
        work_services.close_for_record(
            actor=actor, item_id=run.work_item_id, action=action, text=text
        )


def actions(run: PayRun) -> list[str]:
    """What may be done to the run now (by whom is each action's own rule)."""
    return lifecycle.offered(lifecycle.RUN, run.status)


def _expect(run: PayRun, action: str) -> None:
    """Refuse `action` unless the run's status allows it (409, the status in words)."""
    lifecycle.expect(lifecycle.RUN, action, run.status, run.get_status_display().lower())


def _move(run: PayRun, status: str, **fields) -> None:
    PayRun.objects.filter(pk=run.pk).update(status=status, version=run.version + 1, **fields)
