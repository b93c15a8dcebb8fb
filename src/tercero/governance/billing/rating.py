"""Rating: a client's month of uninvoiced usage priced by the rate cards in force.

Each usage row goes to the most specific rate line of its unit that matches it (work
type, outcome kind, shore, site, skill; a blank filter matches anything; ties go to the
older line). Bands apply to the month's total of one rate line. A card's version for a
month is the one in force on the month's last day, else the last one that began in the
month. Late usage (a period already invoiced) is priced as the difference its units make
to that period's charge, including the monthly minimum, and comes back as adjustments.
Reads only: invoices (invoices.py) write what this returns."""

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from tercero.governance.billing import pricing
from tercero.governance.billing.models import (
    Invoice,
    RateCardVersion,
    RateLine,
    Unit,
    UsageRecord,
)

USAGE, MINIMUM, ADJUSTMENT = "usage", "minimum", "adjustment"
GROUP = ("engagement_id", "unit", "work_type", "outcome_kind", "shore", "site_id", "skill")


@dataclass(frozen=True)
class RatedLine:
    engagement_id: int
    rate_card_version_id: int
    rate_line_id: int | None
    kind: str
    description: str
    unit: str
    quantity: Decimal
    unit_price_minor: int
    amount_minor: int
    period: date
    usage_ids: tuple[int, ...]


def charge(line: RateLine, quantity: Decimal) -> list[tuple[Decimal, int, int]]:
    """(quantity, unit price, amount) per band the quantity touches on `line`."""
    return [
        (piece.quantity, piece.unit_price_minor, piece.amount_minor)
        for piece in pricing.charges(
            banding=line.banding, price_minor=line.price_minor, bands=line.bands, quantity=quantity
        )
    ]


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s month."""
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def versions_for_month(*, client_id: int, period: date) -> dict[int, RateCardVersion]:
    """Each engagement's rate card version for the month (active cards only)."""
    first, last = month_of(period)
    overlapping = (
        RateCardVersion.objects.filter(
            client_id=client_id, rate_card__is_active=True, effective_from__lte=last
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=first))
        .select_related("rate_card")
        .prefetch_related("lines")
        .order_by("rate_card_id", "effective_from")
    )
    chosen: dict[int, RateCardVersion] = {}
    for version in overlapping:
        engagement_id = version.rate_card.engagement_id
        current = chosen.get(engagement_id)
        if current is None or current.rate_card_id == version.rate_card_id:
            chosen[engagement_id] = version  # later effective_from wins within a card
    return chosen


def rate_period(*, client_id: int, period: date) -> list[RatedLine]:
    """The month's uninvoiced usage of every engagement with a rate card version in force,
    priced, with each month's minimum topped up, and earlier periods' late usage as
    adjustments."""
    first, _ = month_of(period)
    versions = versions_for_month(client_id=client_id, period=first)
    rows = _uninvoiced(client_id=client_id, up_to=first)
    rated: list[RatedLine] = []
    for engagement_id, version in sorted(versions.items()):
        mine = [row for row in rows if row.engagement_id == engagement_id]
        now = [row for row in mine if row.period == first]
        rated += _month(version, now, first)
        late = [row for row in mine if row.period < first]
        rated += _late(client_id=client_id, engagement_id=engagement_id, rows=late)
    return rated


@dataclass(frozen=True)
class _Row:
    id: int
    engagement_id: int
    unit: str
    quantity: Decimal
    work_type: str
    outcome_kind: str
    shore: str
    site_id: int | None
    skill: str
    period: date


def _uninvoiced(*, client_id: int, up_to: date) -> list[_Row]:
    found = UsageRecord.objects.filter(
        client_id=client_id, period__lte=up_to, invoice_line__isnull=True
    ).order_by("occurred_at", "id")
    return [
        _Row(*values)
        for values in found.values_list(
            "id", *GROUP[:2], "quantity", *GROUP[2:], "period"
        ).iterator(chunk_size=5000)
    ]


def _issued_quantities(*, client_id: int, engagement_id: int, period: date) -> list[_Row]:
    """The period's usage already on issued invoices."""
    found = UsageRecord.objects.filter(
        client_id=client_id,
        engagement_id=engagement_id,
        period=period,
        invoice_line__invoice__status=Invoice.Status.ISSUED,
    )
    return [
        _Row(*values)
        for values in found.values_list("id", *GROUP[:2], "quantity", *GROUP[2:], "period")
    ]


def _specificity(line: RateLine) -> int:
    return sum(bool(value) for value in (line.work_type, line.shore, line.site_id, line.skill))


def _matches(line: RateLine, row: _Row) -> bool:
    if line.unit != row.unit:
        return False
    if line.unit == Unit.OUTCOME and line.outcome_kind != row.outcome_kind:
        return False
    return (
        (not line.work_type or line.work_type == row.work_type)
        and (not line.shore or line.shore == row.shore)
        and (line.site_id is None or line.site_id == row.site_id)
        and (not line.skill or line.skill == row.skill)
    )


def _by_line(lines: Sequence[RateLine], rows: Iterable[_Row]) -> dict[int, list[_Row]]:
    """Rows per rate line id (most specific match); rows no line prices are left out."""
    ordered = sorted(lines, key=lambda line: (-_specificity(line), line.pk))
    grouped: dict[int, list[_Row]] = defaultdict(list)
    cache: dict[tuple, int | None] = {}
    for row in rows:
        key = (row.unit, row.work_type, row.outcome_kind, row.shore, row.site_id, row.skill)
        if key not in cache:
            cache[key] = next((line.pk for line in ordered if _matches(line, row)), None)
        line_id = cache[key]
        if line_id is not None:
            grouped[line_id].append(row)
    return grouped


def describe(line: RateLine) -> str:
    """The rate line in words for an invoice line."""
    if line.description:
        return line.description
    what = Unit(line.unit).label
    scope = [line.work_type or line.outcome_kind, line.shore, line.skill]
    details = ", ".join(part for part in scope if part)
    return f"{what} ({details})" if details else what


def _band_words(piece: pricing.Charge) -> str:
    if piece.band == 0:
        return ""
    upper = "and above" if piece.upper is None else f"to {piece.upper:,.0f}"
    return f", band {piece.band}: {piece.lower + 1:,.0f} {upper}"


def _month(version: RateCardVersion, rows: list[_Row], period: date) -> list[RatedLine]:
    lines = {line.pk: line for line in version.lines.all()}
    rated: list[RatedLine] = []
    for line_id, mine in sorted(_by_line(list(lines.values()), rows).items()):
        rated += _priced(version, lines[line_id], mine, period, kind=USAGE)
    total = sum(line.amount_minor for line in rated)
    if version.monthly_minimum_minor > total:
        top_up = version.monthly_minimum_minor - total
        rated.append(
            RatedLine(
                engagement_id=version.rate_card.engagement_id,
                rate_card_version_id=version.pk,
                rate_line_id=None,
                kind=MINIMUM,
                description="Monthly minimum: top-up to the agreed minimum charge",
                unit="",
                quantity=Decimal(1),
                unit_price_minor=top_up,
                amount_minor=top_up,
                period=period,
                usage_ids=(),
            )
        )
    return rated


def _priced(
    version: RateCardVersion, line: RateLine, rows: list[_Row], period: date, *, kind: str
) -> list[RatedLine]:
    """One rated line per band touched; each row goes to the band its first unit is in."""
    total = sum((row.quantity for row in rows), Decimal(0))
    pieces = pricing.charges(
        banding=line.banding, price_minor=line.price_minor, bands=line.bands, quantity=total
    )
    owners: list[list[int]] = [[] for _ in pieces]
    reached = Decimal(0)
    for row in rows:
        at = next(
            (n for n, piece in enumerate(pieces) if piece.upper is None or reached < piece.upper),
            len(pieces) - 1,
        )
        owners[at].append(row.id)
        reached += row.quantity
    return [
        RatedLine(
            engagement_id=version.rate_card.engagement_id,
            rate_card_version_id=version.pk,
            rate_line_id=line.pk,
            kind=kind,
            description=describe(line) + _band_words(piece),
            unit=line.unit,
            quantity=piece.quantity,
            unit_price_minor=piece.unit_price_minor,
            amount_minor=piece.amount_minor,
            period=period,
            usage_ids=tuple(ids),
        )
        for piece, ids in zip(pieces, owners, strict=True)
    ]


def _late(*, client_id: int, engagement_id: int, rows: list[_Row]) -> list[RatedLine]:
    """Adjustments for usage that reached earlier periods after they were rated."""
    periods = sorted({row.period for row in rows})
    rated: list[RatedLine] = []
    for period in periods:
        version = versions_for_month(client_id=client_id, period=period).get(engagement_id)
        if version is None:
            continue  # no prices for that month: nothing to charge
        late = [row for row in rows if row.period == period]
        issued = _issued_quantities(client_id=client_id, engagement_id=engagement_id, period=period)
        rated += _difference(version, issued, late, period)
    return rated


def _difference(
    version: RateCardVersion, issued: list[_Row], late: list[_Row], period: date
) -> list[RatedLine]:
    """What `late` adds to the period's charge already issued for `issued`: per rate line
    the charge of the new total less that of the old, and the minimum's change."""
    lines = {line.pk: line for line in version.lines.all()}
    before = _by_line(list(lines.values()), issued)
    added = _by_line(list(lines.values()), late)
    rated: list[RatedLine] = []
    old_total = new_total = 0
    for line_id in sorted(set(before) | set(added)):
        line = lines[line_id]
        old_q = sum((row.quantity for row in before.get(line_id, [])), Decimal(0))
        new_rows = added.get(line_id, [])
        new_q = old_q + sum((row.quantity for row in new_rows), Decimal(0))
        old_amount = sum(amount for _, _, amount in charge(line, old_q))
        new_amount = sum(amount for _, _, amount in charge(line, new_q))
        old_total, new_total = old_total + old_amount, new_total + new_amount
        if new_rows:
            rated.append(
                _adjustment(version, line, new_rows, new_q - old_q, new_amount - old_amount, period)
            )
    minimum = version.monthly_minimum_minor
    top_up_change = max(minimum - new_total, 0) - max(minimum - old_total, 0)
    if top_up_change and issued:
        rated.append(
            RatedLine(
                engagement_id=version.rate_card.engagement_id,
                rate_card_version_id=version.pk,
                rate_line_id=None,
                kind=ADJUSTMENT,
                description="Monthly minimum: top-up changed by late usage",
                unit="",
                quantity=Decimal(1),
                unit_price_minor=top_up_change,
                amount_minor=top_up_change,
                period=period,
                usage_ids=(),
            )
        )
    return rated


def _adjustment(
    version: RateCardVersion,
    line: RateLine,
    rows: list[_Row],
    quantity: Decimal,
    amount: int,
    period: date,
) -> RatedLine:
    # the price the added units bring, to the minor unit; with volume bands a total that
    # crosses into a cheaper band re-prices the units already invoiced, so the amount is
    # the whole difference and may differ from quantity x unit price
    unit_price = pricing.amount_of(Decimal(amount) / quantity, 1) if quantity else 0
    return RatedLine(
        engagement_id=version.rate_card.engagement_id,
        rate_card_version_id=version.pk,
        rate_line_id=line.pk,
        kind=ADJUSTMENT,
        description=f"{describe(line)}: late usage for {period:%B %Y}",
        unit=line.unit,
        quantity=quantity,
        unit_price_minor=unit_price,
        amount_minor=amount,
        period=period,
        usage_ids=tuple(row.id for row in rows),
    )
