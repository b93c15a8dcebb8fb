"""Payroll's United States share of the demo provider: Northwind's biweekly pay group for
its Pennsylvania distribution centre, a dozen employees with their Forms W-4 (2020 or
later and 2019 or earlier ones), every fortnight of 2026 up to today paid (calculated,
approved by Northwind's admin and finalised on time, each item resolved then) and the
next one waiting for approval, due in the future (`demo_history`,
`demo.worked_on_time`): federal income tax, Social Security, Medicare, FUTA and
Pennsylvania's taxes on every payslip, and a first quarter's Form 941 to show. Built
only through the engagement, payroll and work services. Idempotent: nothing happens once
the pay group exists."""

from dataclasses import dataclass, field
from datetime import date

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.services import create_engagement
from tercero.delivery.work import services as work
from tercero.services.payroll import demo, demo_history, groups, paydates, runs, services, us_forms
from tercero.services.payroll.models import PayGroup, PayRun

ENGAGEMENT = "Payroll US"
PAY_GROUP = "Northwind US biweekly"
# Sunday to Saturday fortnights, paid the Friday after (six days after the period ends)
ANCHOR = date(2025, 12, 28)
PAY_OFFSET_DAYS = 6  # paid six days after the period ends
PAYER_ROUTING = "031000503"  # the originating bank (ACH), and the receiving point
BANK_ROUTING = "031201360"
COMPANY_ID = "1234567890"
ROUTINGS = ("021000021", "026009593", "121000248", "011000015", "043000096", "036001808")


@dataclass(frozen=True)
class Person:
    name: str
    start: date
    department: str
    position: str
    salary: str = ""  # a year, in dollars
    hourly: str = ""
    w4: dict = field(default_factory=dict)  # us_forms.record_w4's fields


STAFF = (
    Person("Maria Gonzalez", date(2019, 5, 6), "Operations", "Site manager", salary="118000",
           w4={"filing_status": "married_jointly", "dependents": "4400"}),
    Person("Kevin O'Brien", date(2021, 8, 16), "Warehouse", "Shift supervisor", salary="64000",
           w4={"filing_status": "single"}),
    Person("Aaliyah Johnson", date(2022, 3, 7), "Warehouse", "Picker", hourly="21.50",
           w4={"filing_status": "head_of_household", "dependents": "2200"}),
    Person("Tyler Nguyen", date(2023, 6, 12), "Warehouse", "Forklift operator",
           hourly="23.75", w4={"filing_status": "single", "multiple_jobs": True}),
    Person("Rebecca Stein", date(2018, 1, 15), "Finance", "Controller", salary="142000",
           w4={"filing_status": "married_jointly", "multiple_jobs": True,
               "deductions": "12000"}),
    Person("Marcus Williams", date(2017, 9, 5), "Transport", "Fleet coordinator",
           salary="58500", w4={"form": "2019", "filing_status": "married", "allowances": 3}),
    Person("Emily Kowalczyk", date(2024, 2, 19), "Customer service", "Advisor",
           hourly="19.25", w4={"filing_status": "single", "extra": "25"}),
    Person("David Chen", date(2016, 4, 4), "IT", "Systems administrator", salary="96000",
           w4={"form": "2019", "filing_status": "married_single_rate", "allowances": 1}),
    Person("Jasmine Patel", date(2025, 10, 6), "Warehouse", "Inventory clerk", hourly="20.00",
           w4={"filing_status": "single", "other_income": "3000"}),
    Person("Robert Fischer", date(2015, 11, 2), "Operations", "Vice president, operations",
           salary="265000", w4={"filing_status": "married_jointly"}),
    Person("Hannah Brooks", date(2026, 1, 5), "People", "HR generalist", salary="61000"),
    Person("Luis Ramirez", date(2020, 7, 13), "Warehouse", "Receiving lead", hourly="24.40",
           w4={"filing_status": "married_jointly", "exempt": True}),
)  # fmt: skip
HOURLY = ("NW-0003", "NW-0004", "NW-0007", "NW-0009", "NW-0012")
PAY_GROUP_ENGAGEMENT = dict(
    service_line="payroll",
    category="HRO",
    office="back",
    orientation="horizontal",
    pricing_model="per_transaction",
    monthly_volume=26,
    process_steps=10,
    exception_rate_percent=2,
    systems_count=2,
    languages=["en"],
    regulation="strict",
    holiday_country="US",
    holiday_subdivision="PA",
    sla_targets=[{"metric": "turnaround", "target_business_days": 2}],
    rates=[{"unit": "transaction", "amount_minor": 700, "currency": "USD"}],
    channels=["portal"],
    working_hours={day: [["09:00", "17:00"]] for day in range(5)},
)


def employee_number(index: int) -> str:
    return f"NW-{index:04d}"


def load(*, admin, lead, client_admin, client) -> None:
    if PayGroup.objects.filter(client_id=client.pk, name=PAY_GROUP).exists():
        return
    engagement = Engagement.objects.filter(client=client, name=ENGAGEMENT).first()
    if engagement is None:
        engagement = create_engagement(actor=admin, client=client, name=ENGAGEMENT,
                                       time_zone=client.time_zone, status="live",
                                       **PAY_GROUP_ENGAGEMENT)  # fmt: skip
    work.create_queue(
        actor=admin, engagement=engagement, name="US pay runs", work_types=["payroll.run"]
    )
    group = groups.create_pay_group(
        actor=admin,
        engagement=engagement,
        name=PAY_GROUP,
        frequency=PayGroup.Frequency.BIWEEKLY,
        currency="USD",
        jurisdiction="US",
        payer_routing=PAYER_ROUTING,
        bank_routing=BANK_ROUTING,
        company_id=COMPANY_ID,
        period_anchor=ANCHOR,
        pay_rule="offset",
        pay_offset_days=PAY_OFFSET_DAYS,
    )
    for index, person in enumerate(STAFF, start=1):
        _hire(lead, group, index, person)
    paid, waiting = demo_history.calendar_to_today(
        group, first=ANCHOR, today=demo_history.local_today(group)
    )
    for number, period in enumerate(paid):
        run = _submitted(lead, group, period, number)
        run = runs.approve(actor=client_admin, run=run, version=run.version)
        demo.worked_on_time(runs.finalise(actor=lead, run=run, version=run.version))
    if waiting is not None:
        _submitted(lead, group, waiting, len(paid))


def _hire(lead, group: PayGroup, index: int, person: Person) -> None:
    first, last = person.name.split(" ", 1)
    number = employee_number(index)
    employee = services.hire(
        actor=lead,
        client_id=group.client_id,
        employee_number=number,
        full_name=person.name,
        country="US",
        start=person.start,
        pay_group=group,
        annual_salary=person.salary or None,
        hourly_rate=person.hourly or None,
        national_id=f"{520 + index:03d}-{40 + index:02d}-{1000 + index * 37:04d}",
        routing_number=ROUTINGS[index % len(ROUTINGS)],
        account_number=f"{(index * 7_919_113 + 31_415_926) % 10**10:010d}",
        email=f"{first}.{last}@example.com".lower().replace("'", ""),
        department=person.department,
        position=person.position,
    )
    if person.w4:  # Hannah Brooks has not handed hers in: single, no entries
        us_forms.record_w4(actor=lead, employee=employee, received_on=person.start,
                           **person.w4)  # fmt: skip


def _submitted(lead, group: PayGroup, period: paydates.Period, number: int) -> PayRun:
    """One fortnight: the hourly staff's timesheet imported, the run calculated and
    submitted for Northwind's approval."""
    rows = [f"{code},{76 + (number * 3 + i) % 9},{(number + i) % 4}," for i, code in
            enumerate(HOURLY)]  # fmt: skip
    bonus = "NW-0002,,,1500\n" if number == 5 else ""  # a quarter-end bonus
    data = "employee_number,hours,overtime_hours,bonus\n" + "\n".join(rows) + "\n" + bonus
    run = runs.create_run(actor=lead, pay_group=group, period_start=period.start,
                          period_end=period.end, pay_date=period.pay_date)  # fmt: skip
    report = runs.import_inputs(actor=lead, run=run, data=data.encode())
    if not report.ok:
        raise ValueError(f"The demo's inputs do not import: {report.errors}")
    run = runs.calculate(run_id=runs.start_calculation(actor=lead, run=run).pk)
    return runs.submit(actor=lead, run=run, version=run.version)
