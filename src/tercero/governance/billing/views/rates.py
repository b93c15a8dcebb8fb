"""Rate card pages for provider managers: the cards, and one card's versions with their
prices, each change through `rates` (audited) and a refusal shown as a message."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.delivery.work import registry
from tercero.delivery.workforce import selectors as workforce
from tercero.governance.billing import pricing, rates, selectors
from tercero.governance.billing.metering import kinds
from tercero.governance.billing.models import RateLine, Shore, Unit
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused, version_of
from tercero.web.money import places, to_minor

MANAGE = "billing:manage"
BAND_ROWS = 5


@page(MANAGE, staff=True)
def rate_card_list(request, caller):
    cards = selectors.rate_cards(client_ids=caller.client_ids).order_by(
        "client__legal_name", "name"
    )
    found = engagements(client_ids=caller.client_ids).select_related("client").order_by("name")
    return render(request, "billing/rates.html", {"cards": cards, "engagements": found})


def _number(value: str | None, field: str, default: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    try:
        return int(str(value))
    except ValueError:
        raise InvalidInput("Give a whole number.", fields={field: "a whole number"}) from None


def _day(value: str | None, field: str) -> date:
    found = _date(value, field, required=True)
    assert found is not None  # required: a missing date was refused
    return found


def _date(value: str | None, field: str, *, required: bool) -> date | None:
    if not value:
        if required:
            raise InvalidInput("Give a date.", fields={field: "required"})
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give a date.", fields={field: "a date"}) from None


def _money(value: str | None, currency: str, field: str) -> int:
    try:
        return to_minor(Decimal(value or "0"), currency) if (value or "").strip() else 0
    except (ValueError, ArithmeticError):
        raise InvalidInput(
            f"Give an amount in {currency} with at most {places(currency)} decimals.",
            fields={field: "an amount"},
        ) from None


@require_POST
@page(MANAGE, staff=True)
def rate_card_new(request, caller):
    try:
        engagement = access_engagement(
            client_ids=caller.client_ids,
            engagement_id=_number(request.POST.get("engagement"), "engagement"),
        )
        card = rates.create_card(
            actor=request.user,
            engagement=engagement,
            name=request.POST.get("name", ""),
            currency=request.POST.get("currency", ""),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("billing:rates")
    messages.success(request, "Rate card created; add its first version.")
    return redirect("billing:rate_card", card.pk)


@page(MANAGE, staff=True)
def rate_card_page(request, caller, rate_card_id: int):
    card = selectors.access_rate_card(client_ids=caller.client_ids, rate_card_id=rate_card_id)
    versions = [
        {
            "version": version,
            "lines": list(selectors.lines_of(rate_version=version)),
            "is_invoiced": rates.is_locked(version),
            "minimum": Decimal(version.monthly_minimum_minor).scaleb(-places(card.currency)),
        }
        for version in selectors.versions_of(rate_card=card)
    ]
    context = {
        "card": card,
        "versions": versions,
        "units": Unit.choices,
        "shores": Shore.choices,
        "bandings": RateLine.Banding.choices,
        "work_types": [work_type.key for work_type in registry.all_types()],
        "outcome_kinds": sorted(kinds() - {"item.resolved", "item.payload_changed"}),
        "sites": workforce.sites(is_active=True).order_by("name"),
        "band_rows": range(1, BAND_ROWS + 1),
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "billing/rate_card.html", context)


@require_POST
@page(MANAGE, staff=True)
def rate_card_edit(request, caller, rate_card_id: int):
    card = selectors.access_rate_card(client_ids=caller.client_ids, rate_card_id=rate_card_id)
    changes: dict[str, Any] = {"is_active": request.POST.get("is_active") == "on"}
    if request.POST.get("name"):
        changes["name"] = request.POST["name"]
    try:
        rates.update_card(
            actor=request.user, card=card, version=version_of(request) or 0, changes=changes
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Rate card saved.")
    return redirect("billing:rate_card", card.pk)


@require_POST
@page(MANAGE, staff=True)
def rate_version_new(request, caller, rate_card_id: int):
    card = selectors.access_rate_card(client_ids=caller.client_ids, rate_card_id=rate_card_id)
    post = request.POST
    try:
        rates.add_version(
            actor=request.user,
            card=card,
            effective_from=_day(post.get("effective_from"), "effective_from"),
            effective_to=_date(post.get("effective_to"), "effective_to", required=False),
            monthly_minimum_minor=_money(post.get("monthly_minimum"), card.currency, "minimum"),
            note=post.get("note", ""),
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Version added; the previous version's prices were copied.")
    return redirect("billing:rate_card", card.pk)


@require_POST
@page(MANAGE, staff=True)
def rate_version_edit(request, caller, rate_version_id: int):
    found = selectors.access_version(client_ids=caller.client_ids, version_id=rate_version_id)
    post, currency = request.POST, found.rate_card.currency
    try:
        rates.update_version(
            actor=request.user,
            rate_version=found,
            version=version_of(request) or 0,
            changes={
                "effective_from": _date(
                    post.get("effective_from"), "effective_from", required=True
                ),
                "effective_to": _date(post.get("effective_to"), "effective_to", required=False),
                "monthly_minimum_minor": _money(post.get("monthly_minimum"), currency, "minimum"),
                "note": post.get("note", "")[:300],
            },
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Version saved.")
    return redirect("billing:rate_card", found.rate_card_id)


def _bands(post, currency: str) -> list[dict[str, Any]]:
    bands = []
    for row in range(1, BAND_ROWS + 1):
        up_to, price = post.get(f"band_up_to_{row}", ""), post.get(f"band_price_{row}", "")
        if not up_to.strip() and not price.strip():
            continue
        bands.append(
            {
                "up_to": _number(up_to, f"bands[{row}].up_to") if up_to.strip() else None,
                "price_minor": _money(price, currency, f"bands[{row}].price_minor"),
            }
        )
    return bands


@require_POST
@page(MANAGE, staff=True)
def rate_line_new(request, caller, rate_version_id: int):
    found = selectors.access_version(client_ids=caller.client_ids, version_id=rate_version_id)
    post, currency = request.POST, found.rate_card.currency
    try:
        banding = post.get("banding") or pricing.FLAT
        fields = {
            "unit": post.get("unit", ""),
            "work_type": post.get("work_type", ""),
            "outcome_kind": post.get("outcome_kind", ""),
            "shore": post.get("shore", ""),
            "site_id": _number(post.get("site"), "site_id") if post.get("site") else None,
            "skill": post.get("skill", ""),
            "banding": banding,
            "price_minor": _money(post.get("price"), currency, "price_minor")
            if banding == pricing.FLAT
            else 0,
            "bands": _bands(post, currency) if banding != pricing.FLAT else [],
            "description": post.get("description", ""),
        }
        rates.add_line(actor=request.user, rate_version=found, fields=fields)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Price added.")
    return redirect("billing:rate_card", found.rate_card_id)


@require_POST
@page(MANAGE, staff=True)
def rate_line_remove(request, caller, rate_line_id: int):
    line = selectors.access_line(client_ids=caller.client_ids, line_id=rate_line_id)
    card_id = line.rate_card_version.rate_card_id
    try:
        rates.remove_line(actor=request.user, line=line)
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Price removed.")
    return redirect("billing:rate_card", card_id)
