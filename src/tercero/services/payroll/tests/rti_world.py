"""A UK pay group of tax year 2025-26 (the year whose HMRC RTI schemas are installed)
with an English, a Scottish and a Welsh employee, one repaying a plan 2 student loan
and a postgraduate loan, and a leaver; April and May paid and finalised. Call inside
the client's scope."""

from datetime import date

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import services
from tercero.services.payroll.models import RtiEmployer, RtiPerson
from tercero.services.payroll.tests.factories import finalised, hire, uk_group

APRIL_2025 = dict(
    period_start=date(2025, 4, 6), period_end=date(2025, 5, 5), pay_date=date(2025, 4, 28)
)
MAY_2025 = dict(
    period_start=date(2025, 5, 6), period_end=date(2025, 6, 5), pay_date=date(2025, 5, 28)
)
PEOPLE = (
    # number, name, tax code, NI number, gender, salary, loans
    ("E-1", "Olivia Grant", "1257L", "AB123456C", "F", "36000.00", ""),
    ("S-1", "Callum Fraser", "S1257L", "CE234567D", "M", "42000.00", ""),
    ("W-1", "Siân Llewelyn-Jones", "C1257L", "HJ345678A", "F", "30000.00", ""),
    ("L-1", "Zoë Ødegård Park", "1257L", "JK456789B", "F", "48000.00", "2 PGL"),
    ("X-1", "Γιώργος Παπαδόπουλος", "1257L", "", "M", "27000.00", ""),
)
LEAVER = "S-1"
LEAVING = date(2025, 5, 20)


def world(tenant, *, name="UK monthly 2025"):
    group = uk_group(tenant.client, name=name)
    with client_scope(clients=[tenant.client]):
        RtiEmployer.objects.create(
            client=tenant.client,
            pay_group=group,
            tax_office_number="123",
            tax_office_reference="AB45678",
            accounts_office_reference="123PA00045678",
        )
        people = {}
        for number, full_name, code, nino, gender, salary, loans in PEOPLE:
            employee = hire(
                tenant.team_lead,
                group,
                number,
                salary=salary,
                full_name=full_name,
                tax_code=code,
                national_id=nino,
                student_loan_plans=loans,
                start=date(2025, 4, 1),
                date_of_birth="1990-02-14",
                address="12 High Street, Leeds, LS1 4AP",
            )
            RtiPerson.objects.create(client=tenant.client, employee=employee, gender=gender)
            people[number] = employee
        april = finalised(tenant, group, APRIL_2025)
        services.leave(actor=tenant.team_lead, employee=people[LEAVER], last_day=LEAVING)
        may = finalised(tenant, group, MAY_2025)
    return group, people, april, may
