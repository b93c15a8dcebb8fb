"""HMRC's RTI schemas, as the operator installed them: each FPS and EPS is checked against
them before it is sent. Tercero does not ship them; they are downloaded from HMRC (the
RTI technical specifications for the tax year) into the folder the setting
`RTI_SCHEMA_DIR` names, one folder per tax year as its namespace spells it:

    <RTI_SCHEMA_DIR>/xmldsig-core-schema.xsd      the W3C signature schema the envelope imports
    <RTI_SCHEMA_DIR>/25-26/envelope-v2-0-HMRC.xsd
    <RTI_SCHEMA_DIR>/25-26/FullPaymentSubmission-2026-v1-0.xsd
    <RTI_SCHEMA_DIR>/25-26/EmployerPaymentSummary-2026-v1-0.xsd

(schemas/rti/README.md). A year whose files are missing still gets its document and
every check of our own; it says in words that HMRC's schemas did not check it, and
sending it is refused while `RTI_REQUIRE_SCHEMAS` is true.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from lxml import etree

from tercero.platform.errors import Conflict, InvalidInput

ENVELOPE_NS = "http://www.govtalk.gov.uk/CM/envelope"
ENVELOPE = "envelope-v2-0-HMRC.xsd"
DSIG = "xmldsig-core-schema.xsd"
DSIG_URL = "http://www.w3.org/TR/2001/PR-xmldsig-core-20010820/xmldsig-core-schema.xsd"
BODIES = {"fps": "FullPaymentSubmission", "eps": "EmployerPaymentSummary"}
# element names in words, for refusals
WORDS = {
    "NINO": "National Insurance number",
    "Fore": "forename",
    "Sur": "surname",
    "PayId": "payroll ID",
    "Line": "address line",
    "UKPostcode": "postcode",
    "BirthDate": "date of birth",
    "TaxCode": "tax code",
    "PmtDate": "payment date",
    "OfficeNo": "tax office number",
    "PayeRef": "PAYE reference",
    "AORef": "Accounts Office reference",
    "StudentLoanRecovered": "student loan plan",
}


def folder(tax_year: str) -> str:
    """The tax year as HMRC's namespaces and folders spell it: "2025-26" -> "25-26"."""
    return tax_year[2:]


def namespace(kind: str, tax_year: str) -> str:
    return f"http://www.govtalk.gov.uk/taxation/PAYE/RTI/{BODIES[kind]}/{folder(tax_year)}/1"


def directory() -> Path:
    return Path(settings.RTI_SCHEMA_DIR)


def is_required() -> bool:
    return bool(getattr(settings, "RTI_REQUIRE_SCHEMAS", True))


def not_installed(tax_year: str) -> str:
    """What the page, the API and the check say of a document no schema checked."""
    return (
        f"Not checked against HMRC's schemas for {tax_year}: they are not installed "
        "(see docs/payroll.md)"
    )


def refusal(tax_year: str) -> str:
    """Why a return no schema checked is not sent while RTI_REQUIRE_SCHEMAS is true."""
    return f"{not_installed(tax_year)}. Nothing is sent to HMRC until they are installed."


@dataclass(frozen=True)
class Installed:
    """One tax year's schema files, found in the operator's folder."""

    envelope: Path
    body: Path

    @property
    def name(self) -> str:
        return self.body.stem  # e.g. FullPaymentSubmission-2026-v1-0


def installed(kind: str, tax_year: str) -> Installed | None:
    """The year's envelope and FPS or EPS schema, or None when any file (or the W3C
    signature schema beside the years) is missing. Of several versions of a body schema
    the newest is used (HMRC names them `FullPaymentSubmission-2026-v1-1.xsd`)."""
    root = directory()
    year = root / folder(tax_year)
    envelope = year / ENVELOPE
    bodies = sorted(year.glob(f"{BODIES[kind]}-*.xsd"), key=_version) if year.is_dir() else []
    if not bodies or not envelope.is_file() or not (root / DSIG).is_file():
        return None
    return Installed(envelope=envelope, body=bodies[-1])


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"[0-9]+", path.stem))


class _Local(etree.Resolver):
    """The envelope schema imports the W3C signature schema by its web address: read the
    copy installed beside the years instead (nothing is fetched at run time)."""

    def __init__(self, dsig: Path):
        super().__init__()
        self.dsig = dsig

    def resolve(self, system_url, public_id, context):
        if system_url == DSIG_URL or system_url.endswith(DSIG):
            return self.resolve_filename(str(self.dsig), context)
        return None


def schema(path: Path) -> etree.XMLSchema:
    """The schema in `path`, read once while the file is unchanged; an unreadable file is
    refused in words (409), never a 500."""
    try:
        return _schema(str(path), path.stat().st_mtime_ns, str(directory() / DSIG))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError):
        raise Conflict(
            f"HMRC's schema {path.parent.name}/{path.name} is installed but could not be "
            "read as a schema; install it again from HMRC's pack (see docs/payroll.md).",
            code="rti_schema_unreadable",
        ) from None


@cache
def _schema(path: str, _changed: int, dsig: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Local(Path(dsig)))
    return etree.XMLSchema(etree.parse(path, parser))


def validate(xml: bytes, *, kind: str, tax_year: str) -> str:
    """Check the GovTalk message against HMRC's envelope schema and its IRenvelope
    against the year's FPS or EPS schema; refuse (422) with every problem in words.
    Answers the schema it was checked against, or "" when the year's are not installed."""
    found = installed(kind, tax_year)
    if found is None:
        return ""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    problems = _problems(schema(found.envelope), root)
    body = root.find(f"{{{ENVELOPE_NS}}}Body")
    inner = body[0] if body is not None and len(body) else None
    if inner is None:
        problems.append("The message has no FPS or EPS in its body.")
    else:
        problems += _problems(schema(found.body), inner)
    if problems:
        raise InvalidInput(
            f"HMRC's schema refuses this document: {'; '.join(problems[:20])}",
            code="rti_invalid",
            fields={"document": f"{len(problems)} problems", "problems": problems},
        )
    return found.name


def _problems(checker: etree.XMLSchema, element) -> list[str]:
    standalone = etree.fromstring(etree.tostring(element))
    if checker.validate(standalone):
        return []
    said: list[str] = []
    for error in checker.error_log:
        words = _in_words(error, standalone)
        if words not in said:
            said.append(words)
    return said


def _in_words(error, root) -> str:
    """An lxml schema error as a person reads it: the element in words, the employee's
    payroll ID when it is inside an employee, and the value refused."""
    match = re.search(r"Element '(?:\{[^}]*\})?([A-Za-z0-9]+)'", error.message)
    name = match.group(1) if match else ""
    where = ""
    found = root.getroottree().xpath(error.path) if error.path else []
    for ancestor in found[0].iterancestors() if found else ():
        if etree.QName(ancestor).localname == "Employee":
            pay_id = ancestor.xpath(".//*[local-name()='PayId']/text()")
            where = f"employee {pay_id[0]}: " if pay_id else "an employee: "
            break
    value = found[0].text if found and found[0].text else ""
    if "facet" in error.message or "not a valid value" in error.message:
        shown = f" '{value}'" if value else ""
        return f"{where}{WORDS.get(name, name)}{shown} is not in the form HMRC accepts"
    return f"{where}{WORDS.get(name, name) or 'document'}: {error.message.split(': ', 1)[-1]}"
