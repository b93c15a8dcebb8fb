"""What a pay run produces: payslip PDFs, the bank payment file, the payroll register,
the journal as CSV, and the reconciliation that ties them together:

    Σ lines (earnings - deductions) = Σ net of the results = the run's net
      = the bank file's control sum = the journal's credit to net pay

Everything here reads; releasing a bank file and opening payslips (personal data)
are audit events.
"""

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.services.payroll import (
    bankfiles,
    calc,
    calculation,
    journal,
    minimum_wage,
    statutory_corrections,
)
from tercero.services.payroll.models import (
    Employee,
    PayResult,
    PayRun,
    Posting,
    StatutoryAbsence,
)

RELEASABLE = (PayRun.Status.FINALISED,)


def money(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string (12345, GBP -> "123.45")."""
    return str(Decimal(minor).scaleb(-calc.places(currency)))


SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def amount_text(minor: int, currency: str) -> str:
    """Minor units as people write the amount: 5355305, GBP -> "£53,553.05"; a currency
    without a symbol here keeps its code ("1,250 JPY")."""
    value = Decimal(minor).scaleb(-calc.places(currency))
    digits = f"{abs(value):,.{calc.places(currency)}f}"
    sign = "-" if value < 0 else ""
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{digits}"
    return f"{sign}{digits} {currency}"


def tax_not_deducted_note(basis: dict, currency: str) -> str:
    """The words for tax the overriding limit held back from a payment, or ""."""
    held_back = basis.get(calc.TAX_NOT_DEDUCTED, 0)
    if not held_back:
        return ""
    return (
        f"Tax not deducted: {amount_text(held_back, currency)}. Income tax may take at most "
        "half of a payment (HMRC's overriding limit); the rest is collected from later pay "
        "this tax year."
    )


def review_notes(basis: dict, currency: str) -> list[str]:
    """What the variance review says in words about one result."""
    notes = [tax_not_deducted_note(basis, currency)]
    if "minimum_wage" in basis:
        notes.append(
            minimum_wage.sentence(
                basis["minimum_wage"], amount_text=lambda minor: amount_text(minor, currency)
            )
            + "."
        )
    return [note for note in notes if note]


# --- payslips ---------------------------------------------------------------------------


def payslip_html(result: PayResult, *, run: PayRun) -> str:
    employee = result.employee
    currency = run.pay_group.currency
    sections = []
    for category, title in (
        ("earning", "Earnings"),
        ("deduction", "Deductions"),
        ("employer", "Paid by your employer"),
    ):
        lines = [
            (name, money(amount, currency))
            for _code, name, cat, amount in result.lines
            if cat == category and amount
        ]
        if lines:
            sections.append((title, lines))
    paye = [r.code for r in calculation.setting_of(run).rules if r.tax.endswith(".paye")]
    return render_to_string(
        "payroll/payslip.html",
        {
            "run": run,
            "employer": run.pay_group.client.legal_name,
            "employee_number": employee.employee_number,
            "name": crypto.open_sealed(employee.full_name) if employee.full_name else "",
            "national_id": crypto.masked(employee.national_id) if employee.national_id else "",
            "tax_code": employee.tax_code,
            "ni_category": employee.ni_category,
            "sections": sections,
            "gross": money(result.gross_minor, currency),
            "deductions": money(result.deductions_minor, currency),
            "net": money(result.net_minor, currency),
            "currency": currency,
            "taxable_to_date": money(result.ytd.get(calc.TAXABLE_TO_DATE, 0), currency),
            "tax_to_date": money(result.ytd.get(paye[0], 0), currency) if paye else "",
            "tax_note": tax_not_deducted_note(result.basis, currency),
            # how statutory pay and holiday pay were worked out, a sentence each
            "explained": [*result.basis.get("statutory", []), *result.basis.get("holiday", [])],
        },
    )


def payslip_pdf(*, result: PayResult, run: PayRun, actor) -> bytes:
    """One employee's payslip as a PDF. Provider staff and the client's users may read
    it once the run is calculated; opening it is an audit event."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s

    if run.status in (PayRun.Status.DRAFT, PayRun.Status.CALCULATING, PayRun.Status.CANCELLED):
        raise Conflict("This run has no payslips yet.", code="not_calculated")
    pdf = HTML(string=payslip_html(result, run=run)).write_pdf()
    if actor is not None:
        record(
            action="payroll.payslip.opened",
            actor=actor,
            client=run.client_id,
            object_type="employee",
            object_id=result.employee_id,
            payload={"run": run.pk},
        )
    return pdf


# --- register and journal ----------------------------------------------------------------


def line_codes(run: PayRun) -> list[tuple[str, str, str]]:
    """(code, name, category) of the rules the run was calculated with (its pinned
    version, not the group's rules now), in their order."""
    return [(r.code, r.name, r.category) for r in calculation.setting_of(run).rules]


def statutory_codes(run: PayRun) -> list[tuple[str, str, str]]:
    """(code, name, "earning") of the statutory pay lines, corrections and holiday pay
    the run's payslips carry: they are added by the run, not by the rules, so read from
    the payslips of the employees with an absence recorded (a few), in code order."""
    found: dict[str, str] = {}
    for lines in PayResult.objects.filter(
        run=run,
        employee_id__in=StatutoryAbsence.objects.filter(client_id=run.client_id).values(
            "employee_id"
        ),
    ).values_list("lines", flat=True):
        for code, name, _category, _amount in lines:
            if statutory_corrections.payment_of(code) or code == "HOLIDAY":
                found.setdefault(code, name)
    return [(code, found[code], "earning") for code in sorted(found)]


def write_register(run: PayRun, sink) -> int:
    """The payroll register: a row per employee, a column per line, and the totals."""
    currency = run.pay_group.currency
    codes = line_codes(run) + statutory_codes(run)
    writer = csv.writer(sink)
    writer.writerow(
        ["employee_number", *[code for code, _n, _c in codes], "gross", "deductions", "net",
         "employer_cost", "tax_not_deducted", "flags", "notes"]
    )  # fmt: skip
    totals = dict.fromkeys([code for code, _n, _c in codes], 0)
    count = 0
    rows = (
        PayResult.objects.filter(run=run)
        .order_by("employee__employee_number")
        .values_list("employee__employee_number", "lines", "gross_minor", "deductions_minor",
                     "net_minor", "employer_minor", "flags", "basis")
    )  # fmt: skip
    held_back = 0
    for number, lines, gross, deductions, net, employer, flags, basis in rows.iterator(
        chunk_size=2000
    ):
        amounts = {code: amount for code, _n, _c, amount in lines}
        for code in totals:
            totals[code] += amounts.get(code, 0)
        writer.writerow(
            [number, *[money(amounts.get(code, 0), currency) for code in totals],
             money(gross, currency), money(deductions, currency), money(net, currency),
             money(gross + employer, currency),
             money(basis.get(calc.TAX_NOT_DEDUCTED, 0), currency), " ".join(flags),
             " ".join(review_notes(basis, currency))]
        )  # fmt: skip
        held_back += basis.get(calc.TAX_NOT_DEDUCTED, 0)
        count += 1
    writer.writerow(
        ["TOTAL", *[money(amount, currency) for amount in totals.values()],
         money(run.gross_minor, currency), money(run.deductions_minor, currency),
         money(run.net_minor, currency), money(run.gross_minor + run.employer_minor, currency),
         money(held_back, currency), "", ""]
    )  # fmt: skip
    return count


def journal_entries(run: PayRun) -> list[journal.Entry]:
    """The posted journal of a finalised run; before that, what it would post."""
    if run.status == PayRun.Status.FINALISED:
        return [
            journal.Entry(p.account, p.description, p.debit_minor, p.credit_minor)
            for p in Posting.objects.filter(run=run)
        ]
    return journal.entries(run)


def write_journal(run: PayRun, sink) -> None:
    currency = run.pay_group.currency
    writer = csv.writer(sink)
    writer.writerow(["date", "account", "description", "debit", "credit", "currency", "run"])
    for entry in journal_entries(run):
        writer.writerow(
            [run.pay_date.isoformat(), entry.account, entry.description,
             money(entry.debit_minor, currency), money(entry.credit_minor, currency),
             currency, run.pk]
        )  # fmt: skip


# --- bank payment file ---------------------------------------------------------------------


def payments(run: PayRun) -> list[bankfiles.Payment]:
    """A payment per employee with a positive net pay, to their account on file."""
    made = []
    rows = (
        PayResult.objects.filter(run=run, net_minor__gt=0)
        .select_related("employee")
        .order_by("employee__employee_number")
    )
    for result in rows.iterator(chunk_size=2000):
        employee: Employee = result.employee
        made.append(
            bankfiles.Payment(
                reference=f"R{run.pk}-{employee.employee_number}"[:35],
                name=_open(employee.full_name),
                fallback_name=employee.employee_number,
                amount_minor=result.net_minor,
                iban=_open(employee.iban),
                routing_number=employee.routing_number,
                account_number=_open(employee.account_number),
            )
        )
    return made


def _open(value: str) -> str:
    return crypto.open_sealed(value) if value else ""


@dataclass(frozen=True)
class BankFile:
    name: str
    content: bytes
    kind: str  # "sepa" or "nacha"
    count: int
    total_minor: int


def build_bank_file(run: PayRun, *, now: datetime | None = None) -> BankFile:
    """The payment file for the run's currency: ISO 20022 pain.001.001.09 for euro
    (SEPA) and sterling, NACHA PPD credits for US dollars. Every account is checked
    first; one bad account refuses the whole file, naming each."""
    group = run.pay_group
    now = now or timezone.now()
    paid = payments(run)
    if not paid:
        raise InvalidInput("Nobody in this run has a net pay to transfer.", code="no_payments")
    missing = [
        p.reference for p in paid if not p.iban and not (p.routing_number and p.account_number)
    ]
    if missing:
        raise InvalidInput(
            f"{len(missing)} employees have no bank account on file.",
            fields={"accounts": ", ".join(missing[:20])},
        )
    originator = bankfiles.Originator(
        name=group.client.legal_name,
        iban=group.payer_iban,
        bic=group.payer_bic,
        routing_number=group.payer_routing,
        destination_routing=group.bank_routing,
        company_id=group.company_id,
    )
    total = sum(p.amount_minor for p in paid)
    if group.currency in ("EUR", "GBP"):
        content = bankfiles.sepa_credit_transfer(
            message_id=f"TERCERO-RUN-{run.pk}",
            created=now,
            execution_date=run.pay_date,
            originator=originator,
            payments=paid,
            currency=group.currency,
        )
        return BankFile(f"run-{run.pk}-pain001.xml", content, "sepa", len(paid), total)
    if group.currency == "USD":
        content = bankfiles.nacha_ppd(
            created=now, effective_date=run.pay_date, originator=originator, payments=paid
        ).encode("ascii")
        return BankFile(f"run-{run.pk}-nacha.ach", content, "nacha", len(paid), total)
    raise InvalidInput(
        f"No bank file format for {group.currency} yet (euro, sterling and US dollars).",
        code="no_bank_format",
    )


def bank_file(*, run: PayRun, actor) -> tuple[str, bytes]:
    """Release the bank file of a finalised run (an audit event each time)."""
    if run.status not in RELEASABLE:
        raise Conflict("Bank files are released only for finalised runs.", code="not_finalised")
    made = build_bank_file(run)
    with transaction.atomic():
        record(
            action="payroll.bank_file.released",
            actor=actor,
            client=run.client_id,
            object_type="pay_run",
            object_id=run.pk,
            payload={"kind": made.kind, "payments": made.count, "total_minor": made.total_minor},
        )
    return made.name, made.content


# --- reconciliation -------------------------------------------------------------------------


def reconciliation(run: PayRun) -> dict:
    """The five figures that must agree, and whether they do. The bank figure is read
    back from the built file itself (its control sum), not from the results."""
    line_net = 0
    for (_code, _name, category), amount in journal.line_totals(run).items():
        if category == "earning":
            line_net += amount
        elif category == "deduction":
            line_net -= amount
    results_net = sum(PayResult.objects.filter(run=run).values_list("net_minor", flat=True))
    entries = journal_entries(run)
    journal_net = sum(e.credit_minor - e.debit_minor for e in entries if e.account == "net_pay")
    debits = sum(e.debit_minor for e in entries)
    credits = sum(e.credit_minor for e in entries)
    try:
        bank_total = bank_control_sum(build_bank_file(run))
        bank_problem = ""
    except InvalidInput as error:
        bank_total, bank_problem = None, error.message
    figures = {
        "lines_net_minor": line_net,
        "results_net_minor": results_net,
        "run_net_minor": run.net_minor,
        "bank_file_minor": bank_total,
        "journal_net_pay_minor": journal_net,
    }
    values = {v for v in figures.values() if v is not None}
    return {
        **figures,
        "journal_debits_minor": debits,
        "journal_credits_minor": credits,
        "bank_problem": bank_problem,
        "balanced": len(values) == 1 and debits == credits and bank_total is not None,
    }


def bank_control_sum(made: BankFile) -> int:
    """The total a bank reads from the file: pain.001's group header CtrlSum, or the
    NACHA file control record's total credit."""
    if made.kind == "sepa":
        from lxml import etree

        root = etree.fromstring(made.content)
        found = root.find(".//{*}GrpHdr/{*}CtrlSum")
        return int(Decimal(found.text).scaleb(2))
    control = next(
        line for line in made.content.decode("ascii").splitlines() if line.startswith("9")
    )
    return int(control[43:55])
