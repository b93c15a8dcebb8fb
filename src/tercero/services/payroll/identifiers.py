"""Checking the identifiers payroll stores before anything is paid: national
insurance / tax ids and bank accounts. Each check returns the value in its standard
form or raises InvalidInput naming the field, so a typo is refused at entry, long
before a bank file is released.

IBANs (checksum, country length and national format) come from `schwifty`; national ids
and US routing numbers from `python-stdnum`, except the UK National Insurance number,
which no library checks: its rules are HMRC's (two prefix letters from an allowed set,
never the administrative pairs BG, GB, KN, NK, NT, TN, ZZ; six digits; suffix A-D).
"""

import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.de import idnr
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import rtn, ssn

from tercero.platform.errors import InvalidInput

NINO = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
NINO_NEVER = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
NATIONAL_IDS = {
    "US": ssn,
    "DE": idnr,
    "FR": nir,
    "ES": dni,
    "NL": bsn,
    "IT": codicefiscale,
    "PL": pesel,
}


def _refuse(field: str, message: str):
    raise InvalidInput(message, fields={field: "invalid"})


def national_insurance_number(value: str, *, field: str = "national_id") -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    if not NINO.match(compact) or compact[:2] in NINO_NEVER:
        _refuse(field, f"{value!r} is not a National Insurance number (e.g. AB 12 34 56 C).")
    return compact


def national_id(country: str, value: str, *, field: str = "national_id") -> str:
    """The employee's national id / tax id for `country`, in standard form. Countries
    without a checker keep the value as typed (trimmed), and say so in the docs."""
    country = (country or "").upper()
    if country == "GB":
        return national_insurance_number(value, field=field)
    module = NATIONAL_IDS.get(country)
    if module is None:
        cleaned = " ".join((value or "").split())
        if not cleaned:
            _refuse(field, "The national id is required.")
        return cleaned
    try:
        return module.validate(value)
    except stdnum_errors.ValidationError as error:
        _refuse(field, f"{value!r} is not a valid national id for {country}: {error.message}.")


def iban(value: str, *, field: str = "iban") -> str:
    """An IBAN in compact form (checksum, length and national format checked)."""
    try:
        return IBAN(value or "").compact
    except SchwiftyException as error:
        _refuse(field, f"{value!r} is not a valid IBAN: {error}.")


def us_routing_number(value: str, *, field: str = "routing_number") -> str:
    try:
        return rtn.validate(value or "")
    except stdnum_errors.ValidationError:
        _refuse(field, f"{value!r} is not a valid ABA routing number (9 digits, checksum).")


def us_account_number(value: str, *, field: str = "account_number") -> str:
    compact = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(r"\d{4,17}", compact):
        _refuse(field, "A US account number is 4 to 17 digits.")
    return compact
