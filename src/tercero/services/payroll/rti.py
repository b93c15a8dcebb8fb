"""Real Time Information: the Full Payment Submission (FPS) of a finalised UK pay run and
the Employer Payment Summary (EPS) of months nobody was paid, as HMRC's XML inside the
GovTalk envelope, checked against HMRC's own schemas before anything is sent.

The FPS is built from the run's stored results (rti_figures.py; nothing is calculated
again). Every problem HMRC's schema would refuse is found here first and said in words,
naming the employee (their payroll ID). HMRC's schemas are installed by the operator
(rti_schemas.py); a document of a year whose schemas are not installed is still built
and checked by our own rules, and says it was not checked against them.

Reads only; sending is rti_gateway.py.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from anyascii import anyascii
from django.utils import timezone
from lxml import etree

from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.services.payroll import gb, rti_figures, rti_schemas
from tercero.services.payroll.models import (
    Employee,
    PayGroup,
    PayResult,
    PayRun,
    RtiEmployer,
    RtiPerson,
)

ENVELOPE_NS = rti_schemas.ENVELOPE_NS
PRODUCT = "Tercero"
FREQUENCIES = {
    "weekly": "W1",
    "biweekly": "W2",
    "four_weekly": "W4",
    "monthly": "M1",
    "annual": "MA",
}
# FPS FiguresToDate: statutory payments to date (Statutory Sick Pay is not reported)
# (SPBPYTD from 2020-21, SNCPYTD from 2025-26: HMRC's FPS schema, in this order)
STATUTORY_YTD = (
    ("SMPYTD", "smp"), ("SPPYTD", "spp"), ("SAPYTD", "sap"), ("ShPPYTD", "shpp"),
    ("SPBPYTD", "spbp"), ("SNCPYTD", "sncp"),
)  # fmt: skip
# EPS RecoverableAmountsYTD, in the schema's order: what is recovered (SMPRecovered ...
# SPBPRecovered, SNCPRecovered), then compensation (NICCompensationOnSMP ... OnSNCP)
RECOVERED = (
    ("SMP", "smp"), ("SPP", "spp"), ("SAP", "sap"), ("ShPP", "shpp"), ("SPBP", "spbp"),
    ("SNCP", "sncp"),
)  # fmt: skip
PLAN_TYPES = {"1": "01", "2": "02", "4": "04", "5": "05"}
LATIN = re.compile(r"[A-Za-z]")
NAME_CHARS = re.compile(r"[^A-Za-z \-']")
ADDRESS_CHARS = re.compile(r"[^A-Za-z0-9 .,\-()/=!\"%&*;<>'+:?]")
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
HMRC_NINO = re.compile(
    r"^([ACEHJLMOPRSWXY][A-CEGHJ-NPR-TW-Z]|B[A-CEHJ-NPR-TW-Z]|G[ACEGHJ-NPR-TW-Z]"
    r"|[KT][A-CEGHJ-MPR-TW-Z]|N[A-CEGHJL-NPR-SW-Z]|Z[A-CEGHJ-NPR-TW-Y])[0-9]{6}[A-D]$"
)


@dataclass(frozen=True)
class Document:
    kind: str  # "fps" or "eps"
    key: str  # what it reports, RtiSubmission.key
    tax_year: str
    schema: str  # the HMRC schema it was checked against; "" when none is installed
    xml: bytes  # the GovTalk message, without the sender's credentials
    pay_group_id: int
    run_id: int | None = None
    employees: int = 0

    @property
    def is_checked(self) -> bool:
        return bool(self.schema)

    @property
    def schema_check(self) -> str:
        """What HMRC's schemas said of it, in words."""
        if self.is_checked:
            return f"Checked against HMRC's schemas for {self.tax_year} ({self.schema})."
        return f"{rti_schemas.not_installed(self.tax_year)}."


def tax_years() -> list[str]:
    """The tax years Tercero files RTI for: those it has HMRC's rates for."""
    return sorted(path.stem.removeprefix("gb-") for path in gb.PACKS.glob("gb-*.json"))


def require_year(tax_year: str) -> None:
    if tax_year not in tax_years():
        raise Conflict(
            f"Tercero files RTI for the tax years it has HMRC's rates for "
            f"({', '.join(tax_years())}), not {tax_year}.",
            code="rti_year",
        )


# --- text as HMRC's character sets allow ------------------------------------------------


def latin(text: str) -> str:
    """`text` in plain Latin letters: accents dropped (Zoë Ødegård -> Zoe Odegard), other
    scripts transliterated (Γιώργος -> Giorgos), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(anyascii(plain).split())


def name_parts(full_name: str) -> tuple[list[str], str]:
    """Forenames (at most two) and surname as the FPS carries them."""
    words = [w for w in NAME_CHARS.sub(" ", latin(full_name)).split() if LATIN.match(w)]
    if not words:
        return [], ""
    return [w[:35] for w in words[:-1][:2]], words[-1][:35]


def address_parts(address: str) -> tuple[list[str], str]:
    """Up to four address lines and a UK postcode, from the address as recorded (lines
    split at commas or line breaks; a last part that is a UK postcode is the postcode)."""
    parts = [
        " ".join(ADDRESS_CHARS.sub(" ", latin(p)).split())
        for p in re.split(r"[,\n]", address or "")
    ]
    parts = [p for p in parts if p and p[0].isalnum()]
    postcode = ""
    if parts and UK_POSTCODE.match(parts[-1].upper()):
        postcode = parts.pop().upper()
    return [p[:35] for p in parts[:4]], postcode


def pounds(minor: int) -> str:
    return f"{Decimal(minor).scaleb(-2):.2f}"


def whole_pounds(minor: int) -> str:
    return f"{Decimal(minor // 100):.2f}"


# --- building ----------------------------------------------------------------------------


def _el(parent, name: str, text: object = None, **attributes):
    made = etree.SubElement(parent, f"{{{parent.nsmap[None]}}}{name}", **attributes)
    if text is not None:
        made.text = str(text)
    return made


def employer_of(group: PayGroup) -> RtiEmployer:
    found = RtiEmployer.objects.filter(pay_group=group).first()
    if found is None:
        raise Conflict(
            f"Set {group.name}'s PAYE references (tax office number and reference, "
            "Accounts Office reference) before filing with HMRC.",
            code="no_paye_reference",
        )
    return found


def _ir_header(root, *, employer: RtiEmployer, period_end: date) -> None:
    header = _el(root, "IRheader")
    keys = _el(header, "Keys")
    _el(keys, "Key", employer.tax_office_number, Type="TaxOfficeNumber")
    _el(keys, "Key", employer.tax_office_reference, Type="TaxOfficeReference")
    _el(header, "PeriodEnd", period_end.isoformat())
    _el(header, "DefaultCurrency", "GBP")
    _el(header, "Sender", "Employer")


def _emp_refs(parent, employer: RtiEmployer) -> None:
    refs = _el(parent, "EmpRefs")
    _el(refs, "OfficeNo", employer.tax_office_number)
    _el(refs, "PayeRef", employer.tax_office_reference)
    _el(refs, "AORef", employer.accounts_office_reference)


def fps(run: PayRun) -> Document:
    """The run's Full Payment Submission: every employee it paid, with this payment and
    the tax year's figures to date. Refused in words for anything HMRC would refuse."""
    if run.status != PayRun.Status.FINALISED:
        raise Conflict("An FPS is sent for a finalised run only.", code="not_finalised")
    group = run.pay_group
    if group.jurisdiction != "GB" or group.currency != "GBP":
        raise Conflict("Only United Kingdom pay groups report to HMRC.", code="not_uk")
    require_year(run.tax_year)
    employer = employer_of(group)
    results = [
        result
        for result in PayResult.objects.filter(run=run)
        .select_related("employee")
        .order_by("employee__employee_number")
        if "held" not in result.flags  # held back from this run: not paid
    ]
    if not results:
        raise Conflict("Nobody was paid in this run.", code="nobody_paid")
    kinds = rti_figures.line_kinds(run)
    ids = [r.employee_id for r in results]
    to_date = rti_figures.year_to_date(employee_ids=ids, tax_year=run.tax_year, upto=run)
    genders = dict(
        RtiPerson.objects.filter(employee_id__in=ids).values_list("employee_id", "gender")
    )
    namespace = rti_schemas.namespace("fps", run.tax_year)
    ir = etree.Element(f"{{{namespace}}}IRenvelope", nsmap={None: namespace})
    _ir_header(ir, employer=employer, period_end=rti_figures.tax_year_end(run.tax_year))
    body = _el(ir, "FullPaymentSubmission")
    _emp_refs(body, employer)
    _el(body, "RelatedTaxYear", rti_schemas.folder(run.tax_year))
    problems: list[str] = []
    for result in results:
        employee = result.employee
        said = _employee(
            body,
            run=run,
            employee=employee,
            gender=genders.get(employee.pk, ""),
            now=rti_figures.of_result(result, kinds),
            ytd=to_date.get(employee.pk, rti_figures.YearToDate()),
        )
        problems += [f"{employee.employee_number}: {p}" for p in said]
    if problems:
        raise InvalidInput(
            f"The FPS cannot be sent until these are put right: {'; '.join(problems[:30])}",
            code="rti_incomplete",
            fields={"employees": f"{len(problems)} problems", "problems": problems},
        )
    xml = govtalk(ir, kind="fps", employer=employer)
    schema = rti_schemas.validate(xml, kind="fps", tax_year=run.tax_year)
    return Document(
        "fps", f"fps:run:{run.pk}", run.tax_year, schema, xml, group.pk, run.pk, len(results)
    )


def _employee(body, *, run, employee: Employee, gender: str, now, ytd) -> list[str]:
    entry = _el(body, "Employee")
    problems = _details(entry, employee=employee, gender=gender)
    employment = _el(entry, "Employment")
    started = rti_figures.starting_date(employee)
    if started and run.period_start <= started <= run.period_end:
        _el(_el(employment, "Starter"), "StartDate", started.isoformat())
    _el(employment, "PayId", employee.employee_number)
    left = rti_figures.leaving_date(employee)
    if left and rti_figures.tax_year_start(run.tax_year) <= left <= run.period_end:
        _el(employment, "LeavingDate", left.isoformat())
    figures = ytd.figures
    to_date = _el(employment, "FiguresToDate")
    _el(to_date, "TaxablePay", pounds(max(figures.taxable_pay, 0)))
    _el(to_date, "TotalTax", pounds(figures.tax))
    if figures.student_loan:
        _el(to_date, "StudentLoansTD", whole_pounds(figures.student_loan))
    if figures.postgraduate_loan:
        _el(to_date, "PostgradLoansTD", whole_pounds(figures.postgraduate_loan))
    for name, field in STATUTORY_YTD:  # in the schema's order, only when paid this year
        if getattr(figures, field):
            _el(to_date, name, pounds(getattr(figures, field)))
    problems += _payment(employment, run=run, employee=employee, now=now)
    _ni_values(employment, employee=employee, now=now, ytd=ytd)
    return problems


def _details(entry, *, employee: Employee, gender: str) -> list[str]:
    """EmployeeDetails: the NI number, or when there is none the fallback details HMRC
    traces a person by (date of birth and address)."""
    problems = []
    full_name = crypto.open_sealed(employee.full_name) if employee.full_name else ""
    forenames, surname = name_parts(full_name)
    nino = _nino(employee)
    birth = crypto.open_sealed(employee.date_of_birth) if employee.date_of_birth else ""
    address = crypto.open_sealed(employee.address) if employee.address else ""
    lines, postcode = address_parts(address)
    if not surname:
        problems.append("the name has no letters HMRC's character set can carry")
    if nino is None:
        problems.append("the National Insurance number is not one HMRC issues")
    if gender not in ("M", "F"):
        problems.append("no gender recorded for HMRC (M or F, as on their NI record)")
    if not nino and not (birth and len(lines) >= 2):
        problems.append(
            "without an NI number HMRC needs the date of birth and at least two address lines"
        )
    details = _el(entry, "EmployeeDetails")
    if nino:
        _el(details, "NINO", nino)
    name = _el(details, "Name")
    for forename in forenames:
        _el(name, "Fore", forename)
    _el(name, "Sur", surname or "X")
    _address(details, lines, postcode)
    if birth:
        _el(details, "BirthDate", birth)
    _el(details, "Gender", gender if gender in ("M", "F") else "M")
    return problems


def _address(details, lines: list[str], postcode: str) -> None:
    if not lines:
        return
    where = _el(details, "Address")
    for line in lines:
        _el(where, "Line", line)
    if postcode:
        _el(where, "UKPostcode", postcode)


def _nino(employee: Employee) -> str | None:
    """The NI number in HMRC's form; "" when none is recorded; None when it is not one
    HMRC issues."""
    if not employee.national_id:
        return ""
    compact = re.sub(r"\s", "", crypto.open_sealed(employee.national_id)).upper()
    return compact if HMRC_NINO.match(compact) else None


def _payment(employment, *, run: PayRun, employee: Employee, now) -> list[str]:
    problems = []
    frequency = run.pay_group.frequency
    payment = _el(employment, "Payment")
    _el(payment, "PayFreq", FREQUENCIES.get(frequency, "IR"))
    _el(payment, "PmtDate", run.pay_date.isoformat())
    if frequency in ("monthly", "annual"):
        _el(payment, "MonthNo", rti_figures.tax_month(run.pay_date))
    else:
        _el(payment, "WeekNo", min(rti_figures.tax_week(run.pay_date), 56))
    _el(payment, "PeriodsCovered", 1)
    _el(payment, "HoursWorked", "E")  # hours are not recorded: HMRC's "other"
    code = gb.parse_code(employee.tax_code or "1257L")
    text = code.text.removeprefix(code.region).removesuffix("M1").removesuffix("W1")
    attributes = {}
    if not code.cumulative:
        attributes["BasisNonCumulative"] = "yes"
    if code.region:
        attributes["TaxRegime"] = code.region
    _el(payment, "TaxCode", text, **attributes)
    _el(payment, "TaxablePay", pounds(now.taxable_pay))
    if now.pension_net_pay:
        _el(payment, "EmpeePenContribnsPaid", pounds(now.pension_net_pay))
    plans = (employee.student_loan_plans or "").split()
    plan = next((p for p in plans if p != "PGL"), "")
    if now.student_loan:
        if plan not in PLAN_TYPES:
            problems.append("a student loan was deducted but no plan is recorded")
        recovered = _el(payment, "StudentLoanRecovered", whole_pounds(now.student_loan))
        recovered.set("PlanType", PLAN_TYPES.get(plan, "01"))
    if now.postgraduate_loan:
        _el(payment, "PostgradLoanRecovered", whole_pounds(now.postgraduate_loan))
    _el(payment, "TaxDeductedOrRefunded", pounds(now.tax))
    return problems


def _ni_values(employment, *, employee: Employee, now, ytd) -> None:
    figures, bands = ytd.figures, ytd.bands
    values = _el(employment, "NIlettersAndValues")
    _el(values, "NIletter", employee.ni_category or "A")
    _el(values, "GrossEarningsForNICsInPd", pounds(now.nic_earnings))
    _el(values, "GrossEarningsForNICsYTD", pounds(figures.nic_earnings))
    _el(values, "AtLELYTD", whole_pounds(bands.at_lel))
    _el(values, "LELtoPTYTD", pounds(bands.lel_to_pt))
    _el(values, "PTtoUELYTD", pounds(bands.pt_to_uel))
    _el(values, "TotalEmpNICInPd", pounds(now.nic_employee + now.nic_employer))
    _el(values, "TotalEmpNICYTD", pounds(figures.nic_employee + figures.nic_employer))
    _el(values, "EmpeeContribnsInPd", pounds(now.nic_employee))
    _el(values, "EmpeeContribnsYTD", pounds(figures.nic_employee))


def eps_no_payment(
    *, pay_group: PayGroup, tax_year: str, month_from: int, month_to: int
) -> Document:
    """An Employer Payment Summary saying nobody was paid in tax months `month_from` to
    `month_to` (the model keeps no statutory pay to recover, so that is what an EPS
    carries here). Refused when a finalised run paid anyone in those months."""
    require_year(tax_year)
    if not 1 <= month_from <= month_to <= 12:
        raise InvalidInput(
            "Give the tax months as 1 to 12, the first not after the last.",
            fields={"month_from": "1-12", "month_to": "1-12"},
        )
    employer = employer_of(pay_group)
    start = rti_figures.tax_year_start(tax_year)
    first = _month_start(start, month_from)
    last = date.fromordinal(_month_start(start, month_to + 1).toordinal() - 1)
    paid = PayRun.objects.filter(
        pay_group=pay_group,
        status=PayRun.Status.FINALISED,
        pay_date__gte=first,
        pay_date__lte=last,
        net_minor__gt=0,
    )
    if paid.exists():
        raise Conflict(
            f"{pay_group.name} paid people between {first:%d %b %Y} and {last:%d %b %Y}; "
            "those months are reported by the runs' FPS.",
            code="months_paid",
        )
    namespace = rti_schemas.namespace("eps", tax_year)
    ir = etree.Element(f"{{{namespace}}}IRenvelope", nsmap={None: namespace})
    _ir_header(ir, employer=employer, period_end=last)
    body = _el(ir, "EmployerPaymentSummary")
    _emp_refs(body, employer)
    _el(body, "NoPaymentForPeriod", "yes")
    dates = _el(body, "NoPaymentDates")
    _el(dates, "From", first.isoformat())
    _el(dates, "To", last.isoformat())
    _el(body, "RelatedTaxYear", rti_schemas.folder(tax_year))
    xml = govtalk(ir, kind="eps", employer=employer)
    schema = rti_schemas.validate(xml, kind="eps", tax_year=tax_year)
    key = f"eps:group:{pay_group.pk}:{tax_year}:{month_from}-{month_to}"
    return Document("eps", key, tax_year, schema, xml, pay_group.pk)


def eps_recovery(*, pay_group: PayGroup, tax_year: str, month: int) -> Document:
    """An Employer Payment Summary claiming back the statutory maternity, paternity,
    adoption, shared parental, parental bereavement and neonatal care pay the pay group's
    finalised runs paid in the tax year up to the end of tax month `month`: 92 %, or for a
    small employer (RtiEmployer.is_small_employer) all of it plus NICs compensation
    (rti_figures.recovered)."""
    require_year(tax_year)
    if not 1 <= month <= 12:
        raise InvalidInput("Give the tax month as 1 to 12.", fields={"month": "1-12"})
    employer = employer_of(pay_group)
    start = rti_figures.tax_year_start(tax_year)
    last = date.fromordinal(_month_start(start, month + 1).toordinal() - 1)
    paid = rti_figures.statutory_to_date(pay_group_id=pay_group.pk, tax_year=tax_year, upto=last)
    amounts = {
        name: rti_figures.recovered(
            paid_minor=getattr(paid, field),
            tax_year=tax_year,
            is_small_employer=employer.is_small_employer,
        )
        for name, field in RECOVERED
    }
    if not any(found.paid for found in amounts.values()):
        raise Conflict(
            f"{pay_group.name} paid no statutory maternity, paternity, adoption, shared "
            f"parental, parental bereavement or neonatal care pay in {tax_year} up to "
            f"{last:%d %b %Y}: there is nothing to recover.",
            code="nothing_to_recover",
        )
    namespace = rti_schemas.namespace("eps", tax_year)
    ir = etree.Element(f"{{{namespace}}}IRenvelope", nsmap={None: namespace})
    _ir_header(ir, employer=employer, period_end=last)
    body = _el(ir, "EmployerPaymentSummary")
    _emp_refs(body, employer)
    _recoverable(body, amounts, month=month)
    _el(body, "RelatedTaxYear", rti_schemas.folder(tax_year))
    xml = govtalk(ir, kind="eps", employer=employer)
    schema = rti_schemas.validate(xml, kind="eps", tax_year=tax_year)
    key = recovery_key(pay_group_id=pay_group.pk, tax_year=tax_year, month=month)
    return Document("eps", key, tax_year, schema, xml, pay_group.pk)


def recovery_key(*, pay_group_id: int, tax_year: str, month: int) -> str:
    """What a statutory-pay recovery EPS reports (RtiSubmission.key): one per tax month."""
    return f"eps:group:{pay_group_id}:{tax_year}:recovered:{month}"


def _recoverable(body, amounts: dict[str, rti_figures.Recovered], *, month: int) -> None:
    """RecoverableAmountsYTD: the tax month, each payment's recovered amount, then each
    one's NICs compensation (a large employer claims none)."""
    section = _el(body, "RecoverableAmountsYTD")
    _el(section, "TaxMonth", month)
    for name, found in amounts.items():
        if found.paid:
            _el(section, f"{name}Recovered", pounds(found.recovered))
    for name, found in amounts.items():
        if found.compensation:
            _el(section, f"NICCompensationOn{name}", pounds(found.compensation))


def _month_start(year_start: date, month: int) -> date:
    """The first day (the 6th) of tax month `month` (13: the next tax year's first)."""
    index = year_start.month - 1 + month - 1
    return date(year_start.year + index // 12, index % 12 + 1, 6)


def govtalk(ir, *, kind: str, employer: RtiEmployer, now=None) -> bytes:
    """The GovTalk message around an IRenvelope. The sender's credentials are added only
    when it is sent (rti_gateway), so a stored or downloaded copy never holds them."""
    root = etree.Element(f"{{{ENVELOPE_NS}}}GovTalkMessage", nsmap={None: ENVELOPE_NS})
    _el(root, "EnvelopeVersion", "2.0")
    header = _el(root, "Header")
    message = _el(header, "MessageDetails")
    _el(message, "Class", f"HMRC-PAYE-RTI-{kind.upper()}")
    _el(message, "Qualifier", "request")
    _el(message, "Function", "submit")
    _el(message, "CorrelationID")
    _el(message, "Transformation", "XML")
    details = _el(root, "GovTalkDetails")
    keys = _el(details, "Keys")
    _el(keys, "Key", employer.tax_office_number, Type="TaxOfficeNumber")
    _el(keys, "Key", employer.tax_office_reference, Type="TaxOfficeReference")
    routing = _el(details, "ChannelRouting")
    channel = _el(routing, "Channel")
    _el(channel, "Name", PRODUCT)
    _el(channel, "Product", PRODUCT)
    _el(routing, "Timestamp", (now or timezone.now()).replace(microsecond=0).isoformat())
    _el(root, "Body").append(ir)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
