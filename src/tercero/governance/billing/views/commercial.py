"""Commercial pages: SLA credits (list with filters and CSV; the terms editor and a
month's assessment for staff), obligations of both sides (due moments with filters and
CSV, adding one, marking one met), savings for the client, margin for the provider only,
and the monthly service review with its PDF."""

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.governance.billing import commercial_selectors as selectors
from tercero.governance.billing import credits, obligations, savings, service_review
from tercero.governance.billing.models import Obligation, ObligationOccurrence, Unit
from tercero.platform.errors import DomainError, InvalidInput, NotFound
from tercero.platform.pages import back, page, refused, version_of
from tercero.platform.tenancy.models import Client
from tercero.web.lists import Column, Filter, Listing
from tercero.web.money import format_money, to_minor

READ, MANAGE = "billing:read", "billing:manage"
MEASURE_ROWS = 6


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 (a calendar month)
    except ValueError:
        return timezone.localdate().replace(day=1)


def _months(chosen: date) -> list[date]:
    months, cursor = [], timezone.localdate().replace(day=1)
    for _ in range(12):
        months.append(cursor)
        cursor = credits.add_months(cursor, -1)
    return months if chosen in months else [chosen, *months]


def _engagement_filter(caller) -> Filter:
    mine = selectors.engagements_of(client_ids=caller.client_ids)
    return Filter(
        "engagement",
        "Engagement",
        tuple((str(e.pk), e.name) for e in mine),
        apply=lambda qs, value: qs.filter(engagement_id=value),
    )


# --- credits -----------------------------------------------------------------------------


@page(READ)
def credit_list(request, caller):
    found = selectors.credits(client_ids=caller.client_ids, filters=selectors.CreditFilters())
    months = sorted(set(found.values_list("period", flat=True)), reverse=True)
    listing = Listing(
        request,
        found,
        columns=[
            Column("period", "Month", value=lambda row: f"{row.period:%B %Y}"),
            Column("engagement__name", "Engagement", value=lambda row: row.engagement.name),
            Column("label", "Measure"),
            Column(
                "result_percent",
                "Result",
                value=lambda row: credits.percent_text(row.result_percent),
            ),
            Column(
                "target_percent",
                "Target",
                value=lambda row: credits.percent_text(row.target_percent),
            ),
            Column("excused", "Excused measurements"),
            Column(
                "amount_minor",
                "Credit",
                value=lambda row: format_money(row.amount_minor, row.currency),
            ),
            Column(
                "earned_back_period",
                "Earned back",
                value=lambda row: (
                    f"{row.earned_back_period:%B %Y}" if row.earned_back_period else "no"
                ),
            ),
            Column("description", "How it was computed", sortable=False),
        ],
        filters=[
            _engagement_filter(caller),
            Filter(
                "month",
                "Month",
                tuple((m.isoformat(), f"{m:%B %Y}") for m in months),
                apply=lambda qs, value: qs.filter(period=value),
            ),
        ],
        default_sort="-period",
    )
    if listing.wants_csv:
        return listing.csv_response("sla-credits.csv")
    engagements = list(selectors.engagements_of(client_ids=caller.client_ids))
    return render(
        request,
        "billing/credits.html",
        {
            "listing": listing,
            "engagements": engagements,
            "is_staff": request.user.is_provider_staff,
        },
    )


def _measure_rows(request) -> list[dict]:
    rows = []
    for index in range(MEASURE_ROWS):
        measure = request.POST.get(f"measure_{index}", "").strip()
        if not measure:
            continue
        try:
            allocation = Decimal(request.POST.get(f"allocation_{index}", "") or "0")
            target_text = request.POST.get(f"target_{index}", "").strip()
            target = Decimal(target_text) if target_text else None
        except InvalidOperation as error:
            raise InvalidInput(
                f"Measure {index + 1}: give percentages as numbers, e.g. 15 or 92.5.",
                fields={f"measure_{index}": "invalid"},
            ) from error
        rows.append(
            {"measure": measure, "allocation_percent": allocation, "target_percent": target}
        )
    return rows


def _percent_field(request, name: str) -> Decimal:
    try:
        return Decimal(request.POST.get(name, "") or "0")
    except InvalidOperation as error:
        raise InvalidInput("Give percentages as numbers.", fields={name: "invalid"}) from error


@page(MANAGE, staff=True)
def credit_terms(request, caller, engagement_id: int):
    engagement = selectors.access_engagement(
        client_ids=caller.client_ids, engagement_id=engagement_id
    )
    if request.method == "POST":
        try:
            credits.set_terms(
                actor=caller.user,
                engagement=engagement,
                version=version_of(request) or 0,
                at_risk_percent=_percent_field(request, "at_risk_percent"),
                pool_percent=_percent_field(request, "pool_percent"),
                earn_back_months=int(request.POST.get("earn_back_months", "0") or 0),
                measures=_measure_rows(request),
            )
            messages.success(request, "Credit terms saved.")
            return redirect("billing:credit_terms", engagement_id=engagement.pk)
        except (DomainError, ValueError) as error:
            if not isinstance(error, DomainError):
                error = InvalidInput("Give whole months for the earn-back window.")
            refused(request, error)
    terms = selectors.terms_of(engagement=engagement)
    measures = list(terms.measures.order_by("id")) if terms else []
    rows = [
        {"index": index, "measure": measures[index] if index < len(measures) else None}
        for index in range(MEASURE_ROWS)
    ]
    month = _month(request.GET.get("month", ""))
    try:
        assessment = credits.preview(engagement=engagement, period=month) if terms else None
    except NotFound:
        assessment = None
    return render(
        request,
        "billing/credits_terms.html",
        {
            "engagement": engagement,
            "terms": terms,
            "rows": rows,
            "clocks": credits.CLOCKS,
            "month": month,
            "months": _months(month),
            "assessment": assessment,
        },
    )


# --- obligations ---------------------------------------------------------------------------


def _occurrence_listing(request, caller) -> Listing:
    found = selectors.occurrences(
        client_ids=caller.client_ids, filters=selectors.OccurrenceFilters()
    )
    mine = selectors.engagements_of(client_ids=caller.client_ids)
    return Listing(
        request,
        found,
        columns=[
            Column(
                "due_at",
                "Due",
                value=lambda row: timezone.localtime(row.due_at).strftime("%d %b %Y %H:%M"),
            ),
            Column(
                "obligation__engagement__name",
                "Engagement",
                value=lambda row: row.obligation.engagement.name,
            ),
            Column("obligation__title", "Obligation", value=lambda row: row.obligation.title),
            Column(
                "obligation__side", "Whose", value=lambda row: row.obligation.get_side_display()
            ),
            Column("status", "Status", value=lambda row: row.get_status_display()),
            Column(
                "met_at",
                "Met",
                value=lambda row: (
                    timezone.localtime(row.met_at).strftime("%d %b %Y %H:%M")
                    if row.met_at
                    else "not yet"
                ),
            ),
            Column(
                "late_recorded_at",
                "Late",
                sortable=False,
                value=lambda row: "yes" if row.was_late else "no",
            ),
        ],
        filters=[
            Filter(
                "engagement",
                "Engagement",
                tuple((str(e.pk), e.name) for e in mine),
                apply=lambda qs, value: qs.filter(obligation__engagement_id=value),
            ),
            Filter(
                "side",
                "Whose",
                tuple(Obligation.Side.choices),
                apply=lambda qs, value: qs.filter(obligation__side=value),
            ),
            Filter("status", "Status", tuple(ObligationOccurrence.Status.choices)),
        ],
        default_sort="-due_at",
    )


@page(READ)
def obligation_list(request, caller):
    listing = _occurrence_listing(request, caller)
    if listing.wants_csv:
        return listing.csv_response("obligations.csv")
    markable = set()
    for occurrence in listing.rows:
        try:
            obligations.may_mark_met(caller, occurrence)
            if occurrence.status != ObligationOccurrence.Status.MET:
                markable.add(occurrence.pk)
        except DomainError:
            continue
    return render(
        request,
        "billing/obligations.html",
        {
            "listing": listing,
            "markable": markable,
            "may_manage": MANAGE in caller.permissions,
            "engagements": list(selectors.engagements_of(client_ids=caller.client_ids)),
            "obligations": list(selectors.obligations(client_ids=caller.client_ids)),
            "sides": Obligation.Side.choices,
            "clocks": credits.CLOCKS,
        },
    )


def _obligation_fields(request) -> dict:
    post = request.POST
    try:
        due_date = date.fromisoformat(post["due_date"]) if post.get("due_date") else None
        day = int(post["monthly_day"]) if post.get("monthly_day") else None
        due_time = time.fromisoformat(post.get("due_time") or "17:00")
        excuse_days = int(post.get("excuse_days") or 0)
    except ValueError as error:
        raise InvalidInput(
            "Give the due date as a date, the day of the month and the excuse days as whole "
            "numbers, and the time as hours and minutes.",
            fields={"due_date": "invalid"},
        ) from error
    return {
        "title": post.get("title", ""),
        "side": post.get("side", ""),
        "due_date": due_date,
        "monthly_day": day,
        "due_time": due_time,
        "measures": post.getlist("measures"),
        "work_type": post.get("work_type", "").strip(),
        "excuse_days": excuse_days,
    }


@require_POST
@page(MANAGE, staff=True)
def obligation_new(request, caller):
    engagement_id = request.POST.get("engagement", "")
    engagement = selectors.access_engagement(
        client_ids=caller.client_ids,
        engagement_id=int(engagement_id) if engagement_id.isdigit() else 0,
    )
    try:
        obligations.create_obligation(
            actor=caller.user, engagement=engagement, fields=_obligation_fields(request)
        )
        messages.success(request, "Obligation added.")
    except DomainError as error:
        refused(request, error)
    return redirect("billing:obligations")


@require_POST
@page(READ)
def occurrence_met(request, caller, occurrence_id: int):
    found = selectors.access_occurrence(client_ids=caller.client_ids, occurrence_id=occurrence_id)
    try:
        obligations.may_mark_met(caller, found)
        obligations.mark_met(
            actor=caller.user,
            occurrence=found,
            version=version_of(request) or 0,
            note=request.POST.get("note", ""),
        )
        messages.success(request, "Marked met.")
    except DomainError as error:
        refused(request, error)
    return back(request, "/billing/obligations/")


@require_POST
@page(MANAGE, staff=True)
def obligation_retire(request, caller, obligation_id: int):
    found = selectors.access_obligation(client_ids=caller.client_ids, obligation_id=obligation_id)
    try:
        obligations.retire_obligation(
            actor=caller.user, obligation=found, version=version_of(request) or 0
        )
        messages.success(request, "Obligation retired: no further due dates.")
    except DomainError as error:
        refused(request, error)
    return redirect("billing:obligations")


# --- savings and margin --------------------------------------------------------------------


def _csv(name: str, header: tuple[str, ...], rows) -> HttpResponse:
    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(sink.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _client_choice(request, caller) -> int | None:
    chosen = request.GET.get("client", "")
    return int(chosen) if chosen.isdigit() and int(chosen) in caller.client_ids else None


def _saving_row(s: savings.Saving) -> tuple:
    return (
        s.engagement,
        f"{s.period:%Y-%m}",
        s.unit,
        f"{s.units.normalize():f}",
        format_money(s.in_house_minor, s.currency),
        format_money(s.provider_minor, s.currency),
        format_money(s.saving_minor, s.currency),
        s.saving_percent,
        s.currency,
        "yes" if s.is_provisional else "no",
    )


@page(READ)
def savings_page(request, caller):
    month = _month(request.GET.get("month", ""))
    client_id = _client_choice(request, caller)
    engagements = list(selectors.engagements_of(client_ids=caller.client_ids, client_id=client_id))
    found = [s for e in engagements if (s := savings.saving(engagement=e, period=month))]
    if request.GET.get("format") == "csv":
        return _csv(
            f"savings-{month:%Y-%m}.csv",
            ("engagement", "month", "unit", "units", "in_house", "through_provider", "saving",
             "saving_percent", "currency", "provisional"),
            [_saving_row(s) for s in found],
        )  # fmt: skip
    return render(
        request,
        "billing/savings.html",
        {
            "month": month,
            "months": _months(month),
            "savings": found,
            "engagements": engagements,
            "baseline_rows": [(e, selectors.baseline_of(engagement=e)) for e in engagements],
            "clients": Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name"),
            "client_id": client_id,
            "units": Unit.choices,
            "may_manage": MANAGE in caller.permissions and request.user.is_provider_staff,
        },
    )


@require_POST
@page(MANAGE, staff=True)
def baseline_set(request, caller, engagement_id: int):
    engagement = selectors.access_engagement(
        client_ids=caller.client_ids, engagement_id=engagement_id
    )
    currency = request.POST.get("currency", "").strip().upper()
    try:
        savings.set_baseline(
            actor=caller.user,
            engagement=engagement,
            unit=request.POST.get("unit", ""),
            cost_minor=to_minor(request.POST.get("cost", "").strip() or "x", currency or "GBP"),
            currency=currency,
            note=request.POST.get("note", ""),
        )
        messages.success(request, "In-house baseline saved.")
    except (DomainError, ValueError, InvalidOperation) as error:
        if not isinstance(error, DomainError):
            error = InvalidInput("Give the in-house cost as an amount, e.g. 14.50.")
        refused(request, error)
    return back(request, "/billing/savings/")


@page(READ, staff=True)
def margin_page(request, caller):
    month = _month(request.GET.get("month", ""))
    client_id = _client_choice(request, caller)
    engagements = selectors.engagements_of(client_ids=caller.client_ids, client_id=client_id)
    found = savings.margins(period=month, engagements=engagements)
    if request.GET.get("format") == "csv":
        return _csv(
            f"margin-{month:%Y-%m}.csv",
            ("engagement", "month", "revenue", "cost", "margin", "margin_percent",
             "billed_hours", "paid_hours", "bill_to_pay_percent", "currency"),
            [(m.engagement, f"{m.period:%Y-%m}", format_money(m.revenue_minor, m.currency),
              format_money(m.cost_minor, m.currency), format_money(m.margin_minor, m.currency),
              m.margin_percent, m.billed_hours, m.paid_hours, m.bill_to_pay, m.currency)
             for m in found],
        )  # fmt: skip
    return render(
        request,
        "billing/margin.html",
        {
            "month": month,
            "months": _months(month),
            "margins": found,
            "clients": Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name"),
            "client_id": client_id,
        },
    )


# --- the service review ---------------------------------------------------------------------


def _review_client(caller, client_id: int) -> Client:
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    return Client.objects.get(pk=client_id)


@page(READ)
def review_start(request, caller):
    clients = list(Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name"))
    return render(request, "billing/review_start.html", {"clients": clients})


@page(READ)
def review_page(request, caller, client_id: int):
    client = _review_client(caller, client_id)
    month = _month(request.GET.get("month", ""))
    found = service_review.review(client=client, period=month)
    return render(
        request, "billing/review.html", {"review": found, "months": _months(month), "month": month}
    )


@page(READ)
def review_pdf(request, caller, client_id: int):
    client = _review_client(caller, client_id)
    found = service_review.review(client=client, period=_month(request.GET.get("month", "")))
    pdf = service_review.review_pdf(found=found, actor=caller.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="service-review-{found.period:%Y-%m}.pdf"'
    )
    return response
