"""Filing with HMRC as the pages and the API offer it: the check of a run's FPS with
every problem in words, its XML for download, sending it, the EPS of months nobody was
paid, and a pay group's PAYE references. Building is rti.py, sending rti_gateway.py."""

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput
from tercero.services.payroll import p45p60, rti, rti_gateway, rti_schemas
from tercero.services.payroll.models import (
    Employee,
    PayGroup,
    PayRun,
    RtiEmployer,
    RtiPerson,
    RtiSubmission,
)

PAYE_REFERENCE = re.compile(r"^([0-9]{3})/([A-Z0-9]{1,10})$")
ACCOUNTS_OFFICE_REFERENCE = re.compile(r"^[0-9]{3}P[A-Z][0-9]{7}[0-9X]$")
# checking builds the whole FPS: on the page at once for runs up to this size
CHECK_INLINE_LIMIT = 2000


@dataclass(frozen=True)
class Check:
    """What stands between a run's FPS and HMRC, in words (none: ready to send)."""

    document: rti.Document | None
    problems: list[str] = field(default_factory=list)

    @property
    def is_ready(self) -> bool:
        return self.document is not None and not self.problems

    @property
    def schema_check(self) -> str:
        """What HMRC's schemas said of the FPS, in words ("" when it could not be built)."""
        return self.document.schema_check if self.document else ""


def check_fps(run: PayRun) -> Check:
    """Build the FPS as for sending. Unchecked by HMRC's schemas (not installed) is a
    problem while they are required, a note on the page and in the API otherwise."""
    try:
        document = rti.fps(run)
    except DomainError as error:
        return Check(None, list(error.fields.get("problems") or [error.message]))
    refused = unsendable(document)
    return Check(document, [refused] if refused else [])


def unsendable(document: rti.Document) -> str:
    """Why `document` may not be sent as it is, in words, or "": HMRC's schemas did not
    check it (not installed) while RTI_REQUIRE_SCHEMAS is true."""
    if document.is_checked or not rti_schemas.is_required():
        return ""
    return rti_schemas.refusal(document.tax_year)


def submissions(*, run: PayRun | None = None, pay_group: PayGroup | None = None):
    """A run's FPS submissions, or a pay group's EPS submissions, newest first."""
    found = RtiSubmission.objects.select_related("submitted_by")
    if run is not None:
        return found.filter(run=run)
    return found.filter(pay_group=pay_group, kind=RtiSubmission.Kind.EPS)


def is_accepted(run: PayRun) -> bool:
    return RtiSubmission.objects.filter(run=run, status=RtiSubmission.Status.ACCEPTED).exists()


def fps_xml(*, run: PayRun, actor) -> tuple[str, bytes]:
    """The run's FPS as HMRC would receive it, less the sender's credentials. It holds
    the employees' NI numbers and addresses: each download is an audit event."""
    document = rti.fps(run)
    with transaction.atomic():
        record(
            action="payroll.rti.downloaded",
            actor=actor,
            client=run.client_id,
            object_type="pay_run",
            object_id=run.pk,
            payload={"kind": "fps", "employees": document.employees},
        )
    return f"fps-run-{run.pk}-{run.tax_year}-{run.period}.xml", document.xml


def send_fps(*, actor, run: PayRun) -> RtiSubmission:
    """Check the run's FPS and send it to HMRC; HMRC's answer is kept on the run."""
    return rti_gateway.submit(actor=actor, document=rti.fps(run), client_id=run.client_id)


def tax_months(month_from: object, month_to: object) -> tuple[int, int]:
    """Tax months 1 to 12 from a form or a request, or a 422 in words."""
    try:
        first, last = int(str(month_from)), int(str(month_to))
    except ValueError:
        raise InvalidInput(
            "Give the tax months as numbers, 1 (6 April to 5 May) to 12.",
            fields={"month_from": "1-12", "month_to": "1-12"},
        ) from None
    if not 1 <= first <= last <= 12:
        raise InvalidInput(
            "Give the tax months as 1 to 12, the first not after the last.",
            fields={"month_from": "1-12", "month_to": "1-12"},
        )
    return first, last


def eps_document(*, pay_group: PayGroup, tax_year: str, month_from, month_to) -> rti.Document:
    """The no-payment EPS, built and checked (nothing sent)."""
    if pay_group.jurisdiction != "GB" or pay_group.currency != "GBP":
        raise Conflict("Only United Kingdom pay groups report to HMRC.", code="not_uk")
    first, last = tax_months(month_from, month_to)
    return rti.eps_no_payment(
        pay_group=pay_group,
        tax_year=p45p60.parse_tax_year(tax_year),
        month_from=first,
        month_to=last,
    )


def send_eps(*, actor, pay_group: PayGroup, tax_year: str, month_from, month_to) -> RtiSubmission:
    document = eps_document(
        pay_group=pay_group, tax_year=tax_year, month_from=month_from, month_to=month_to
    )
    return rti_gateway.submit(actor=actor, document=document, client_id=pay_group.client_id)


def employer(pay_group: PayGroup) -> RtiEmployer | None:
    return RtiEmployer.objects.filter(pay_group=pay_group).first()


def set_employer(
    *,
    actor,
    pay_group: PayGroup,
    paye_reference: str,
    accounts_office_reference: str,
    version: int | None,
) -> RtiEmployer:
    """Record the PAYE scheme a UK pay group files under: the employer PAYE reference
    ("123/AB45678") and the Accounts Office reference ("123PA00045678"), as HMRC's
    letters give them. A stale `version` (another change saved since) is refused."""
    if pay_group.jurisdiction != "GB":
        raise Conflict("Only United Kingdom pay groups have PAYE references.", code="not_uk")
    reference = PAYE_REFERENCE.match(re.sub(r"\s", "", paye_reference or "").upper())
    if reference is None:
        raise InvalidInput(
            "The employer PAYE reference is the tax office number, a slash and the "
            "reference, as on HMRC's letters: 123/AB45678.",
            fields={"paye_reference": "123/AB45678"},
        )
    office = re.sub(r"\s", "", accounts_office_reference or "").upper()
    if not ACCOUNTS_OFFICE_REFERENCE.match(office):
        raise InvalidInput(
            "The Accounts Office reference is 13 characters: three digits, P, a letter, "
            "then eight digits or seven and an X, e.g. 123PA00045678.",
            fields={"accounts_office_reference": "123PA00045678"},
        )
    with transaction.atomic():
        found = RtiEmployer.objects.select_for_update().filter(pay_group=pay_group).first()
        if found is not None and version is not None and version != found.version:
            raise Conflict(
                "Someone changed the PAYE references since this page was loaded; "
                "they are shown again as they are now.",
                code="stale_version",
            )
        values = {
            "tax_office_number": reference[1],
            "tax_office_reference": reference[2],
            "accounts_office_reference": office,
            "updated_at": timezone.now(),
        }
        if found is None:
            found = RtiEmployer.objects.create(
                client_id=pay_group.client_id, pay_group=pay_group, **values
            )
        else:
            for name, value in values.items():
                setattr(found, name, value)
            found.version += 1
            found.save()
        record(
            action="payroll.paye_reference.changed",
            actor=actor,
            client=pay_group.client_id,
            object_type="pay_group",
            object_id=pay_group.pk,
            payload={"paye_reference": str(found), "accounts_office_reference": office},
        )
    return found


def gender_of(employee: Employee) -> str:
    """The gender HMRC holds for the employee (M or F), or "" when none is recorded."""
    found = RtiPerson.objects.filter(employee=employee).values_list("gender", flat=True).first()
    return found or ""


def set_gender(*, actor, employee: Employee, gender: str) -> RtiPerson:
    """Record the gender HMRC holds for the employee, as on their National Insurance
    record (the FPS must carry it: M or F)."""
    if gender not in RtiPerson.Gender.values:
        raise InvalidInput(
            "Choose the gender HMRC holds for the employee: female (F) or male (M), as on "
            "their National Insurance record.",
            fields={"gender": "F or M"},
        )
    if employee.country != "GB":
        raise Conflict("Only employees on a United Kingdom payroll report to HMRC.", code="not_uk")
    with transaction.atomic():
        found, _made = RtiPerson.objects.update_or_create(
            employee=employee,
            defaults={
                "client_id": employee.client_id,
                "gender": gender,
                "updated_at": timezone.now(),
            },
        )
        record(
            action="payroll.hmrc_gender.changed",
            actor=actor,
            client=employee.client_id,
            object_type="employee",
            object_id=employee.pk,
            payload={"fields": ["gender"]},
        )
    return found
