"""Pay run inputs from CSV (hours, overtime, bonuses, deductions...): all or nothing,
every bad row reported by its line."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import calc
from tercero.services.payroll import run_steps as steps
from tercero.services.payroll.models import Employee, PayInput, PayRun

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_INPUT_ROWS = 200_000


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
        current = steps.locked(run, None)
        steps.expect(current, "import_inputs")
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
        steps.back_to_draft(current)
        steps.audit(current, "payroll.inputs.imported", actor, {"rows": report.rows})
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
