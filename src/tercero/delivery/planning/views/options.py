"""Delivery options for an engagement: the provider's sites side by side, as a page and as
a PDF for the client (WeasyPrint, no external resources)."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language_info

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.selectors import access_engagement
from tercero.delivery.planning import options
from tercero.platform.api.caller import Caller
from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput, NotFound
from tercero.platform.pages import page, refused
from tercero.web.money import format_money

LIMITS = {
    "monthly_volume": (0, 100_000_000),
    "aht_seconds": (1, 86_400),
    "target_percent": (1, 99),
    "answer_seconds": (0, 3600),
}


@page("planning:read", staff=True)
def options_page(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = _engagement(caller, engagement_id)
    try:
        inputs = _inputs(request.GET, engagement)
    except InvalidInput as error:
        refused(request, error)
        inputs = _inputs({}, engagement)
    found = _compare(engagement, inputs)
    return render(
        request,
        "planning/options.html",
        {**_context(found), "inputs": inputs},
    )


@page("planning:read", staff=True)
def options_pdf(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    from weasyprint import HTML  # type: ignore[import-untyped]  # imported here: loading Pango costs ~0.3 s

    engagement = _engagement(caller, engagement_id)
    try:
        inputs = _inputs(request.GET, engagement)
    except InvalidInput:
        inputs = _inputs({}, engagement)
    found = _compare(engagement, inputs)
    html = render_to_string(
        "planning/options_pdf.html",
        {**_context(found), "made": timezone.now()},
    )
    record(
        action="planning.options.exported",
        actor=caller.user,
        client=engagement.client_id,
        object_type="engagement",
        object_id=engagement.pk,
        payload={"sites": len(found.options)},
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="delivery-options-{engagement.pk}.pdf"'
    return response


def _engagement(caller: Caller, engagement_id: int) -> Engagement:
    if not 0 < engagement_id < 2**62:
        raise NotFound("Engagement not found.")
    return access_engagement(client_ids=caller.client_ids, engagement_id=engagement_id)


def _inputs(params: Mapping[str, Any], engagement: Engagement) -> dict[str, int]:
    """The scope's figures from the form, each within its limits; the engagement's
    monthly volume when none is given."""
    defaults = {
        "monthly_volume": engagement.monthly_volume,
        "aht_seconds": int(options.DEFAULT_AHT_SECONDS),
        "target_percent": round(options.DEFAULT_TARGET * 100),
        "answer_seconds": options.DEFAULT_ANSWER_SECONDS,
    }
    found = {}
    for name, default in defaults.items():
        text = str(params.get(name, "") or "").strip()
        try:
            value = int(text) if text else default
        except ValueError:
            raise InvalidInput("Give whole numbers.", fields={name: "a whole number"}) from None
        low, high = LIMITS[name]
        if not low <= value <= high:
            raise InvalidInput(
                f"Give a number from {low} to {high}.", fields={name: "out of range"}
            )
        found[name] = value
    return found


def _compare(engagement: Engagement, inputs: dict[str, int]) -> options.Comparison:
    return options.compare_engagement(
        engagement=engagement,
        monthly_volume=inputs["monthly_volume"],
        aht_seconds=float(inputs["aht_seconds"]),
        target=inputs["target_percent"] / 100,
        answer_seconds=inputs["answer_seconds"],
    )


def _context(found: options.Comparison) -> dict[str, Any]:
    rows = [
        {
            "option": option,
            "cost": format_money(option.cost_minor, option.currency),
            "hourly": format_money(option.site.hourly_cost_minor, option.currency),
            "shrinkage": f"{100 * option.shrinkage:.1f}".removesuffix(".0") + " %",
            "covered": [language_name(code) for code in option.languages_covered],
            "missing": [language_name(code) for code in option.languages_missing],
        }
        for option in found.options
    ]
    return {
        "engagement": found.engagement,
        "found": found,
        "rows": rows,
        "languages": [language_name(code) for code in found.engagement.languages],
    }


def language_name(code: str) -> str:
    """'es' -> 'Spanish'; a code Django does not know stays as it is."""
    try:
        return str(get_language_info(code)["name"])
    except KeyError:
        return code
