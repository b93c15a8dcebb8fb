"""Payroll's work types: a pay run is worked as one item, done when the run is
finalised (or cancelled)."""

from datetime import date, time

from pydantic import BaseModel, Field

from tercero.delivery.work import registry


class RunPayload(BaseModel):
    run_id: int = Field(ge=1)
    pay_group: str = Field(max_length=100)
    tax_year: str = Field(max_length=7)
    period: int = Field(ge=1, le=53)
    pay_date: date
    kind: str = Field(default="regular", max_length=10)


def _deadline(payload: RunPayload):
    # banks need the payment file three business days before the pay date
    return registry.Deadline(anchor=payload.pay_date, business_days_before=3, at=time(12, 0))


def _complete(payload: RunPayload, resolution: str) -> list[str]:
    from tercero.services.payroll.models import PayRun

    status = PayRun.objects.filter(pk=payload.run_id).values_list("status", flat=True).first()
    if status not in (PayRun.Status.FINALISED, PayRun.Status.CANCELLED):
        return ["The pay run is not finalised yet."]
    return []


RUN = registry.WorkType(
    key="payroll.run",
    title="Pay run",
    payload_schema=RunPayload,
    office="back",
    channel="back_office",
    default_skills={"payroll": 1},
    sla_metrics=("turnaround",),
    deadline=_deadline,
    summary=lambda p: f"{p.pay_group}: {p.tax_year} period {p.period}, paid {p.pay_date}",
    display_fields=(
        ("pay_group", "Pay group"),
        ("tax_year", "Tax year"),
        ("period", "Period"),
        ("pay_date", "Pay date"),
        ("kind", "Kind"),
    ),
    completion_check=_complete,
    panel_url="payroll:run-panel",
)


def register() -> None:
    registry.register(RUN)
