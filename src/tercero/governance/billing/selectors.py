"""Reads of commercials, always within the caller's clients; pages and API share them.
`access_*` raise NotFound for another client's object."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from tercero.governance.billing.models import (
    RateCard,
    RateCardVersion,
    RateLine,
    Unit,
    UsageRecord,
)
from tercero.platform.errors import NotFound


def _access(queryset: QuerySet[Any], pk: int, what: str) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"{what} not found.")
    return found


def rate_cards(*, client_ids: list[int], engagement_id: int | None = None) -> QuerySet[RateCard]:
    found = RateCard.objects.filter(client_id__in=client_ids).select_related("engagement", "client")
    if engagement_id is not None:
        found = found.filter(engagement_id=engagement_id)
    return found


def access_rate_card(*, client_ids: list[int], rate_card_id: int) -> RateCard:
    return _access(rate_cards(client_ids=client_ids), rate_card_id, "Rate card")


def versions_of(*, rate_card: RateCard) -> QuerySet[RateCardVersion]:
    return RateCardVersion.objects.filter(rate_card=rate_card).order_by("-number")


def access_version(*, client_ids: list[int], version_id: int) -> RateCardVersion:
    found = RateCardVersion.objects.filter(client_id__in=client_ids).select_related(
        "rate_card", "rate_card__engagement"
    )
    return _access(found, version_id, "Rate card version")


def lines_of(*, rate_version: RateCardVersion) -> QuerySet[RateLine]:
    return RateLine.objects.filter(rate_card_version=rate_version).select_related("site")


def access_line(*, client_ids: list[int], line_id: int) -> RateLine:
    found = RateLine.objects.filter(client_id__in=client_ids).select_related(
        "rate_card_version", "rate_card_version__rate_card"
    )
    return _access(found, line_id, "Rate line")


@dataclass(frozen=True)
class UsageFilters:
    engagement_id: int | None = None
    unit: str = ""
    period: date | None = None  # the first day of a month
    work_type: str = ""


def usage(*, client_ids: list[int], filters: UsageFilters) -> QuerySet[UsageRecord]:
    """The usage ledger of the caller's clients, newest first."""
    found = UsageRecord.objects.filter(client_id__in=client_ids).select_related(
        "engagement", "client"
    )
    if filters.engagement_id is not None:
        found = found.filter(engagement_id=filters.engagement_id)
    if filters.unit:
        found = found.filter(unit=filters.unit)
    if filters.period is not None:
        found = found.filter(period=filters.period.replace(day=1))
    if filters.work_type:
        found = found.filter(work_type=filters.work_type)
    return found.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class UsageTotal:
    engagement_id: int
    engagement: str
    period: date
    unit: str
    work_type: str
    quantity: Decimal
    rows: int
    invoiced_rows: int

    @property
    def unit_label(self) -> str:
        return str(Unit(self.unit).label)

    @property
    def quantity_text(self) -> str:
        """The quantity without trailing zeros ("1250", "37.5")."""
        return f"{self.quantity.normalize():f}"


def usage_totals(*, client_ids: list[int], filters: UsageFilters) -> list[UsageTotal]:
    """Quantities summed by engagement, month, unit and work type."""
    grouped = (
        usage(client_ids=client_ids, filters=filters)
        .order_by()
        .values("engagement_id", "engagement__name", "period", "unit", "work_type")
        .annotate(
            quantity=Sum("quantity"),
            rows=Count("id"),
            invoiced_rows=Count("invoice_line_id"),
        )
        .order_by("-period", "engagement__name", "unit", "work_type")
    )
    return [
        UsageTotal(
            engagement_id=row["engagement_id"],
            engagement=row["engagement__name"],
            period=row["period"],
            unit=row["unit"],
            work_type=row["work_type"],
            quantity=Decimal(row["quantity"] or 0),
            rows=row["rows"],
            invoiced_rows=row["invoiced_rows"],
        )
        for row in grouped
    ]
