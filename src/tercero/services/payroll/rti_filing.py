"""Filing with HMRC as the pages and the API offer it: the check of a run's FPS with
every problem in words, its XML for download, sending it, the EPS of months nobody was
paid, the EPS claiming statutory pay back, and a pay group's PAYE references (and
whether it claims Small Employers' Relief). Building is rti.py, sending rti_gateway.py."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from lxml import etree

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput
from tercero.services.payroll import gb, outputs, p45p60, rti, rti_gateway, rti_schemas
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
# the payments an EPS claims back (RecoverableAmountsYTD: SMPRecovered...), in words
RECOVERED_NAMES = {
    "SMP": "Statutory Maternity Pay",
    "SPP": "Statutory Paternity Pay",
    "SAP": "Statutory Adoption Pay",
    "ShPP": "Statutory Shared Parental Pay",
    "SPBP": "Statutory Parental Bereavement Pay",
    "SNCP": "Statutory Neonatal Care Pay",
}


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


@dataclass(frozen=True)
class Claim:
    """What a recovery EPS claims back, read from the document itself: pence recovered
    of each statutory payment to date, and a small employer's NICs compensation."""

    tax_year: str
    month: int
    recovered: dict[str, int]  # "Statutory Maternity Pay" -> pence
    compensation: int

    def sentence(self, verb: str) -> str:
        """'Recovered £1,916.23 of Statutory Maternity Pay for month 2 of 2026-27'."""
        parts = [f"{_pounds(amount)} of {name}" for name, amount in self.recovered.items()]
        if self.compensation:
            parts.append(f"{_pounds(self.compensation)} compensation for National Insurance")
        what = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        return f"{verb} {what} for month {self.month} of {self.tax_year}"


def _pounds(minor: int) -> str:
    return outputs.amount_text(minor, "GBP")


def claim_of(xml: bytes | str, *, tax_year: str) -> Claim | None:
    """The claim a recovery EPS of `tax_year` (as built, or as sent and kept) makes, or
    None for an EPS that claims nothing back."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    section = next(root.iter("{*}RecoverableAmountsYTD"), None)
    if section is None:
        return None
    values = {etree.QName(e).localname: e.text or "" for e in section}
    recovered = {
        name: int(Decimal(values[f"{code}Recovered"]) * 100)
        for code, name in RECOVERED_NAMES.items()
        if f"{code}Recovered" in values
    }
    compensation = sum(
        int(Decimal(values[f"NICCompensationOn{code}"]) * 100)
        for code in RECOVERED_NAMES
        if f"NICCompensationOn{code}" in values
    )
    return Claim(tax_year, int(values["TaxMonth"]), recovered, compensation)


def recovery_document(*, pay_group: PayGroup, tax_year: str, month) -> rti.Document:
    """The EPS claiming back the statutory pay paid in the tax year up to the end of tax
    month `month`, built and checked (nothing sent); 409 in words when nothing was paid."""
    if pay_group.jurisdiction != "GB" or pay_group.currency != "GBP":
        raise Conflict("Only United Kingdom pay groups report to HMRC.", code="not_uk")
    first, _last = tax_months(month, month)
    return rti.eps_recovery(
        pay_group=pay_group, tax_year=p45p60.parse_tax_year(tax_year), month=first
    )


def recovery_xml(*, actor, pay_group: PayGroup, tax_year: str, month) -> tuple[str, bytes]:
    """The recovery EPS as HMRC would receive it, less the sender's credentials; each
    download is an audit event, as the FPS's is."""
    document = recovery_document(pay_group=pay_group, tax_year=tax_year, month=month)
    number, _last = tax_months(month, month)
    with transaction.atomic():
        record(
            action="payroll.rti.downloaded",
            actor=actor,
            client=pay_group.client_id,
            object_type="pay_group",
            object_id=pay_group.pk,
            payload={"kind": "eps", "key": document.key},
        )
    return f"eps-recovery-{pay_group.pk}-{document.tax_year}-{number}.xml", document.xml


def send_recovery(*, actor, pay_group: PayGroup, tax_year: str, month) -> RtiSubmission:
    """Send the recovery EPS of tax month `month`; once accepted it is not sent again."""
    document = recovery_document(pay_group=pay_group, tax_year=tax_year, month=month)
    return rti_gateway.submit(actor=actor, document=document, client_id=pay_group.client_id)


def recovery_sent(*, pay_group: PayGroup, tax_year: str, month: int) -> RtiSubmission | None:
    """The latest recovery EPS sent for the tax month, or None."""
    key = rti.recovery_key(pay_group_id=pay_group.pk, tax_year=tax_year, month=month)
    return submissions(pay_group=pay_group).filter(key=key).first()


def small_employer_relief(tax_year: str) -> str:
    """Small Employers' Relief in one sentence, with the year's figures from the pack
    (GOV.UK, Get financial help with statutory pay, gov.uk/recover-statutory-payments,
    updated 6 April 2025: the pack's "recovery_source")."""
    found = gb.pack(tax_year)["statutory_payments"]
    return (
        "Small Employers' Relief: an employer whose Class 1 National Insurance "
        "contributions were £45,000 or less in the last complete tax year recovers "
        f"{found['small_employer_recovery_percent']}% of the statutory maternity, paternity, "
        "adoption, shared parental, parental bereavement and neonatal care pay it pays, plus "
        f"{found['small_employer_compensation_percent']}% compensation for National "
        f"Insurance; any other employer recovers {found['recovery_percent']}% "
        f"({tax_year} figures)."
    )


def employer(pay_group: PayGroup) -> RtiEmployer | None:
    return RtiEmployer.objects.filter(pay_group=pay_group).first()


def set_employer(
    *,
    actor,
    pay_group: PayGroup,
    paye_reference: str,
    accounts_office_reference: str,
    version: int | None,
    is_small_employer: bool | None = None,
) -> RtiEmployer:
    """Record the PAYE scheme a UK pay group files under: the employer PAYE reference
    ("123/AB45678") and the Accounts Office reference ("123PA00045678"), as HMRC's
    letters give them, and whether it claims Small Employers' Relief (None: unchanged).
    A stale `version` (another change saved since) is refused."""
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
        was_small = found.is_small_employer if found is not None else False
        if is_small_employer is not None:
            values["is_small_employer"] = is_small_employer
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
        if found.is_small_employer != was_small:
            record(
                action="payroll.small_employer.changed",
                actor=actor,
                client=pay_group.client_id,
                object_type="pay_group",
                object_id=pay_group.pk,
                payload={"is_small_employer": found.is_small_employer},
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
