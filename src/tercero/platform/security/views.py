"""The ops console's security desk: alerts about staff use of client data, reveals
waiting for a supervisor, and step-ups to lift. Mounted with the operations floor's
pages (/ops/security/, URL names work:security*)."""

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import page
from tercero.platform.security import services as security
from tercero.platform.security.models import RevealGrant, SecurityAlert, StepUp
from tercero.web.lists import Column, Filter, Listing

STATE_CHOICES = (("open", "Open"), ("handled", "Handled"))


def _state(queryset: QuerySet[SecurityAlert], value: str) -> QuerySet[SecurityAlert]:
    return queryset.filter(acknowledged_at__isnull=value == "open")


@page("security:read", staff=True)
def alerts(request: HttpRequest, caller: Caller) -> HttpResponse:
    found = SecurityAlert.objects.filter(client_id__in=caller.client_ids).select_related(
        "user", "client", "acknowledged_by"
    )
    listing = Listing(
        request,
        found,
        columns=[
            Column("created_at", "Raised"),
            Column("user__email", "Person", value=lambda a: a.user.email),
            Column("client__legal_name", "Client", value=lambda a: a.client.legal_name),
            Column("kind", "What", value=lambda a: a.get_kind_display()),
            Column("count", "Count"),
            Column("limit", "Limit"),
            Column("detail", "Detail", sortable=False),
            Column("acknowledged_at", "Handled"),
            Column("note", "Note", sortable=False),
        ],
        filters=[
            Filter("state", "State", STATE_CHOICES, apply=_state),
            Filter("kind", "What", tuple(SecurityAlert.Kind.choices)),
        ],
        search=lambda qs, q: qs.filter(Q(user__email__icontains=q) | Q(detail__icontains=q)),
        search_label="Search person or detail",
        default_sort="-created_at",
    )
    if listing.wants_csv:
        return listing.csv_response("security-alerts.csv")
    pending = RevealGrant.objects.filter(
        client_id__in=caller.client_ids, status=RevealGrant.Status.PENDING
    ).select_related("user")
    stepped_up = StepUp.objects.filter(lifted_at__isnull=True).select_related("user")
    return render(
        request,
        "security/console.html",
        {
            "listing": listing,
            "pending": pending,
            "stepped_up": stepped_up,
            "may_handle": "work:assign" in caller.permissions,
        },
    )


@require_POST
@page("work:assign", staff=True)
def acknowledge(request: HttpRequest, caller: Caller, alert_id: int) -> HttpResponse:
    alert = SecurityAlert.objects.filter(client_id__in=caller.client_ids, pk=alert_id).first()
    if alert is None:
        raise NotFound("Alert not found.")
    try:
        security.acknowledge_alert(
            actor=caller.user,
            alert=alert,
            note=request.POST.get("note", ""),
            lift_step_up=request.POST.get("lift") == "yes",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Alert handled.")
    return redirect("work:security")


@require_POST
@page("work:assign", staff=True)
def decide_reveal(request: HttpRequest, caller: Caller, reveal_id: int) -> HttpResponse:
    grant = RevealGrant.objects.filter(
        client_id__in=caller.client_ids, pk=reveal_id, status=RevealGrant.Status.PENDING
    ).first()
    if grant is None:
        raise NotFound("Request not found.")
    approve = request.POST.get("decision") == "approve"
    try:
        security.decide_reveal(actor=caller.user, grant=grant, approve=approve)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Reveal approved." if approve else "Reveal refused.")
    return redirect("work:security")
