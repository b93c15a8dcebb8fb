"""Campaign pages: the list, a new campaign, one campaign (change it, its lists, start,
pause, close). Dispositions, custom lead fields and recycling rules are edited as plain
lines, one per row, fields separated by "|"."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.selectors import engagements as engagements_of
from tercero.delivery.work import selectors as work_selectors
from tercero.platform.errors import DomainError, InvalidInput, PermissionDenied
from tercero.platform.pages import page, refused, version_of
from tercero.services.outbound import campaigns, compliance, selectors
from tercero.services.outbound.models import Campaign

MANAGE = "outbound:manage"
DIAL = "outbound:dial"


def _lines(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("|")] for line in text.splitlines() if line.strip()
    ]


def dispositions_from(text: str) -> list[dict]:
    rows = []
    for cells in _lines(text):
        if len(cells) != 4:
            raise InvalidInput(
                "Please check the dispositions.",
                fields={"dispositions": "each line: key | label | hotkey | outcome"},
            )
        rows.append(dict(zip(("key", "label", "hotkey", "outcome"), cells, strict=True)))
    return rows


def fields_from(text: str) -> list[dict]:
    rows = []
    for cells in _lines(text):
        if len(cells) < 3:
            raise InvalidInput(
                "Please check the lead fields.",
                fields={"lead_fields": "each line: key | label | kind | required | choices"},
            )
        cells += ["", ""]
        rows.append(
            {
                "key": cells[0],
                "label": cells[1],
                "kind": cells[2],
                "required": cells[3].lower() in ("yes", "required", "true"),
                "choices": [c.strip() for c in cells[4].split(",") if c.strip()],
            }
        )
    return rows


def recycling_from(text: str) -> dict:
    rows = {}
    for cells in _lines(text):
        if len(cells) != 3:
            raise InvalidInput(
                "Please check the recycling rules.",
                fields={"recycling": "each line: disposition | minutes | most attempts"},
            )
        rows[cells[0]] = {"after_minutes": cells[1], "max_attempts": cells[2]}
    return rows


def as_lines(campaign: Campaign) -> dict[str, str]:
    return {
        "dispositions": "\n".join(
            f"{d['key']} | {d['label']} | {d['hotkey']} | {d['outcome']}"
            for d in campaign.dispositions
        ),
        "lead_fields": "\n".join(
            f"{f['key']} | {f['label']} | {f['kind']} | {'yes' if f['required'] else 'no'}"
            f" | {', '.join(f.get('choices', []))}"
            for f in campaign.lead_fields
        ),
        "recycling": "\n".join(
            f"{key} | {rule['after_minutes']} | {rule['max_attempts']}"
            for key, rule in campaign.recycling.items()
        ),
    }


def _form_fields(post) -> dict:
    fields = {
        name: post.get(name, "").strip()
        for name in ("name", "goal", "mode", "pack", "abandon_cap_percent", "caller_id")
        if name in post
    }
    if "queue" in post:
        fields["queue"] = post.get("queue") or None
    if "dispositions" in post:
        fields["dispositions"] = dispositions_from(post["dispositions"])
    if "lead_fields" in post:
        fields["lead_fields"] = fields_from(post["lead_fields"])
    if "recycling" in post:
        fields["recycling"] = recycling_from(post["recycling"])
    return fields


def _choices() -> dict:
    return {
        "goals": Campaign.Goal.choices,
        "modes": Campaign.Mode.choices,
        "packs": [(key, compliance.load(key).name) for key in compliance.packs.available()],
        "outcomes": sorted(campaigns.OUTCOMES),
    }


@page(DIAL, staff=True)
def campaign_list(request, caller):
    found = selectors.campaigns(client_ids=caller.client_ids).select_related("client")
    return render(
        request,
        "outbound/campaigns.html",
        {"campaigns": found[:500], "may_manage": MANAGE in caller.permissions},
    )


@page(MANAGE, staff=True)
def campaign_new(request, caller):
    engagements = engagements_of(client_ids=caller.client_ids).order_by("name")
    error = None
    if request.method == "POST":
        chosen = next(
            (e for e in engagements if str(e.pk) == request.POST.get("engagement", "")), None
        )
        try:
            if chosen is None:
                raise InvalidInput("Choose the engagement.", fields={"engagement": "required"})
            campaign = campaigns.create_campaign(
                actor=caller.user, engagement=chosen, fields=_form_fields(request.POST)
            )
        except DomainError as refusal:
            error = refusal
        else:
            messages.success(request, f"Campaign {campaign.name} created as a draft.")
            return redirect("outbound:campaign", campaign_id=campaign.pk)
    return render(
        request,
        "outbound/campaign_new.html",
        {"engagements": engagements, "error": error, "values": request.POST, **_choices()},
        status=422 if error else 200,
    )


@page(DIAL, staff=True)
def campaign_detail(request, caller, campaign_id: int):
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    may_manage = MANAGE in caller.permissions
    error = None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Changing a campaign needs the outbound:manage permission.")
        try:
            campaign = campaigns.update_campaign(
                actor=caller.user,
                campaign=campaign,
                version=version_of(request) or 0,
                changes=_form_fields(request.POST),
            )
        except DomainError as refusal:
            error = refusal
        else:
            messages.success(request, "Campaign saved.")
            return redirect("outbound:campaign", campaign_id=campaign.pk)
    queues = work_selectors.queues(
        client_ids=caller.client_ids, engagement_id=campaign.engagement_id
    ).order_by("name")
    return render(
        request,
        "outbound/campaign_detail.html",
        {
            "campaign": campaign,
            "lists": selectors.lead_lists(campaign=campaign),
            "queues": queues,
            "lines": as_lines(campaign),
            "may_manage": may_manage,
            "error": error,
            **_choices(),
        },
        status=422 if error else 200,
    )


@require_POST
@page(MANAGE, staff=True)
def campaign_status(request, caller, campaign_id: int):
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    try:
        campaign = campaigns.set_status(
            actor=caller.user,
            campaign=campaign,
            version=version_of(request) or 0,
            status=request.POST.get("status", ""),
        )
    except DomainError as refusal:
        refused(request, refusal)
    else:
        messages.success(request, f"The campaign is {campaign.get_status_display().lower()}.")
    return redirect("outbound:campaign", campaign_id=campaign.pk)
