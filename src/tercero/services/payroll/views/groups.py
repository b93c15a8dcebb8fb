"""Pay group pages: the list (with a form for a new group) and a group's page: its
settings, paying account and pay calendar, with the form that changes them."""

from datetime import date

from django.contrib import messages
from django.db.models import Max
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused, version_of
from tercero.services.payroll import groups, paydates, selectors
from tercero.services.payroll.models import PayGroup
from tercero.services.payroll.views import rti as rti_views
from tercero.services.payroll.views import rules as rules_views
from tercero.web.lists import Column, Filter, Listing

SETTINGS = (
    "name",
    "payer_iban",
    "payer_bic",
    "payer_routing",
    "bank_routing",
    "company_id",
    "pay_rule",
    "pay_offset_days",
    "pay_day",
)


@page("payroll:read")
def group_list(request, caller):
    found = (
        selectors.pay_groups(client_ids=caller.client_ids)
        .select_related("client")
        .annotate(rules_number=Max("rule_sets__number"))
    )
    listing = Listing(
        request,
        found,
        columns=[
            Column("name", "Pay group"),
            Column("client__legal_name", "Client"),
            Column("frequency", "Frequency"),
            Column("currency", "Currency"),
            Column("jurisdiction", "Jurisdiction"),
            Column("period_anchor", "Calendar from"),
            Column("rules_number", "Rules version"),
        ],
        filters=[Filter("frequency", "Frequency", tuple(PayGroup.Frequency.choices))],
        search=lambda qs, text: qs.filter(name__icontains=text),
        search_label="Search pay groups",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("pay-groups.csv")
    may_write = request.user.is_provider_staff and "payroll:write" in caller.permissions
    context = {
        "listing": listing,
        "engagements": engagements(client_ids=caller.client_ids, service_line="payroll")
        .select_related("client")
        .order_by("name")
        if may_write
        else [],
        "frequencies": PayGroup.Frequency.choices,
    }
    return render(request, "payroll/groups.html", context)


def _date_or_none(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give a date.", fields={field: "YYYY-MM-DD"}) from None


def _number(value: str, field: str, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise InvalidInput("Give a whole number.", fields={field: "number"}) from None


def _calendar_fields(post) -> dict:
    return {
        "period_anchor": _date_or_none(post.get("period_anchor", ""), "period_anchor"),
        "pay_rule": post.get("pay_rule") or "offset",
        "pay_offset_days": _number(post.get("pay_offset_days"), "pay_offset_days", 0),
        "pay_day": _number(post.get("pay_day"), "pay_day", 28),
    }


@require_POST
@page("payroll:write", staff=True)
def group_new(request, caller):
    try:
        engagement = access_engagement(
            client_ids=caller.client_ids,
            engagement_id=_number(request.POST.get("engagement"), "engagement", 0),
        )
        calendar = _calendar_fields(request.POST)
        group = groups.create_pay_group(
            actor=request.user,
            engagement=engagement,
            name=request.POST.get("name", ""),
            frequency=request.POST.get("frequency", ""),
            currency=request.POST.get("currency", ""),
            jurisdiction=request.POST.get("jurisdiction") or "GB",
            period_anchor=calendar["period_anchor"],
            pay_rule=calendar["pay_rule"],
            pay_offset_days=calendar["pay_offset_days"],
            pay_day=calendar["pay_day"],
        )
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:groups")
    messages.success(request, "Pay group created with the default rules; add its paying account.")
    return redirect("payroll:group", group.pk)


@page("payroll:read")
def group_page(request, caller, pay_group_id: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    upcoming = groups.next_period(group)
    context = {
        "group": group,
        "calendar": paydates.periods(group, after=upcoming.start, count=12) if upcoming else [],
        "next_period": upcoming,
        "may_write": request.user.is_provider_staff and "payroll:write" in caller.permissions,
        **rules_views.group_rules_context(group),
        "runs": selectors.runs(client_ids=caller.client_ids).filter(pay_group=group)[:12],
        **rti_views.group_context(request, caller, group),
    }
    return render(request, "payroll/group.html", context)


@require_POST
@page("payroll:write", staff=True)
def group_edit(request, caller, pay_group_id: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    try:
        changes = {name: request.POST.get(name, "") for name in SETTINGS if name in request.POST}
        changes.update(_calendar_fields(request.POST))
        groups.update_pay_group(
            actor=request.user,
            group=group,
            version=version_of(request) or 0,
            changes=changes,
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Pay group saved.")
    return redirect("payroll:group", group.pk)
