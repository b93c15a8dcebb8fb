"""Lead list and lead pages: upload a CSV list to a campaign (every bad row named,
nothing half loaded), a list's counts, and one lead with `why not now?`."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError
from tercero.platform.pages import page
from tercero.platform.security import crypto
from tercero.services.outbound import compliance, dnc, lead_import, scrub, selectors

MANAGE = "outbound:manage"
DIAL = "outbound:dial"
MAX_UPLOAD = 100 * 1024 * 1024


@require_POST
@page(MANAGE, staff=True)
def list_upload(request, caller, campaign_id: int):
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    upload = request.FILES.get("file")
    error = None
    try:
        if upload is None:
            from tercero.platform.errors import InvalidInput

            raise InvalidInput("Choose a CSV file.", fields={"file": "required"})
        if upload.size > MAX_UPLOAD:
            from tercero.platform.errors import InvalidInput

            raise InvalidInput("The file is too large.", fields={"file": "at most 100 MB"})
        rows = lead_import.rows_from_csv(dnc.read_upload(upload))
        try:
            priority = int(request.POST.get("priority") or 0)
        except ValueError:
            priority = 0
        lead_list = lead_import.load(
            actor=caller.user,
            campaign=campaign,
            name=request.POST.get("name", "") or upload.name,
            rows=rows,
            source_file=upload.name,
            priority=priority,
        )
    except DomainError as refusal:
        error = refusal
    else:
        messages.success(
            request,
            f"{lead_list.rows_loaded} leads loaded, {lead_list.rows_merged} duplicates merged "
            f"(the first kept), {lead_list.rows_held} held by the compliance rules.",
        )
        return redirect("outbound:list", list_id=lead_list.pk)
    bad_rows = error.fields.get("rows") if isinstance(error.fields.get("rows"), list) else []
    return render(
        request,
        "outbound/list_refused.html",
        {"campaign": campaign, "error": error, "bad_rows": bad_rows},
        status=422,
    )


@page(DIAL, staff=True)
def list_detail(request, caller, list_id: int):
    lead_list = selectors.access_lead_list(client_ids=caller.client_ids, list_id=list_id)
    status = request.GET.get("status", "")
    found = selectors.leads(campaign=lead_list.campaign, lead_list_id=lead_list.pk, status=status)
    leads = [
        {
            "lead": lead,
            "phone": crypto.masked(lead.phone),
            "name": crypto.masked(lead.name) if lead.name else "",
        }
        for lead in found[:200]
    ]
    return render(
        request,
        "outbound/list_detail.html",
        {"list": lead_list, "campaign": lead_list.campaign, "leads": leads, "status": status},
    )


@page(DIAL, staff=True)
def lead_detail(request, caller, lead_id: int):
    lead = selectors.access_lead(client_ids=caller.client_ids, lead_id=lead_id)
    verdict = compliance.as_json(scrub.why_not_now(lead))
    return render(
        request,
        "outbound/lead_detail.html",
        {
            "lead": lead,
            "campaign": lead.campaign,
            "phone": crypto.masked(lead.phone),
            "name": crypto.masked(lead.name) if lead.name else "",
            "verdict": verdict,
            "held_rule": lead.held_reason.split(": ", 1)[-1] if lead.held_reason else "",
        },
    )
