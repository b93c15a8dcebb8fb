"""Payroll API for an employee's UK statutory absences (sickness, maternity, adoption,
paternity, shared parental, parental bereavement and neonatal care leave): list them,
record one and correct one. Mounted on the payroll router (apps.py). Another client's
employee answers 404."""

from datetime import date

from ninja import Field, Router, Schema, Status

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import NotFound
from tercero.services.payroll import selectors, statutory_leave

router = Router(tags=["payroll"])


class AbsenceIn(Schema):
    kind: str = Field(max_length=20, description="sickness, maternity, adoption, paternity, "
                      "shared_parental, bereavement or neonatal_care")  # fmt: skip
    start: date
    end: date | None = Field(default=None, description="null: until the entitlement ends")
    expected_on: date | None = Field(
        default=None,
        description="the baby's due date, the adoption matching date, the date of the "
        "child's death (bereavement) or the baby's date of birth (neonatal_care)",
    )
    child_arrived_on: date | None = Field(
        default=None, description="the baby's actual date of birth, or the placement"
    )
    care_started_on: date | None = Field(
        default=None, description="neonatal_care: the day the neonatal care began"
    )
    average_weekly_earnings_minor: int | None = Field(
        default=None, ge=0, le=10**9, description="null: worked out from finalised pay"
    )
    qualifying_days: str = Field(
        default="0,1,2,3,4", max_length=13, description="Monday 0 to Sunday 6 (SSP)"
    )
    weeks_available: int | None = Field(
        default=None,
        ge=1,
        le=39,
        description="shared_parental: weeks left to share; neonatal_care: weeks of "
        "neonatal care of 7 or more continuous days (1 to 12)",
    )


class AbsenceChanges(Schema):
    kind: str | None = Field(default=None, max_length=20)
    start: date | None = None
    end: date | None = None
    expected_on: date | None = None
    average_weekly_earnings_minor: int | None = Field(
        default=None, ge=0, le=10**9, description="null: worked out again from finalised pay"
    )
    qualifying_days: str | None = Field(default=None, max_length=13)
    weeks_available: int | None = Field(default=None, ge=1, le=39)
    child_arrived_on: date | None = None
    care_started_on: date | None = None


class AbsencePatch(Schema):
    version: int = Field(ge=1, description="the version the correction was made against")
    changes: AbsenceChanges = Field(description="only the fields given are changed")


class AbsenceOut(Schema):
    id: int
    employee_id: int
    kind: str
    start: date
    end: date | None
    expected_on: date | None
    average_weekly_earnings_minor: int
    is_earnings_given: bool
    earnings_text: str
    qualifying_days: str
    weeks_available: int | None
    child_arrived_on: date | None
    care_started_on: date | None
    version: int


def _employee(request, employee_id: int, permission: str):
    caller = caller_of(request)
    if not 0 < employee_id < 2**62:
        raise NotFound("Employee not found.")
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    caller.require(permission)
    return caller, employee


@router.get("/payroll/employees/{employee_id}/absences", response=list[AbsenceOut])
def list_absences(request, employee_id: int):
    _caller, employee = _employee(request, employee_id, "payroll:read")
    return list(employee.statutory_absences.order_by("start", "pk"))


@router.post("/payroll/employees/{employee_id}/absences", response={201: AbsenceOut})
def record_absence(request, employee_id: int, body: AbsenceIn):
    caller, employee = _employee(request, employee_id, "payroll:write")
    absence = statutory_leave.record_absence(
        actor=caller.user, employee=employee, **body.model_dump()
    )
    return Status(201, absence)


@router.patch("/payroll/absences/{absence_id}", response=AbsenceOut)
def correct_absence(request, absence_id: int, body: AbsencePatch):
    """Correct a recorded absence; checked again as a new one. A stale `version` is 409."""
    caller = caller_of(request)
    absence = statutory_leave.access_absence(client_ids=caller.client_ids, absence_id=absence_id)
    caller.require("payroll:write")
    changes = body.changes.model_dump(exclude_unset=True)
    for name in ("kind", "start", "qualifying_days"):  # never empty on a record
        if changes.get(name, "") is None:
            changes.pop(name)
    return statutory_leave.correct_absence(
        actor=caller.user, absence=absence, version=body.version, **changes
    )
