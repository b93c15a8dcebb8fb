"""Identifiers are checked at entry: national ids and bank accounts with a typo are
refused with the field named, valid ones come back in standard form."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.platform.errors import InvalidInput
from tercero.services.payroll import identifiers

VALID_IBANS = [
    "GB82 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
]


@pytest.mark.parametrize("value", VALID_IBANS)
def test_valid_ibans_come_back_compact(value):
    # protects: bank details as clerks type them (spaces, lower case)
    assert identifiers.iban(value.lower()) == value.replace(" ", "")


@pytest.mark.parametrize(
    "value", ["GB82 WEST 1234 5698 7654 33", "DE89 3704 0044 0532 0130", "XX00 1234", ""]
)
def test_bad_ibans_are_refused_with_the_field_named(value):
    # protects: no payment to a mistyped account
    with pytest.raises(InvalidInput) as refused:
        identifiers.iban(value)
    assert refused.value.fields == {"iban": "invalid"}


@given(position=st.integers(min_value=4, max_value=21), digit=st.integers(0, 9))
def test_any_single_digit_typo_in_an_iban_is_caught(position, digit):
    # protects: the checksum catches every one-digit slip
    good = "GB82WEST12345698765432"
    if not good[position].isdigit() or int(good[position]) == digit:
        return
    typo = good[:position] + str(digit) + good[position + 1 :]
    with pytest.raises(InvalidInput):
        identifiers.iban(typo)


def test_national_insurance_numbers_follow_hmrc_rules():
    # protects: UK employees' NI numbers (FPS rejects bad ones)
    assert identifiers.national_id("GB", "ab 12 34 56 c") == "AB123456C"
    for bad in ("QQ123456C", "AB123456E", "DA123456A", "GB123456A", "QO123456A", "Q1234567A", ""):
        with pytest.raises(InvalidInput):
            identifiers.national_id("GB", bad)


def test_other_countries_ids_and_us_bank_details():
    # protects: national ids checked by their own rules; ACH routing numbers
    assert identifiers.national_id("US", "536-90-4399") == "536904399"
    with pytest.raises(InvalidInput):
        identifiers.national_id("US", "000-12-3456")
    assert identifiers.national_id("NL", "1112.22.333") == "111222333"
    assert identifiers.national_id("PH", " 123 456 ") == "123 456"  # no checker: kept
    assert identifiers.us_routing_number("011000015") == "011000015"
    with pytest.raises(InvalidInput):
        identifiers.us_routing_number("011000016")
    assert identifiers.us_account_number("1234-5678 90") == "1234567890"
    with pytest.raises(InvalidInput):
        identifiers.us_account_number("12")
