"""The usage explorer: the metered ledger with filters, totals and CSV. Provider staff
see the clients they serve; a client's people see their own usage, read-only."""

from datetime import date

from django.shortcuts import render

from tercero.delivery.engagements.selectors import engagements
from tercero.governance.billing import selectors
from tercero.governance.billing.models import Unit
from tercero.platform.pages import page
from tercero.web.lists import Column, Filter, Listing

READ = "billing:read"


def _filters(params, engagement_ids: set[int]) -> selectors.UsageFilters:
    """The filters chosen in the query string (anything unknown is ignored)."""
    engagement = params.get("engagement", "")
    period = params.get("period", "")
    try:
        month = date.fromisoformat(period) if period else None
    except ValueError:
        month = None
    unit = params.get("unit", "")
    return selectors.UsageFilters(
        engagement_id=int(engagement)
        if engagement.isdigit() and int(engagement) in engagement_ids
        else None,
        unit=unit if unit in Unit.values else "",
        period=month,
        work_type=params.get("work_type", "")[:40],
    )


def _quantity(row) -> str:
    return f"{row.quantity.normalize():f}"


@page(READ)
def usage_page(request, caller):
    mine = engagements(client_ids=caller.client_ids).order_by("name")
    engagement_ids = {engagement.pk for engagement in mine}
    everything = selectors.usage(client_ids=caller.client_ids, filters=selectors.UsageFilters())
    months = sorted(set(everything.values_list("period", flat=True).distinct()), reverse=True)
    work_types = sorted(
        set(everything.exclude(work_type="").values_list("work_type", flat=True).distinct())
    )
    chosen = _filters(request.GET, engagement_ids)
    listing = Listing(
        request,
        everything,
        columns=[
            Column("occurred_at", "When"),
            Column("engagement__name", "Engagement"),
            Column("unit", "Unit", value=lambda row: row.get_unit_display()),
            Column("work_type", "Work type"),
            Column("outcome_kind", "Outcome"),
            Column("shore", "Shore"),
            Column("quantity", "Quantity", value=_quantity),
            Column("period", "Month"),
            Column(
                "invoice_line_id",
                "Invoiced",
                sortable=False,
                value=lambda row: "yes" if row.invoice_line_id else "no",
            ),
        ],
        filters=[
            Filter(
                "engagement",
                "Engagement",
                tuple((str(e.pk), e.name) for e in mine),
                apply=lambda qs, value: qs.filter(engagement_id=value) if value.isdigit() else qs,
            ),
            Filter("unit", "Unit", tuple(Unit.choices)),
            Filter(
                "period",
                "Month",
                tuple((month.isoformat(), f"{month:%B %Y}") for month in months),
                apply=lambda qs, value: qs.filter(period=chosen.period) if chosen.period else qs,
            ),
            Filter("work_type", "Work type", tuple((name, name) for name in work_types)),
        ],
        default_sort="-occurred_at",
    )
    if listing.wants_csv:
        return listing.csv_response("usage.csv")
    context = {
        "listing": listing,
        "totals": selectors.usage_totals(client_ids=caller.client_ids, filters=chosen),
        "is_staff": request.user.is_provider_staff,
    }
    return render(request, "billing/usage.html", context)
