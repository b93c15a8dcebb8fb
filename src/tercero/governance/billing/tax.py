"""VAT / GST on an invoice: which country's rate applies, the reverse charge, and the
rounding. Pure rules; the rates are data (`data/tax_rates.json`, each with its source).

Rules, in order (the provider's country from its record, the client's from its record):
1. Same country: that country's standard rate (UNCL 5305 category "S"); a country with no
   such tax on the service (the US: state sales tax is out of scope) is "O" with a note.
2. Both in the EU, different countries, the buyer has a VAT identification number: the
   reverse charge, 0 % (category "AE") with the note required by Article 226(11a) of
   Council Directive 2006/112/EC, citing Article 196 (the recipient accounts for VAT).
3. Both in the EU, different countries, no buyer VAT number: the buyer cannot be shown
   to be a taxable person, so the supplier's rate applies (Article 45, the general rule
   for supplies to non-taxable persons).
4. Otherwise (one side outside the EU): services to a business customer abroad are taxed
   where the customer belongs (the B2B general rule: Article 44 in the EU, section 7A of
   the UK's VAT Act 1994); the supplier charges no tax (category "O") and says so.

Tax is computed once on the invoice's net total and rounded half up to the minor unit,
not per line (EN 16931 BR-CO-14: the VAT total is the sum of the per-rate amounts, one
rate per invoice here).
"""

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from tercero.platform.errors import InvalidInput

RATES_FILE = Path(__file__).parent / "data" / "tax_rates.json"

REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient, "
    "Article 196 Council Directive 2006/112/EC"
)
OUTSIDE_SCOPE_NOTE = (
    "Outside the scope of {tax} in {seller}: services supplied to a business customer in "
    "another country are taxed where the customer belongs; the customer accounts for any "
    "tax due there."
)
NO_BUYER_VAT_NOTE = (
    "No VAT identification number for the buyer: VAT charged at the supplier's rate "
    "(Article 45 Council Directive 2006/112/EC)."
)
US_NOTE = "US sales tax on services is not charged by this invoice (out of scope)."


@dataclass(frozen=True)
class Treatment:
    """How one invoice is taxed: the percent, its UNCL 5305 category, the sentence the
    invoice must carry, and the rate's source."""

    percent: Decimal
    category: str
    note: str
    country: str
    tax_name: str
    source: str

    @property
    def exemption_reason(self) -> str:
        """The BT-120 exemption reason text for categories that charge nothing."""
        return self.note if self.category in ("AE", "O") else ""


@cache
def table() -> dict:
    with RATES_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def eu_members() -> frozenset[str]:
    return frozenset(table()["eu_members"])


def rate_in(country: str, on: date) -> tuple[Decimal, str, str]:
    """(percent, tax name, source) of the standard rate in force in `country` on `on`;
    a country without a rate is refused, naming it."""
    entry = table()["countries"].get((country or "").upper())
    in_force = [r for r in (entry or {}).get("rates", []) if date.fromisoformat(r["from"]) <= on]
    if not in_force:
        raise InvalidInput(
            f"There is no tax rate for {country or 'an unknown country'} on {on.isoformat()}: "
            "add the country's standard rate, with its source, to the billing tax table.",
            code="no_tax_rate",
            fields={"country": country},
        )
    latest = max(in_force, key=lambda r: r["from"])
    return Decimal(latest["percent"]), entry["tax"], latest["source"]


def treatment(*, seller_country: str, buyer_country: str, buyer_tax_id: str, on: date) -> Treatment:
    """The tax an invoice from `seller_country` to `buyer_country` carries on `on`."""
    seller, buyer = seller_country.upper(), buyer_country.upper()
    eu = eu_members()
    if seller == buyer:
        return _domestic(seller, on)
    if seller in eu and buyer in eu:
        if buyer_tax_id.strip():
            return Treatment(
                Decimal(0), "AE", REVERSE_CHARGE_NOTE, buyer, "VAT", table()["eu_source"]
            )
        percent, name, source = rate_in(seller, on)
        return Treatment(percent, "S", NO_BUYER_VAT_NOTE, seller, name, source)
    _percent, name, source = rate_in(seller, on)
    note = OUTSIDE_SCOPE_NOTE.format(tax=name, seller=seller)
    return Treatment(Decimal(0), "O", note, buyer, name, source)


def _domestic(country: str, on: date) -> Treatment:
    percent, name, source = rate_in(country, on)
    if percent:
        return Treatment(percent, "S", "", country, name, source)
    note = US_NOTE if country == "US" else f"No {name} is charged in {country}."
    return Treatment(percent, "O", note, country, name, source)


def tax_on(net_minor: int, percent: Decimal) -> int:
    """Tax on a net total in minor units, rounded once, half up (away from zero on a
    tie, so a credit note's tax is exactly minus the invoice's)."""
    exact = Decimal(net_minor) * percent / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
