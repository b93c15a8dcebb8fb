"""crm pages, for provider staff and the client's own people alike: conversions (the
client's portal view of what its campaigns produced, with CSV), opportunities by
stage (the pipeline) and one opportunity, accounts and contacts (masked)."""

from datetime import UTC, datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused, version_of
from tercero.services.crm import selectors, services
from tercero.services.crm.models import Conversion, Opportunity
from tercero.web.lists import Column, Filter, Listing
from tercero.web.money import places, to_minor

READ = "crm:read"
WRITE = "crm:write"
MASK = "•••••"


def _major(minor: int, currency: str) -> str:
    """Minor units as a plain decimal amount for a CSV cell ("1250.00")."""
    return str(Decimal(minor).scaleb(-places(currency)))


def _masked(sealed: str) -> str:
    return MASK if sealed else "erased or not given"


def _csv_or_page(request, caller, listing: Listing, name: str, template: str, context: dict):
    if listing.wants_csv:
        response = listing.csv_response(name)
        rows = max(response.content.count(b"\n") - 1, 0)
        for client_id in caller.client_ids:
            services.record_export(actor=request.user, client_id=client_id, format="csv", rows=rows)
        return response
    return render(request, template, {"listing": listing, **context})


@page(READ)
def conversions(request, caller):
    found = selectors.conversions(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("occurred_at", "When"),
            Column("kind", "Kind", value=lambda c: c.get_kind_display()),
            Column("value_minor", "Value", value=lambda c: _major(c.value_minor, c.currency)),
            Column("currency", "Currency"),
            Column("source_campaign_id", "Campaign", sortable=False),
            Column("opportunity__title", "Opportunity"),
        ],
        filters=[Filter("kind", "Kind", tuple(Conversion.Kind.choices))],
        default_sort="-occurred_at",
    )
    totals = selectors.conversion_totals(client_ids=caller.client_ids)
    return _csv_or_page(
        request, caller, listing, "conversions.csv", "crm/conversions.html", {"totals": totals}
    )


@page(READ)
def opportunities(request, caller):
    found = selectors.opportunities(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("title", "Opportunity"),
            Column("account__name", "Account"),
            Column("stage", "Stage", value=lambda o: o.get_stage_display()),
            Column("value_minor", "Value", value=lambda o: _major(o.value_minor, o.currency)),
            Column("currency", "Currency"),
            Column("next_step", "Next step"),
            Column("next_step_at", "Due"),
        ],
        filters=[Filter("stage", "Stage", tuple(Opportunity.Stage.choices))],
        search=lambda qs, q: qs.filter(title__icontains=q) | qs.filter(account__name__icontains=q),
        default_sort="-updated_at",
    )
    stages = _pipeline(caller)
    return _csv_or_page(
        request, caller, listing, "opportunities.csv", "crm/opportunities.html", {"stages": stages}
    )


def _pipeline(caller) -> list[dict]:
    rows = selectors.pipeline(client_ids=caller.client_ids)
    labels = dict(Opportunity.Stage.choices)
    return [
        {
            "stage": labels[stage],
            "lines": [r for r in rows if r["stage"] == stage],
        }
        for stage in labels
    ]


@page(READ)
def opportunity_detail(request, caller, opportunity_id: int):
    opportunity = selectors.access_opportunity(
        client_ids=caller.client_ids, opportunity_id=opportunity_id
    )
    if request.method == "POST":
        return _update(request, caller, opportunity)
    return render(
        request,
        "crm/opportunity.html",
        {
            "opportunity": opportunity,
            "stages": Opportunity.Stage.choices,
            "may_write": WRITE in caller.permissions,
            "contact_name": _masked(opportunity.contact.name) if opportunity.contact else "",
            "conversions": opportunity.conversions.order_by("-occurred_at"),
        },
    )


def _utc(text: str) -> datetime | None:
    """A datetime-local field's value, read as UTC (the form says so)."""
    try:
        moment = parse_datetime(text.strip())
    except ValueError:
        raise InvalidInput(
            "Please check the due time.", fields={"next_step_at": "a time"}
        ) from None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _update(request, caller, opportunity):
    if WRITE not in caller.permissions:
        raise PermissionDenied("Changing an opportunity needs the 'crm:write' permission.")
    post = request.POST
    try:
        value = post.get("value", "").strip()
        try:
            value_minor = to_minor(value, opportunity.currency) if value else None
        except ValueError:
            raise InvalidInput("Please check the value.", fields={"value": "an amount"}) from None
        services.update_opportunity(
            actor=request.user,
            opportunity=opportunity,
            version=version_of(request) or 0,
            stage=post.get("stage") or None,
            value_minor=value_minor,
            next_step=post.get("next_step"),
            next_step_at=_utc(post.get("next_step_at", "")),
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Opportunity saved.")
    return redirect("crm:opportunity", opportunity_id=opportunity.pk)


@page(READ)
def accounts(request, caller):
    listing = Listing(
        request,
        selectors.accounts(client_ids=caller.client_ids),
        columns=[
            Column("name", "Account"),
            Column("number", "Number"),
            Column("contact_count", "Contacts"),
            Column("created_at", "Since"),
        ],
        search=lambda qs, q: qs.filter(name__icontains=q) | qs.filter(number__iexact=q),
        default_sort="name",
    )
    return _csv_or_page(request, caller, listing, "accounts.csv", "crm/accounts.html", {})


@page(READ)
def account_detail(request, caller, account_id: int):
    account = selectors.access_account(client_ids=caller.client_ids, account_id=account_id)
    contacts = [
        {
            "name": _masked(c.name),
            "phone": _masked(c.phone),
            "email": _masked(c.email),
            "erased": c.erased_at,
        }
        for c in selectors.contacts(client_ids=caller.client_ids, account_id=account.pk)
    ]
    opportunities = account.opportunities.order_by("-updated_at")
    return render(
        request,
        "crm/account.html",
        {"account": account, "contacts": contacts, "opportunities": opportunities},
    )


@require_POST
@page(WRITE)
def account_new(request, caller):
    try:
        client_id = int(request.POST.get("client") or (caller.client_ids or [0])[0])
    except ValueError:
        client_id = 0
    if client_id not in caller.client_ids:
        raise Http404("Client not found.")
    try:
        account = services.create_account(
            actor=request.user,
            client_id=client_id,
            name=request.POST.get("name", ""),
            number=request.POST.get("number", ""),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("crm:accounts")
    return redirect("crm:account", account_id=account.pk)
