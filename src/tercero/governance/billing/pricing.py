"""The arithmetic of a rate line, with no database: a quantity priced flat, by tiered
bands or by volume bands, each amount rounded half up to the minor unit once.

- flat: every unit at `price_minor`;
- tiered: each unit at the price of its own band (the first 1,000 at one price, the next
  4,000 at another ...), one amount per band touched;
- volume: every unit at the price of the band the month's total reaches.

A band `{"up_to": 1000, "price_minor": 50}` covers the units above the previous band's
`up_to` up to and including 1,000; the last band's `up_to` is null (no end)."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FLAT, TIERED, VOLUME = "flat", "tiered", "volume"
BANDINGS = (FLAT, TIERED, VOLUME)


@dataclass(frozen=True)
class Charge:
    """One priced piece: a quantity at a unit price, and their product rounded."""

    quantity: Decimal
    unit_price_minor: int
    amount_minor: int
    band: int  # the band's position from 1 (0 for a flat price)
    lower: Decimal  # the units the band starts after
    upper: Decimal | None  # the band's last unit, None for no end


def amount_of(quantity: Decimal, unit_price_minor: int) -> int:
    """quantity x unit price, rounded half up to the minor unit (the once-per-line rule)."""
    return int((quantity * unit_price_minor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def charges(
    *, banding: str, price_minor: int, bands: Sequence[dict], quantity: Decimal
) -> list[Charge]:
    """`quantity` priced by the rate line's rule; nothing for no quantity."""
    if quantity <= 0:
        return []
    if banding == FLAT:
        return [
            Charge(quantity, price_minor, amount_of(quantity, price_minor), 0, Decimal(0), None)
        ]
    edges = _edges(bands)
    if banding == TIERED:
        return _tiered(edges, quantity)
    if banding == VOLUME:
        return [_volume(edges, quantity)]
    raise ValueError(f"unknown banding {banding!r}")


def band_problems(bands: object) -> dict[str, str]:
    """What is wrong with a list of bands, by field (empty when sound)."""
    if not isinstance(bands, list) or not bands:
        return {"bands": "give at least one band"}
    problems: dict[str, str] = {}
    previous = 0
    for position, band in enumerate(bands, start=1):
        if not isinstance(band, dict) or set(band) - {"up_to", "price_minor"}:
            return {"bands": f"band {position} needs only up_to and price_minor"}
        up_to, price = band.get("up_to"), band.get("price_minor")
        if not isinstance(price, int) or isinstance(price, bool) or price < 0:
            problems[f"bands[{position}].price_minor"] = "a whole amount of at least 0"
        is_last = position == len(bands)
        if is_last and up_to is not None:
            problems[f"bands[{position}].up_to"] = "the last band has no end (leave it empty)"
        elif not is_last and (not isinstance(up_to, int) or not _is_whole(up_to)):
            problems[f"bands[{position}].up_to"] = f"a whole number above {previous}"
        elif not is_last and isinstance(up_to, int):
            if up_to <= previous:
                problems[f"bands[{position}].up_to"] = (
                    f"a whole number above {previous}: bands go up in order"
                )
            previous = up_to
    return problems


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _edges(bands: Sequence[dict]) -> list[tuple[Decimal, Decimal | None, int]]:
    """(lower, upper, price) for each band."""
    edges, lower = [], Decimal(0)
    for band in bands:
        upper = None if band.get("up_to") is None else Decimal(band["up_to"])
        edges.append((lower, upper, int(band["price_minor"])))
        if upper is None:
            break
        lower = upper
    return edges


def _tiered(edges: list[tuple[Decimal, Decimal | None, int]], quantity: Decimal) -> list[Charge]:
    found = []
    for position, (lower, upper, price) in enumerate(edges, start=1):
        if quantity <= lower:
            break
        inside = (quantity if upper is None else min(quantity, upper)) - lower
        found.append(Charge(inside, price, amount_of(inside, price), position, lower, upper))
    return found


def _volume(edges: list[tuple[Decimal, Decimal | None, int]], quantity: Decimal) -> Charge:
    for position, (lower, upper, price) in enumerate(edges, start=1):
        if upper is None or quantity <= upper:
            return Charge(quantity, price, amount_of(quantity, price), position, lower, upper)
    lower, upper, price = edges[-1]  # bands that end: the total is past the last one
    return Charge(quantity, price, amount_of(quantity, price), len(edges), lower, upper)
