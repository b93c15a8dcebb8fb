"""Usage API: the metered ledger of the caller's clients, its totals, and a month's
rating (what the next invoice would charge) for provider staff."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tercero.governance.billing import rating, selectors
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound

READ, MANAGE = "billing:read", "billing:manage"

router = Router(tags=["billing"])


class UsageQuery(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    unit: str = Field(default="", max_length=20)
    period: date | None = None
    work_type: str = Field(default="", max_length=40)

    def filters(self) -> selectors.UsageFilters:
        return selectors.UsageFilters(
            engagement_id=self.engagement_id,
            unit=self.unit,
            period=self.period,
            work_type=self.work_type,
        )


class UsageOut(Schema):
    id: int
    client_id: int
    engagement_id: int
    unit: str
    quantity: Decimal
    work_type: str
    outcome_kind: str
    shore: str
    site_id: int | None
    skill: str
    source_event_id: int | None
    source_key: str
    occurred_at: datetime
    period: date
    invoice_line_id: int | None


class TotalOut(Schema):
    engagement_id: int
    engagement: str
    period: date
    unit: str
    work_type: str
    quantity: Decimal
    rows: int
    invoiced_rows: int


class RatedOut(Schema):
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
    usage_rows: int


class RatingOut(Schema):
    client_id: int
    period: date
    total_minor: int
    lines: list[RatedOut]


class PeriodQuery(Schema):
    period: date | None = None  # any day of the month; none: this month


@router.get("/billing/usage", response=list[UsageOut])
@paginate_by_cursor
def list_usage(request, query: Query[UsageQuery]):
    """The usage ledger (one row per billable thing metered), a page at a time."""
    caller = caller_of(request)
    caller.require(READ)
    return selectors.usage(client_ids=caller.client_ids, filters=query.filters())


@router.get("/billing/usage/totals", response=list[TotalOut])
def usage_totals(request, query: Query[UsageQuery]):
    """Quantities summed by engagement, month, unit and work type."""
    caller = caller_of(request)
    caller.require(READ)
    return selectors.usage_totals(client_ids=caller.client_ids, filters=query.filters())


@router.get("/billing/clients/{client_id}/rating", response=RatingOut)
def rate_client_month(request, client_id: int, query: Query[PeriodQuery]):
    """The month's uninvoiced usage priced by the rate cards in force (what a draft
    invoice would hold), without writing anything; this month when none is given."""
    caller = caller_of(request)
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require(MANAGE)
    period = (query.period or timezone.now().date()).replace(day=1)
    lines = rating.rate_period(client_id=client_id, period=period)
    return {
        "client_id": client_id,
        "period": period,
        "total_minor": sum(line.amount_minor for line in lines),
        "lines": [{**line.__dict__, "usage_rows": len(line.usage_ids)} for line in lines],
    }
