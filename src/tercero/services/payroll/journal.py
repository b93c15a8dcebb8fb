"""A pay run's journal: one debit or credit per account, balanced to the minor unit.

    earnings            debit  expense:<code>      (gross pay, by line)
    employer lines      debit  expense:<code>      credit liability:<code>
    deductions          credit liability:<code>    (tax, NI, pension... owed to others)
    net pay             credit net_pay             (owed to the employees: the bank file)

Debits = earnings + employer costs; credits = deductions + employer costs + net pay,
and net = earnings - deductions, so the two sides are equal by construction; the
reconciliation report checks it anyway against the stored postings. A negative line (a
correction) flips to the other side.
"""

from collections import defaultdict
from dataclasses import dataclass

from tercero.services.payroll.models import PayResult, PayRun
from tercero.services.payroll.statutory_corrections import MARK as CORRECTION_MARK

NET_PAY = "net_pay"


@dataclass(frozen=True)
class Entry:
    account: str
    description: str
    debit_minor: int = 0
    credit_minor: int = 0


def line_totals(run: PayRun) -> dict[tuple[str, str, str], int]:
    """Σ of each line over the run's results: (code, name, category) -> minor units."""
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for lines in (
        PayResult.objects.filter(run=run).values_list("lines", flat=True).iterator(chunk_size=2000)
    ):
        for code, name, category, amount in lines:
            totals[(code, name, category)] += amount
    return dict(totals)


def entries(run: PayRun) -> list[Entry]:
    made: list[Entry] = []
    net = 0
    for (code, name, category), amount in sorted(line_totals(run).items()):
        if category == "earning":
            # a statutory pay correction posts to its payment's account (SSP_ADJ_20260406
            # to expense:SSP), one line per corrected period
            made.append(_side(f"expense:{code.split(CORRECTION_MARK, 1)[0]}", name, amount))
            net += amount
        elif category == "deduction":
            made.append(_side(f"liability:{code}", name, -amount))
            net -= amount
        elif category == "employer":
            made.append(_side(f"expense:{code}", name, amount))
            made.append(_side(f"liability:{code}", name, -amount))
    made.append(_side(NET_PAY, "Net pay owed to employees", -net))
    return [entry for entry in made if entry.debit_minor or entry.credit_minor]


def _side(account: str, description: str, signed: int) -> Entry:
    """Positive: a debit; negative: a credit."""
    if signed >= 0:
        return Entry(account, description, debit_minor=signed)
    return Entry(account, description, credit_minor=-signed)
