"""Money in its currency and stored values in plain words, as every page shows them."""

from decimal import Decimal

import pytest

from tercero.web.money import format_money, to_minor
from tercero.web.schema_forms import form_for, payload_of
from tercero.web.templatetags.tercero_ui import money, plain


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (6019628, "GBP", "£60,196.28"),
        (-1250, "EUR", "-€12.50"),
        (125000, "PLN", "1,250.00 PLN"),
        (1250, "JPY", "¥1,250"),  # ISO 4217: the yen has no minor unit
        (1250, "KWD", "1.250 KWD"),  # ISO 4217: the dinar has three
        (0, "usd", "$0.00"),
        (None, "GBP", "—"),
    ],
)
def test_money_reads_as_people_write_it(minor, currency, shown):
    assert format_money(minor, currency) == shown
    assert money(minor, currency) == shown


def test_an_amount_typed_in_major_units_becomes_whole_minor_units():
    assert to_minor(Decimal("12.50"), "USD") == 1250
    assert to_minor("1250", "JPY") == 1250
    with pytest.raises(ValueError, match="2 decimal places"):
        to_minor("12.505", "USD")
    with pytest.raises(ValueError, match="not an amount"):
        to_minor("twelve", "USD")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ("", "—"),
        (True, "Yes"),
        ([], "none"),
        (["vip", "refund"], "vip, refund"),
        ({"order_ref": "A-1", "items": 2}, "Order ref: A-1; Items: 2"),
        ({}, "none"),
        (7, "7"),
    ],
)
def test_a_stored_value_is_never_shown_as_python(value, shown):
    assert plain(value) == shown


def test_a_read_only_property_is_left_off_the_form_and_the_payload():
    schema = {
        "properties": {
            "reference": {"type": "string", "title": "Reference"},
            "keyed": {"type": "integer", "title": "Keyed", "readOnly": True},
        },
        "required": ["reference"],
    }
    form = form_for(schema)(data={"reference": "PO-1", "keyed": "9"})
    assert list(form.fields) == ["reference"]
    assert form.is_valid()
    assert payload_of(form, schema) == {"reference": "PO-1"}
