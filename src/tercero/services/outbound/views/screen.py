"""The agent's screen for one call: the lead (masked but for the first name), its
attempt history, the script with merge fields and branching questions, dispositions
with their hotkeys, a callback in the lead's own time, the link to verify the customer,
and the wrap-up timer (static/outbound/screen.js; no inline script)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError, PermissionDenied
from tercero.platform.pages import page
from tercero.services.outbound import agent_screen, dialler, dispositions, selectors

DIAL = "outbound:dial"
MANAGE = "outbound:manage"


def _attempt(caller, attempt_id: int):
    attempt = agent_screen.access_attempt(
        client_ids=caller.client_ids, attempt_id=attempt_id, user=caller.user
    )
    if attempt.agent_id not in (None, caller.user.pk) and MANAGE not in caller.permissions:
        raise PermissionDenied("This is another agent's call.")
    return attempt


@page(DIAL, staff=True)
def call_screen(request, caller, attempt_id: int):
    attempt = _attempt(caller, attempt_id)
    answers = {
        key.removeprefix("answer_"): value
        for key, value in request.GET.items()
        if key.startswith("answer_")
    } or None
    data = agent_screen.screen(actor=caller.user, attempt=attempt, answers=answers)
    return render(request, "outbound/screen.html", data)


@require_POST
@page(DIAL, staff=True)
def call_dispose(request, caller, attempt_id: int):
    attempt = _attempt(caller, attempt_id)
    post = request.POST
    answers = {k.removeprefix("answer_"): v for k, v in post.items() if k.startswith("answer_")}
    try:
        dispositions.dispose(
            actor=caller.user,
            attempt=attempt,
            key=post.get("disposition", ""),
            answers=agent_screen.clean_answers(attempt.campaign, answers),
            value_minor=dispositions.minor_units(post["value"]) if post.get("value") else 0,
            currency=post.get("currency", ""),
            callback_local=agent_screen.local_callback(post["callback_at"])
            if post.get("callback_at")
            else None,
            callback_for_anyone=post.get("callback_for") == "anyone",
            wrap_seconds=int(post.get("wrap_seconds") or 0)
            if str(post.get("wrap_seconds") or "0").isdigit()
            else 0,
        )
    except DomainError as refusal:
        messages.error(request, str(refusal))
        return redirect("outbound:call_screen", attempt_id=attempt.pk)
    messages.success(request, "The call is recorded.")
    return redirect("outbound:campaign", campaign_id=attempt.campaign_id)


@require_POST
@page(DIAL, staff=True)
def call_next(request, caller, campaign_id: int):
    """Dial the agent's next lead and open its screen."""
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    try:
        dial = dialler.dial_next(actor=caller.user, campaign=campaign, agent_id=caller.user.pk)
    except DomainError as refusal:
        messages.error(request, str(refusal))
        return redirect("outbound:campaign", campaign_id=campaign.pk)
    if dial.attempt is None:
        messages.info(request, f"Nobody may be called now ({len(dial.held)} leads put aside).")
        return redirect("outbound:campaign", campaign_id=campaign.pk)
    return redirect("outbound:call_screen", attempt_id=dial.attempt.pk)
