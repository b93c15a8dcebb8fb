"""A UK pay group of tax year 2025-26 with an English, a Scottish and a Welsh employee,
one repaying a plan 2 student loan and a postgraduate loan, and a leaver; April and May
paid and finalised. Call inside the client's scope.

HMRC's RTI schemas are not in the repository: the operator installs them. The tests
read them from the folder the environment variable TERCERO_HMRC_SCHEMAS names (laid out
as schemas/rti/README.md says). Set, every document is validated against them; unset,
none is installed (an empty folder, whatever RTI_SCHEMA_DIR says) and every document is
said to be unchecked, and must still be well-formed GovTalk."""

import os
from collections import Counter
from datetime import date
from pathlib import Path

from lxml import etree

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import rti, rti_schemas, services
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
SCHEMAS = os.environ.get("TERCERO_HMRC_SCHEMAS", "")
CHECKED: Counter[str] = Counter()  # documents checked, by how, for the closing line
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


def use_schemas(settings, tmp_path: Path) -> None:
    """Point the setting at HMRC's schemas when the run has them, else at an empty folder."""
    settings.RTI_SCHEMA_DIR = Path(SCHEMAS) if SCHEMAS else tmp_path / "no-hmrc-schemas"


def unchecked_words(tax_year: str = "2025-26") -> str:
    return (
        f"Not checked against HMRC's schemas for {tax_year}: they are not installed "
        "(see docs/payroll.md)"
    )


def page_words(tax_year: str = "2025-26") -> str:
    """What the RTI page says of a ready FPS, as the run has HMRC's schemas or not."""
    return f"passes HMRC's {tax_year} schemas" if SCHEMAS else unchecked_words(tax_year)


def assert_checked(xml: bytes, *, kind: str, tax_year: str = "2025-26") -> None:
    """With HMRC's schemas: the message and its body are valid against them, checked
    here apart from the builder. Without: well-formed GovTalk around the year's body."""
    root = etree.fromstring(xml)
    assert root.tag == f"{{{rti.ENVELOPE_NS}}}GovTalkMessage"
    body = root.find(f"{{{rti.ENVELOPE_NS}}}Body")[0]
    assert body.tag == f"{{{rti_schemas.namespace(kind, tax_year)}}}IRenvelope"
    if not SCHEMAS:
        CHECKED["well-formed only"] += 1
        return
    found = rti_schemas.installed(kind, tax_year)
    assert found is not None, f"TERCERO_HMRC_SCHEMAS has no {kind} schema for {tax_year}"
    envelope = rti_schemas.schema(found.envelope)
    assert envelope.validate(root), envelope.error_log
    inner = rti_schemas.schema(found.body)
    assert inner.validate(etree.fromstring(etree.tostring(body))), inner.error_log
    CHECKED["valid against HMRC's schemas"] += 1


def closing_line() -> str:
    counts = ", ".join(f"{n} {how}" for how, n in sorted(CHECKED.items())) or "none"
    if SCHEMAS:
        return f"HMRC RTI schemas: installed (TERCERO_HMRC_SCHEMAS); documents: {counts}"
    return f"HMRC RTI schemas: not installed (TERCERO_HMRC_SCHEMAS unset); documents: {counts}"
