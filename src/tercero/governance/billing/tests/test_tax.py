"""Tax rules and rates (data/tax_rates.json, each rate with its source): domestic rates,
the EU reverse charge (Article 196 Council Directive 2006/112/EC), services to a
business abroad, and rounding once on the total, half up."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.governance.billing import tax
from tercero.platform.errors import InvalidInput

DAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("country", "percent"),
    [("GB", 20), ("DE", 19), ("FR", 20), ("ES", 21), ("IE", 23), ("NL", 21), ("PH", 12),
     ("IN", 18), ("FI", Decimal("25.5")), ("US", 0)],
)  # fmt: skip
def test_domestic_supplies_carry_the_countrys_standard_rate(country, percent):
    found = tax.treatment(seller_country=country, buyer_country=country, buyer_tax_id="", on=DAY)
    assert found.percent == Decimal(percent)
    assert found.source


def test_a_rate_change_applies_from_its_date():
    before = tax.rate_in("SK", date(2024, 12, 31))[0]
    after = tax.rate_in("SK", date(2025, 1, 1))[0]
    assert (before, after) == (Decimal(20), Decimal(23))


def test_us_sales_tax_is_out_of_scope_and_says_so():
    found = tax.treatment(seller_country="US", buyer_country="US", buyer_tax_id="", on=DAY)
    assert (found.percent, found.category) == (Decimal(0), "O")
    assert "out of scope" in found.note


def test_eu_b2b_across_a_border_is_reverse_charged_with_the_article_196_note():
    found = tax.treatment(seller_country="FR", buyer_country="DE", buyer_tax_id="DE1", on=DAY)
    assert (found.percent, found.category) == (Decimal(0), "AE")
    assert found.note == (
        "Reverse charge: VAT to be accounted for by the recipient, "
        "Article 196 Council Directive 2006/112/EC"
    )


def test_eu_buyer_without_a_vat_number_pays_the_suppliers_rate():
    found = tax.treatment(seller_country="IE", buyer_country="DE", buyer_tax_id=" ", on=DAY)
    assert (found.percent, found.category) == (Decimal(23), "S")


def test_services_to_a_business_outside_the_suppliers_tax_area_carry_no_tax():
    found = tax.treatment(seller_country="GB", buyer_country="DE", buyer_tax_id="DE1", on=DAY)
    assert (found.percent, found.category) == (Decimal(0), "O")
    assert found.note.startswith("Outside the scope of VAT in GB")


def test_a_country_without_a_rate_is_refused_by_name():
    with pytest.raises(InvalidInput, match="no tax rate for BR"):
        tax.treatment(seller_country="BR", buyer_country="BR", buyer_tax_id="", on=DAY)


def test_tax_is_rounded_once_half_up():
    assert tax.tax_on(81813, Decimal(20)) == 16363  # 16362.6
    assert tax.tax_on(12345, Decimal("12.5")) == 1543  # 1543.125
    assert tax.tax_on(10, Decimal(25)) == 3  # 2.5 -> 3
    assert tax.tax_on(-10, Decimal(25)) == -3  # a credit note mirrors it


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["20", "25.5", "12"]))
def test_a_credit_notes_tax_is_exactly_minus_the_invoices(net, percent):
    assert tax.tax_on(-net, Decimal(percent)) == -tax.tax_on(net, Decimal(percent))
