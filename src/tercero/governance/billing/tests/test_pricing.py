"""The arithmetic of a rate line: flat, tiered and volume bands, checked by hand on the
band edges and by properties over generated bands and quantities."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tercero.governance.billing.pricing import amount_of, band_problems, charges

BANDS = [
    {"up_to": 1000, "price_minor": 40},
    {"up_to": 5000, "price_minor": 35},
    {"up_to": None, "price_minor": 30},
]


def priced(banding: str, quantity: str, bands=BANDS, price: int = 0):
    return [
        (piece.quantity, piece.unit_price_minor, piece.amount_minor)
        for piece in charges(
            banding=banding, price_minor=price, bands=bands, quantity=Decimal(quantity)
        )
    ]


def test_tiered_bands_price_each_unit_at_its_own_band_on_both_sides_of_the_edges():
    # 1,000 units: all in band 1 -> 1,000 x 0.40 = 400.00
    assert priced("tiered", "1000") == [(Decimal(1000), 40, 40_000)]
    # 1,001 units: 1,000 x 0.40 + 1 x 0.35 = 400.35
    assert priced("tiered", "1001") == [(Decimal(1000), 40, 40_000), (Decimal(1), 35, 35)]
    # 5,000 units: 400.00 + 4,000 x 0.35 = 1,800.00
    assert priced("tiered", "5000") == [(Decimal(1000), 40, 40_000), (Decimal(4000), 35, 140_000)]
    # 5,001 units: 400.00 + 1,400.00 + 1 x 0.30 = 1,800.30
    assert priced("tiered", "5001") == [
        (Decimal(1000), 40, 40_000),
        (Decimal(4000), 35, 140_000),
        (Decimal(1), 30, 30),
    ]


def test_volume_bands_price_every_unit_at_the_band_the_total_reaches_on_both_sides_of_the_edges():
    assert priced("volume", "1000") == [(Decimal(1000), 40, 40_000)]  # 400.00
    assert priced("volume", "1001") == [(Decimal(1001), 35, 35_035)]  # 350.35: cheaper
    assert priced("volume", "5000") == [(Decimal(5000), 35, 175_000)]
    assert priced("volume", "5001") == [(Decimal(5001), 30, 150_030)]


def test_a_flat_price_rounds_half_up_to_the_minor_unit_once():
    # 40.25 hours at 12.50 = 503.125 -> 503.13
    assert priced("flat", "40.25", bands=[], price=1250) == [(Decimal("40.25"), 1250, 50_313)]
    assert amount_of(Decimal("0.5"), 1) == 1
    assert amount_of(Decimal("0.49"), 1) == 0


def test_no_quantity_is_no_charge():
    assert priced("tiered", "0") == []
    assert priced("flat", "0", bands=[], price=100) == []


def test_bands_that_do_not_go_up_or_do_not_end_open_are_named_by_field():
    assert band_problems([{"up_to": 10, "price_minor": 5}]) == {
        "bands[1].up_to": "the last band has no end (leave it empty)"
    }
    assert band_problems(
        [
            {"up_to": 10, "price_minor": 5},
            {"up_to": 10, "price_minor": 4},
            {"up_to": None, "price_minor": 1},
        ]
    ) == {"bands[2].up_to": "a whole number above 10: bands go up in order"}
    assert band_problems([{"up_to": None, "price_minor": -1}]) == {
        "bands[1].price_minor": "a whole amount of at least 0"
    }
    assert band_problems([]) == {"bands": "give at least one band"}
    assert band_problems(BANDS) == {}


@st.composite
def band_lists(draw):
    edges = sorted(draw(st.sets(st.integers(1, 10_000), min_size=0, max_size=4)))
    prices = draw(
        st.lists(st.integers(0, 10_000), min_size=len(edges) + 1, max_size=len(edges) + 1)
    )
    return [
        {"up_to": up_to, "price_minor": price}
        for up_to, price in zip([*edges, None], prices, strict=True)
    ]


@given(bands=band_lists(), quantity=st.integers(0, 20_000))
def test_tiered_total_is_the_sum_of_each_unit_at_its_own_bands_price(bands, quantity):
    pieces = priced("tiered", str(quantity), bands=bands)
    by_unit, lower = 0, 0
    for band in bands:
        upper = band["up_to"] if band["up_to"] is not None else quantity
        units = max(0, min(quantity, upper) - lower)
        by_unit += units * band["price_minor"]
        lower = upper if band["up_to"] is not None else lower
    assert sum(amount for _, _, amount in pieces) == by_unit
    assert sum(q for q, _, _ in pieces) == quantity


@given(bands=band_lists(), low=st.integers(1, 20_000), extra=st.integers(0, 5_000))
def test_volume_charge_never_falls_as_quantity_grows_inside_one_band(bands, low, extra):
    high = low + extra
    [(_, low_price, low_amount)] = priced("volume", str(low), bands=bands)
    [(_, high_price, high_amount)] = priced("volume", str(high), bands=bands)
    if low_price == high_price and _band_of(bands, low) == _band_of(bands, high):
        assert high_amount >= low_amount
        assert high_amount == high * high_price


def _band_of(bands, quantity):
    for position, band in enumerate(bands):
        if band["up_to"] is None or quantity <= band["up_to"]:
            return position
    return len(bands) - 1


@given(
    quantity=st.decimals(min_value=0, max_value=100_000, places=6), price=st.integers(0, 100_000)
)
def test_a_flat_amount_is_within_half_a_minor_unit_of_the_exact_product(quantity, price):
    pieces = priced("flat", str(quantity), bands=[], price=price)
    exact = quantity * price
    amount = sum(a for _, _, a in pieces)
    assert abs(Decimal(amount) - exact) <= Decimal("0.5")
