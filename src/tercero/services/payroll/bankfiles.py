"""Bank payment files for a finalised pay run.

- SEPA: an ISO 20022 credit transfer initiation (pain.001.001.09), one payment information
  block, validated against the official XSD shipped in `schemas/` before it is returned.
- US: a NACHA ACH file with one PPD credit batch (service class 220), 94-character records
  blocked to a multiple of ten.

Amounts are integer minor units (cents). Totals are sums of those integers: SEPA CtrlSum is
the sum written with two decimals; NACHA totals are the sum in cents and the entry hash is
the sum of the receiving banks' 8-digit ids, last ten digits kept. Every payment is checked
first; a bad one raises BankFileError naming its reference and the field, and no file is made.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from anyascii import anyascii
from lxml import etree

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import identifiers

PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "pain.001.001.09.xsd"
SEPA_MAX_MINOR = 99_999_999_999  # 999,999,999.99 EUR, the EPC ceiling for one transfer
NACHA_MAX_ENTRY = 10**10  # the entry amount field is 10 digits of cents
NACHA_MAX_TOTAL = 10**12  # control totals are 12 digits of cents
NACHA_MAX_ENTRIES = 999_999  # the batch control entry count is 6 digits
RECORD = 94
BLOCKING = 10
TRANSACTION_CODES = {"checking": "22", "savings": "32"}
# Letters NFKD does not decompose into a base letter plus marks.
SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L",
     "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th", "\u0131": "i"}
)  # fmt: skip
LATIN_LETTER = re.compile(r"[A-Za-z]")
NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
# EPC identifiers: that set, 1-35 characters, no leading/trailing "/" and no "//".
SEPA_ID = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+ ]{1,35}(?<!/)")
BIC = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")


class BankFileError(InvalidInput):
    """A payment file that cannot be produced; `fields` names what is wrong."""


@dataclass(frozen=True)
class Payment:
    reference: str
    name: str
    amount_minor: int
    iban: str = ""
    bic: str = ""
    routing_number: str = ""
    account_number: str = ""
    account_type: str = "checking"
    fallback_name: str = ""  # written when the name has nothing the file can carry


@dataclass(frozen=True)
class Originator:
    name: str
    iban: str = ""
    bic: str = ""
    routing_number: str = ""
    destination_routing: str = ""
    company_id: str = ""


# ---------------------------------------------------------------- shared checks and text


def _refuse(field: str, message: str, problem: str = "invalid"):
    raise BankFileError(message, fields={field: problem})


def _latin(text: str, *, limit: int) -> str:
    """`text` in the SEPA Latin character set: accents stripped, other characters turned
    into spaces, whitespace collapsed, cut to `limit`. A text with no Latin letter at all
    (a Greek or Chinese name) is transliterated instead (`anyascii`: Γιώργος -> Giorgos,
    王小明 -> WangXiaoMing), so it is not left empty."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(SPECIAL_LETTERS))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not LATIN_LETTER.search(plain):
        plain = anyascii(plain)
    return " ".join(NOT_SEPA.sub(" ", plain).split())[:limit].rstrip()


def payee_name(payment: "Payment", *, limit: int) -> str:
    """The payee's name as the file writes it; when nothing of it can be written, the
    fallback (the employee number), then the payment's reference: a name never blocks
    a file (EPC: the creditor name is mandatory)."""
    return (
        _latin(payment.name, limit=limit)
        or _latin(payment.fallback_name, limit=limit)
        or _latin(payment.reference, limit=limit)
    )


def _checked(check, value: str, *, field: str, reference: str | None = None) -> str:
    """Run an `identifiers` check, turning its refusal into a BankFileError."""
    try:
        return check(value, field=field)
    except InvalidInput as error:
        prefix = f"Payment {reference}: " if reference else ""
        raise BankFileError(prefix + error.message, fields={field: "invalid"}) from error


def _check_payments(payments: list[Payment]) -> None:
    if not payments:
        _refuse("payments", "There are no payments to put in a bank file.", "empty")
    seen = set()
    for payment in payments:
        reference = payment.reference
        field = f"payments[{reference}]"
        if not isinstance(reference, str) or not SEPA_ID.fullmatch(reference):
            _refuse(
                f"{field}.reference",
                f"Payment reference {reference!r} must be 1 to 35 letters, digits or -?:().,'+/",
            )
        if reference in seen:
            _refuse(f"{field}.reference", f"Payment {reference} appears twice.", "duplicate")
        seen.add(reference)
        amount = payment.amount_minor
        if type(amount) is not int or amount <= 0:
            _refuse(
                f"{field}.amount_minor",
                f"Payment {reference}: the amount must be a positive whole number of cents.",
            )


def _bic(value: str, *, field: str, reference: str | None = None) -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    if compact and not BIC.fullmatch(compact):
        prefix = f"Payment {reference}: " if reference else ""
        _refuse(field, f"{prefix}{value!r} is not a BIC (8 or 11 letters and digits).")
    return compact


# ---------------------------------------------------------------- SEPA pain.001.001.09


@cache
def _pain_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def _decimal(amount_minor: int) -> str:
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def _add(parent: etree._Element, path: str, text: str | None = None, **attrib) -> etree._Element:
    """Append the chain of elements `path` ("A/B/C") under `parent`; text goes on the last."""
    element = parent
    for tag in path.split("/"):
        element = etree.SubElement(element, f"{{{PAIN_NS}}}{tag}")
    if text is not None:
        element.text = text
    for key, value in attrib.items():
        element.set(key, value)
    return element


def _agent(parent: etree._Element, tag: str, bic: str) -> None:
    if bic:
        _add(parent, f"{tag}/FinInstnId/BICFI", bic)
    else:
        _add(parent, f"{tag}/FinInstnId/Othr/Id", "NOTPROVIDED")


def _sepa_transaction(info: etree._Element, payment: Payment, *, currency: str, remittance: str):
    field = f"payments[{payment.reference}]"
    account = _checked(
        identifiers.iban, payment.iban, field=f"{field}.iban", reference=payment.reference
    )
    bic = _bic(payment.bic, field=f"{field}.bic", reference=payment.reference)
    if payment.amount_minor > SEPA_MAX_MINOR:
        _refuse(
            f"{field}.amount_minor",
            f"Payment {payment.reference}: a SEPA transfer is at most 999,999,999.99.",
        )
    transaction = _add(info, "CdtTrfTxInf")
    _add(transaction, "PmtId/EndToEndId", payment.reference)
    _add(transaction, "Amt/InstdAmt", _decimal(payment.amount_minor), Ccy=currency)
    if bic:
        _add(transaction, "CdtrAgt/FinInstnId/BICFI", bic)
    _add(transaction, "Cdtr/Nm", payee_name(payment, limit=70))
    _add(transaction, "CdtrAcct/Id/IBAN", account)
    _add(transaction, "RmtInf/Ustrd", remittance)


def _validate_pain(document: bytes) -> None:
    schema = _pain_schema()
    if not schema.validate(etree.fromstring(document)):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        _refuse("document", f"The SEPA file does not match pain.001.001.09: {problems}")


def sepa_credit_transfer(
    *,
    message_id: str,
    created: datetime,
    execution_date: date,
    originator: Originator,
    payments: list[Payment],
    currency: str = "EUR",
    remittance: str = "Salary",
) -> bytes:
    """A pain.001.001.09 credit transfer paying `payments` from the originator's account:
    a SEPA transfer in euro, or an ISO 20022 transfer in sterling (UK banks take pain.001
    for Bacs and Faster Payments; no SEPA service level, charges shared)."""
    if currency not in ("EUR", "GBP"):
        _refuse("currency", f"Credit transfer files are in EUR or GBP, not {currency!r}.")
    if not isinstance(message_id, str) or not SEPA_ID.fullmatch(message_id):
        _refuse("message_id", "The message id must be 1 to 35 letters, digits or -?:().,'+/")
    _check_payments(payments)
    debtor_name = _latin(originator.name, limit=70)
    if not debtor_name:
        _refuse("originator.name", "The paying company's name is empty.", "required")
    debtor_iban = _checked(identifiers.iban, originator.iban, field="originator.iban")
    debtor_bic = _bic(originator.bic, field="originator.bic")
    remittance_text = _latin(remittance, limit=140) or "Salary"
    count = str(len(payments))
    total = _decimal(sum(p.amount_minor for p in payments))

    root = etree.Element(f"{{{PAIN_NS}}}Document", nsmap={None: PAIN_NS})
    initiation = _add(root, "CstmrCdtTrfInitn")
    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", message_id)
    _add(header, "CreDtTm", created.replace(microsecond=0).isoformat())
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", total)
    _add(header, "InitgPty/Nm", debtor_name)
    info = _add(initiation, "PmtInf")
    _add(info, "PmtInfId", message_id)
    _add(info, "PmtMtd", "TRF")
    _add(info, "BtchBookg", "true")
    _add(info, "NbOfTxs", count)
    _add(info, "CtrlSum", total)
    kind = _add(info, "PmtTpInf")
    if currency == "EUR":
        _add(kind, "SvcLvl/Cd", "SEPA")
    _add(kind, "CtgyPurp/Cd", "SALA")
    _add(info, "ReqdExctnDt/Dt", execution_date.isoformat())
    _add(info, "Dbtr/Nm", debtor_name)
    _add(info, "DbtrAcct/Id/IBAN", debtor_iban)
    _agent(info, "DbtrAgt", debtor_bic)
    _add(info, "ChrgBr", "SLEV" if currency == "EUR" else "SHAR")
    for payment in payments:
        _sepa_transaction(info, payment, currency=currency, remittance=remittance_text)

    body = etree.tostring(root, encoding="UTF-8", pretty_print=True)
    document = b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
    _validate_pain(document)
    return document


# ---------------------------------------------------------------- NACHA PPD


def _alpha(text: str, width: int) -> str:
    return _latin(text, limit=width).upper().ljust(width)


def _number(value: int, width: int) -> str:
    return str(value).rjust(width, "0")


def _nacha_originator(originator: Originator) -> tuple[str, str, str]:
    """(ODFI routing, immediate destination routing, company id), checked."""
    odfi = _checked(
        identifiers.us_routing_number, originator.routing_number, field="originator.routing_number"
    )
    destination = _checked(
        identifiers.us_routing_number,
        originator.destination_routing,
        field="originator.destination_routing",
    )
    company_id = (originator.company_id or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,10}", company_id):
        _refuse("originator.company_id", "The company identification is 1 to 10 letters/digits.")
    if not _latin(originator.name, limit=23):
        _refuse("originator.name", "The paying company's name is empty.", "required")
    return odfi, destination, company_id


def _nacha_entry(payment: Payment, *, odfi: str, sequence: int) -> tuple[str, int]:
    """The entry detail record and the receiving bank's 8-digit id."""
    field = f"payments[{payment.reference}]"
    routing = _checked(
        identifiers.us_routing_number,
        payment.routing_number,
        field=f"{field}.routing_number",
        reference=payment.reference,
    )
    account = _checked(
        identifiers.us_account_number,
        payment.account_number,
        field=f"{field}.account_number",
        reference=payment.reference,
    )
    code = TRANSACTION_CODES.get(payment.account_type)
    if code is None:
        _refuse(
            f"{field}.account_type",
            f"Payment {payment.reference}: the account type is checking or savings.",
        )
    if payment.amount_minor >= NACHA_MAX_ENTRY:
        _refuse(
            f"{field}.amount_minor",
            f"Payment {payment.reference}: an ACH entry is at most 99,999,999.99.",
        )
    record = (
        "6"
        + code
        + routing  # receiving DFI (8) + check digit (1)
        + account.ljust(17)
        + _number(payment.amount_minor, 10)
        + _alpha(payment.reference, 15)
        + payee_name(payment, limit=22).upper().ljust(22)
        + "  "  # discretionary data
        + "0"  # no addenda
        + odfi[:8]
        + _number(sequence, 7)
    )
    return record, int(routing[:8])


def nacha_ppd(
    *,
    created: datetime,
    effective_date: date,
    originator: Originator,
    payments: list[Payment],
    file_id_modifier: str = "A",
    entry_description: str = "PAYROLL",
) -> str:
    """A NACHA file with one PPD batch crediting each payee's checking or savings account."""
    _check_payments(payments)
    if len(payments) > NACHA_MAX_ENTRIES:
        _refuse("payments", "An ACH batch holds at most 999,999 entries.", "too many")
    if not re.fullmatch(r"[A-Z0-9]", file_id_modifier or ""):
        _refuse("file_id_modifier", "The file id modifier is one upper-case letter or digit.")
    description = _alpha(entry_description, 10)
    if not description.strip():
        _refuse("entry_description", "The entry description is empty.", "required")
    odfi, destination, company_id = _nacha_originator(originator)
    entries, hashes = [], 0
    for sequence, payment in enumerate(payments, start=1):
        record, receiving_dfi = _nacha_entry(payment, odfi=odfi, sequence=sequence)
        entries.append(record)
        hashes += receiving_dfi
    credit = sum(p.amount_minor for p in payments)
    if credit >= NACHA_MAX_TOTAL:
        _refuse("payments", "The ACH file total exceeds 9,999,999,999.99.", "too large")
    entry_hash = _number(hashes % 10**10, 10)
    count = len(entries)
    company = company_id.ljust(10)

    file_header = (
        "101" + " " + destination + " " + odfi
        + created.strftime("%y%m%d") + created.strftime("%H%M") + file_id_modifier
        + "094" + "10" + "1"
        + " " * 23  # immediate destination name (the bank's name is not known here)
        + _alpha(originator.name, 23)
        + " " * 8  # reference code
    )  # fmt: skip
    batch_header = (
        "5220" + _alpha(originator.name, 16) + " " * 20 + company + "PPD" + description
        + " " * 6  # company descriptive date
        + effective_date.strftime("%y%m%d")
        + " " * 3  # settlement date, filled in by the ACH operator
        + "1" + odfi[:8] + _number(1, 7)
    )  # fmt: skip
    batch_control = (
        "8220" + _number(count, 6) + entry_hash + _number(0, 12) + _number(credit, 12)
        + company + " " * 19 + " " * 6 + odfi[:8] + _number(1, 7)
    )  # fmt: skip
    records = 4 + count
    blocks = -(-records // BLOCKING)
    file_control = (
        "9" + _number(1, 6) + _number(blocks, 6) + _number(count, 8) + entry_hash
        + _number(0, 12) + _number(credit, 12) + " " * 39
    )  # fmt: skip
    lines = [file_header, batch_header, *entries, batch_control, file_control]
    lines += ["9" * RECORD] * (blocks * BLOCKING - records)
    assert all(len(line) == RECORD for line in lines), "NACHA record width"
    return "\n".join(lines) + "\n"
