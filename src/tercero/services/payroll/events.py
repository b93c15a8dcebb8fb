"""Payroll's outbox events, for billing, quality checks and clients' webhooks: a pay run
finalised and an HR change applied. Ids, periods, counts and totals only: no employee's
name, identifier or pay (events reach clients' endpoints and the audit chain)."""

from datetime import date
from typing import Literal

from pydantic import Field

from tercero.delivery.work.event_types import EventData, EventType

RUN_FINALISED = "payroll.run.finalised"
HR_CHANGE_APPLIED = "payroll.hr_change.applied"


class RunFinalised(EventData):
    run_id: int
    pay_group_id: int
    pay_group: str
    kind: Literal["regular", "off_cycle"]
    tax_year: str
    period: int
    period_start: date
    period_end: date
    pay_date: date
    employees: int
    net_minor: int
    # ISO 4217
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class HrChangeApplied(EventData):
    hr_change_id: int
    item_id: int
    change: Literal["hire", "change", "leave", "terminate"]
    employee_id: int


EVENTS = (
    EventType(RUN_FINALISED, RunFinalised, "A pay run was finalised: paid and posted."),
    EventType(HR_CHANGE_APPLIED, HrChangeApplied, "An HR change was applied to the records."),
)
