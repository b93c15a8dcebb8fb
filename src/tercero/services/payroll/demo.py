"""Payroll's share of the demo provider: Albion's UK monthly pay group with two dozen
employees, every month from April 2026 to today paid (calculated, approved by Albion's
admin in the portal, finalised, its work item resolved) and the next month, with a
timesheet of hours, overtime and bonuses, waiting for Albion's approval, due in the
future (`demo_history.calendar_to_today`). Built only through the payroll and work
services, as the payroll team would build it; each paid month's times are then set back
to the days it was worked (`worked_on_time`). Idempotent: nothing happens
once the pay group exists."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from schwifty import IBAN

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import demo as work_demo
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work import sla
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.services import clear_agent, update_agent
from tercero.services.payroll import demo_history, groups, paydates, runs, services
from tercero.services.payroll.models import PayGroup, PayRun

ENGAGEMENT = "Payroll UK"
PAY_GROUP = "Albion UK monthly"
# Albion's own paying account (not one of the personal accounts the plaintext scan
# looks for: a pay group's account is stored in clear, as bank files need it).
PAYER_IBAN = str(IBAN.generate("GB", bank_code="BARC200000", account_code="55779911").compact)
PAYER_BIC = "BARCGB22"
FIRST_PERIOD = date(2026, 4, 6)  # April 2026, the first month the demo pays
JOINER_START = date(2026, 5, 12)
# Banks and sort codes the demo's accounts are generated at (check digits by schwifty).
BANKS = ("NWBK601613", "LOYD309634", "HBUK401276", "MIDL400515", "NAIA070116", "BUKB202015")
# National Insurance prefixes HMRC issues (never D, F, I, Q, U, V; never BG, GB, KN, NK,
# NT, TN, ZZ): see identifiers.national_insurance_number.
NINO_PREFIXES = ("AB", "CE", "EH", "GK", "HL", "JM", "KP", "LR", "MS", "NW", "PX", "RY")


@dataclass(frozen=True)
class Person:
    name: str
    born: str
    start: date
    department: str
    position: str
    salary: str = ""  # a year, in pounds
    hourly: str = ""  # an hour, in pounds
    tax_code: str = "1257L"
    ni_category: str = "A"
    address: str = ""


STAFF = (
    Person("Olivia Bennett", "1988-02-14", date(2019, 9, 2), "Claims", "Claims handler",
           salary="29500", address="12 Larch Road, Bristol BS7 8QT"),
    Person("James Okafor", "1981-07-03", date(2017, 1, 9), "Underwriting", "Senior underwriter",
           salary="58000", address="4 Canal Walk, London N1 7RD"),
    Person("Priya Shah", "1990-11-21", date(2021, 3, 15), "Finance", "Financial accountant",
           salary="46000", address="27 Beech Grove, Leicester LE2 3FJ"),
    Person("Thomas Hughes", "1985-04-30", date(2018, 6, 4), "IT", "Software engineer",
           salary="62000", address="9 Station Approach, Reading RG1 1LX"),
    Person("Aisha Rahman", "1996-09-12", date(2022, 10, 3), "Customer service", "Advisor",
           hourly="13.85", address="51 Mill Lane, Birmingham B12 0PH"),
    Person("Daniel O'Connor", "1983-12-08", date(2016, 2, 1), "Claims", "Claims team leader",
           salary="38500", address="3 Harbour View, Plymouth PL1 2AD"),
    Person("Emily Clarke", "1987-05-19", date(2020, 8, 17), "People", "HR business partner",
           salary="44000", address="18 Orchard Close, Norwich NR4 6TE"),
    Person("Mohammed Ali", "1993-01-27", date(2023, 4, 24), "Customer service", "Advisor",
           hourly="14.20", address="70 Victoria Street, Bradford BD1 2HE"),
    Person("Sophie Turner", "1992-08-05", date(2021, 11, 1), "Actuarial", "Actuarial analyst",
           salary="52000", address="6 Kings Road, Cambridge CB3 9DB"),
    Person("Oliver Wright", "1974-03-11", date(2012, 5, 14), "Underwriting",
           "Head of underwriting", salary="85000", tax_code="K475",
           address="2 The Paddock, Guildford GU1 2SS"),
    Person("Chloe Evans", "1995-06-23", date(2022, 2, 7), "Marketing", "Marketing executive",
           salary="31000", address="44 Castle Street, Cardiff CF10 1BW"),
    Person("Harry Patel", "1979-10-02", date(2015, 9, 28), "Facilities", "Facilities assistant",
           hourly="12.90", address="15 Elm Terrace, Coventry CV1 4GL"),
    Person("Grace Murphy", "1991-02-17", date(2024, 1, 8), "Claims", "Claims handler",
           salary="27800", tax_code="BR", address="88 Queens Drive, Liverpool L15 6XG"),
    Person("Samuel Adeyemi", "1998-12-30", date(2026, 4, 6), "IT", "Service desk analyst",
           salary="28500", tax_code="1257L M1", address="31 Park Avenue, Croydon CR0 1YB"),
    Person("Isla Campbell", "1986-09-09", date(2019, 4, 1), "Legal", "Compliance officer",
           salary="49500", address="7 Abbey Gardens, York YO1 7HH"),
    Person("George Walsh", "1970-01-15", date(2023, 9, 4), "Underwriting",
           "Underwriting consultant", salary="24000", tax_code="D0",
           address="112 High Street, Winchester SO23 9AX"),
    Person("Amelia Robinson", "2004-07-22", date(2025, 9, 1), "Claims",
           "Apprentice claims handler", salary="22000", ni_category="H",
           address="20 Willow Way, Swindon SN2 1QA"),
    Person("Jack Thompson", "2006-03-04", date(2025, 7, 14), "Customer service", "Advisor",
           hourly="12.80", ni_category="M", address="5 Nelson Court, Southampton SO14 3JR"),
    Person("Fatima Hussain", "1989-10-26", date(2020, 1, 13), "Actuarial", "Pricing analyst",
           salary="41000", address="63 Granby Street, Manchester M1 7AB"),
    Person("Ryan McDonald", "1984-05-06", date(2018, 11, 19), "Claims", "Fraud investigator",
           salary="36000", address="26 Dale Street, Newcastle NE1 4LP"),
    Person("Hannah Lewis", "1994-12-13", date(2024, 6, 3), "Customer service", "Advisor",
           hourly="15.10", tax_code="BR", address="9 Chapel Row, Bath BA1 1HN"),
    Person("Benjamin Carter", "1978-08-18", date(2014, 3, 3), "Actuarial", "Actuarial manager",
           salary="74000", address="40 Regent Place, Edinburgh EH7 5BL"),
    Person("Margaret Doyle", "1958-11-29", date(2011, 10, 10), "Facilities", "Receptionist",
           salary="22500", ni_category="C", address="17 Rose Hill, Oxford OX4 4HF"),
    Person("Lucas Fernandes", "1997-04-08", JOINER_START, "IT", "Data engineer",
           salary="55000", address="3 Printworks Lane, London SE1 9GF"),
)  # fmt: skip
# Timesheets the client sends each month: hours for the hourly staff, overtime, bonuses
# and one-off deductions (runs.importable_inputs names the columns).
APRIL_INPUTS = (
    "employee_number,hours,overtime_hours,bonus,deduction\n"
    "ALB-0005,150,,,\nALB-0008,162.5,4,,\nALB-0012,140,,,\nALB-0018,120,,,\nALB-0021,96,,,\n"
)
MAY_INPUTS = (
    "employee_number,hours,overtime_hours,bonus,deduction\n"
    "ALB-0005,157.5,8,,\nALB-0008,160,12.5,,\nALB-0012,146,6,,\nALB-0018,130,,,\n"
    "ALB-0021,104,3,,\nALB-0001,,,750,\nALB-0006,,,1200,\nALB-0019,,,2500,\n"
    "ALB-0011,,,,85.50\n"
)
HOURLY = ("ALB-0005", "ALB-0008", "ALB-0012", "ALB-0018", "ALB-0021")


def inputs_of(month: int) -> str:
    """The timesheet of the demo's `month`-th month (0: April): April's and May's as
    Albion sent them, then the hourly staff's hours and a little overtime."""
    if month < 2:
        return (APRIL_INPUTS, MAY_INPUTS)[month]
    rows = [
        f"{number},{140 + (month * 7 + i * 5) % 24},{(month + i) % 5},,"
        for i, number in enumerate(HOURLY)
    ]
    return "employee_number,hours,overtime_hours,bonus,deduction\n" + "\n".join(rows) + "\n"


def employee_number(index: int) -> str:
    return f"ALB-{index:04d}"


def national_insurance_number(index: int) -> str:
    """A well-formed National Insurance number, different for each demo employee."""
    digits = (index * 271_829 + 130_457) % 1_000_000
    return f"{NINO_PREFIXES[index % len(NINO_PREFIXES)]}{digits:06d}{'ABCD'[index % 4]}"


def iban(index: int) -> str:
    """A valid UK IBAN (sort code and account number), different for each employee."""
    account = (index * 7_919_113 + 31_415_926) % 100_000_000
    bank = BANKS[index % len(BANKS)]
    return str(IBAN.generate("GB", bank_code=bank, account_code=f"{account:08d}").compact)


def load(*, admin, lead, client_admin, hr_agent) -> None:
    engagement = Engagement.objects.get(client_id=client_admin.client_id, name=ENGAGEMENT)
    if PayGroup.objects.filter(client_id=engagement.client_id, name=PAY_GROUP).exists():
        return
    work.create_queue(
        actor=admin, engagement=engagement, name="Pay runs", work_types=["payroll.run"]
    )
    group = groups.create_pay_group(
        actor=admin,
        engagement=engagement,
        name=PAY_GROUP,
        frequency=PayGroup.Frequency.MONTHLY,
        currency="GBP",
        jurisdiction="GB",
        payer_iban=PAYER_IBAN,
        payer_bic=PAYER_BIC,
        # UK tax months (6th to 5th), paid on the 28th
        period_anchor=date(2026, 4, 6),
        pay_rule="day_of_month",
        pay_day=28,
    )
    for index, person in enumerate(STAFF, start=1):
        _hire(lead, group, index, person)
    paid, waiting = demo_history.calendar_to_today(
        group, first=FIRST_PERIOD, today=demo_history.local_today(group)
    )
    for month, period in enumerate(paid):
        run = _submitted(lead, group, period, inputs_of(month))
        run = runs.approve(actor=client_admin, run=run, version=run.version)
        worked_on_time(runs.finalise(actor=lead, run=run, version=run.version))
    if waiting is not None:
        _submitted(lead, group, waiting, inputs_of(len(paid)))
    _hr_requests(admin, engagement, client_admin)
    _hr_desk(admin, engagement, hr_agent)


# HR changes Albion's admin has asked for in the portal, waiting for an HR agent.
HR_REQUESTS = (
    {
        "event": "hire",
        "employee_number": "ALB-0025",
        "effective": "2026-06-15",
        "pay_group": PAY_GROUP,
        "annual_salary": "33500",
        "department": "Claims",
        "position": "Claims handler",
        "full_name": "Nadia Kowalski",
        "date_of_birth": "1993-03-02",
        "address": "8 Wharf Street, Leeds LS2 7EQ",
        "country": "GB",
        "national_id": "SW 48 21 73 B",
        "iban": "",
        "email": "nadia.kowalski@example.org",
        "tax_code": "1257L",
        "ni_category": "A",
        "previous_pay": "9800.00",
        "previous_tax": "1050.00",
    },
    {
        "event": "change",
        "employee_number": "ALB-0003",
        "effective": "2026-07-01",
        "annual_salary": "49000",
        "position": "Senior financial accountant",
        "reason": "promotion",
    },
    {
        "event": "leave",
        "employee_number": "ALB-0009",
        "effective": "2026-08-03",
        "return_date": "2026-11-02",
        "reason": "parental leave",
    },
    {
        "event": "terminate",
        "employee_number": "ALB-0020",
        "effective": "2026-06-30",
        "reason": "resigned",
    },
)


def _hr_desk(admin, engagement, user) -> None:
    """The demo's HR agent: skilled for HR changes and cleared for Albion's payroll."""
    agent = Agent.objects.get(user=user)
    if "hr" not in agent.skills:
        agent = update_agent(
            actor=admin,
            agent=agent,
            version=agent.version,
            changes={"skills": {**agent.skills, "hr": 3}},
        )
    clear_agent(
        actor=admin, agent=agent, engagement=engagement, reachable_client_ids=[engagement.client_id]
    )


def _hr_requests(admin, engagement, client_admin) -> None:
    queue = work.create_queue(
        actor=admin, engagement=engagement, name="HR changes", work_types=["payroll.hr_event"]
    )
    for n, asked in enumerate(HR_REQUESTS):
        payload = dict(asked)
        if payload["event"] == "hire":
            payload["iban"] = iban(len(STAFF) + 1)
        work.submit_item(
            actor=client_admin,
            queue=queue,
            work_type="payroll.hr_event",
            payload=payload,
            external_ref=f"HR-{2601 + n}",
        )


def _hire(lead, group: PayGroup, index: int, person: Person) -> None:
    first, last = person.name.split(" ", 1)
    services.hire(
        actor=lead,
        client_id=group.client_id,
        employee_number=employee_number(index),
        full_name=person.name,
        country="GB",
        start=person.start,
        pay_group=group,
        annual_salary=person.salary or None,
        hourly_rate=person.hourly or None,
        date_of_birth=person.born,
        address=person.address,
        national_id=national_insurance_number(index),
        iban=iban(index),
        email=f"{first}.{last}@example.org".lower().replace("'", ""),
        tax_code=person.tax_code,
        ni_category=person.ni_category,
        department=person.department,
        position=person.position,
    )


def worked_on_time(run: PayRun) -> None:
    """Set a finalised run and its resolved item back to the days they were worked:
    finalised at 15:30 on the business day before the bank deadline, queued nine days
    earlier and calculated the next morning; the item's SLA clock judged as it was then.
    Only a demo may do this; the audit trail and the item's events keep the time the
    demo was loaded, as they must."""
    item = work_selectors.access_item(client_ids=[run.client_id], item_id=run.work_item_id)
    engagement = item.engagement
    zone = ZoneInfo(engagement.time_zone)
    country, region = engagement.holiday_country, engagement.holiday_subdivision
    due_day = item.due_at.astimezone(zone).date()
    finalised_day = paydates.business_day_on_or_before(
        due_day - timedelta(days=1), country=country, subdivision=region
    )
    queued_day = paydates.business_day_on_or_before(
        finalised_day - demo_history.QUEUED_BEFORE, country=country, subdivision=region
    )
    queued = datetime.combine(queued_day, demo_history.QUEUED_AT, tzinfo=zone)
    finalised = datetime.combine(finalised_day, demo_history.FINALISED_AT, tzinfo=zone)
    calculated = datetime.combine(
        queued_day + timedelta(days=1), demo_history.CALCULATED_AT, tzinfo=zone
    )
    PayRun.objects.filter(pk=run.pk).update(
        created_at=queued, calculated_at=calculated, finalised_at=finalised
    )
    at_risk = sla.at_risk_moment(
        sla.calendar_of(engagement), queued, item.due_at, item.queue.at_risk_percent
    )  # a pay run has one clock, its turnaround: due_at is resolution_due_at
    work_demo.set_history(
        item_id=item.pk,
        created_at=queued,
        queued_at=queued,
        at_risk_at=at_risk,
        resolution_at_risk_at=at_risk,
        resolved_at=finalised,
        updated_at=finalised,
        sla_met=item.due_at >= finalised,
    )


def _submitted(lead, group: PayGroup, period: paydates.Period, inputs: str) -> PayRun:
    """The month's run: its timesheet imported, calculated (inline: it is small) and
    submitted for Albion's approval."""
    run = runs.create_run(
        actor=lead,
        pay_group=group,
        period_start=period.start,
        period_end=period.end,
        pay_date=period.pay_date,
    )
    report = runs.import_inputs(actor=lead, run=run, data=inputs.encode())
    if not report.ok:
        raise ValueError(f"The demo's inputs do not import: {report.errors}")
    run = runs.calculate(run_id=runs.start_calculation(actor=lead, run=run).pk)
    return runs.submit(actor=lead, run=run, version=run.version)
