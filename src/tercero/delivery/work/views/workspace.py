"""The agent workspace: presence, "Get next", my items, live without reloads."""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tercero.delivery.work import lifecycle, selectors, services
from tercero.delivery.work.models import WorkItem
from tercero.delivery.workforce import services as workforce
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.selectors import own_agent
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import POLL_HEADERS, page, refused


def _my_items(agent: Agent | None, client_ids: list[int]) -> list[WorkItem]:
    if agent is None:
        return []
    return list(
        selectors.items(client_ids=client_ids, assignee_id=agent.pk)
        .filter(Q(status__in=lifecycle.WITH_AGENT))
        .select_related("queue")
        .order_by("priority", "due_at", "id")[:50]
    )


@page("work:write", staff=True)
def workspace(request: HttpRequest, caller: Caller) -> HttpResponse:
    agent = own_agent(caller.user)
    return render(
        request,
        "work/workspace.html",
        {
            "agent": agent,
            "presences": Agent.Presence.choices,
            "items": _my_items(agent, caller.client_ids),
            "poll_headers": POLL_HEADERS,
        },
    )


@page("work:write", staff=True)
def my_items(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The "my items" table alone, refreshed by the page every few seconds."""
    agent = own_agent(caller.user)
    return render(
        request,
        "work/_my_items.html",
        {"items": _my_items(agent, caller.client_ids), "agent": agent},
    )


@require_POST
@page("work:write", staff=True)
def presence(request: HttpRequest, caller: Caller) -> HttpResponse:
    agent = own_agent(caller.user)
    if agent is None:
        messages.error(request, "You have no agent profile; ask your team lead.")
        return redirect("work:workspace")
    try:
        agent = workforce.set_presence(
            agent=agent,
            presence=request.POST.get("presence", ""),
            reason=request.POST.get("reason", "")[:200],
        )
    except DomainError as error:
        refused(request, error)
        return redirect("work:workspace")
    if agent.presence == Agent.Presence.AVAILABLE:
        services.offer_waiting(agent=agent, client_ids=caller.client_ids)
    messages.success(request, f"You are now {agent.get_presence_display().lower()}.")
    return redirect("work:workspace")


@require_POST
@page("work:write", staff=True)
def get_next(request: HttpRequest, caller: Caller) -> HttpResponse:
    agent = own_agent(caller.user)
    if agent is None:
        messages.error(request, "You have no agent profile; ask your team lead.")
        return redirect("work:workspace")
    if agent.presence != Agent.Presence.AVAILABLE:
        messages.error(request, "Go available first: only available agents get work.")
        return redirect("work:workspace")
    try:
        item = services.get_next(agent=agent, client_ids=caller.client_ids)
    except DomainError as error:
        refused(request, error)
        return redirect("work:workspace")
    if item is None:
        messages.info(request, "Nothing is waiting that you may work right now.")
        return redirect("work:workspace")
    return redirect(reverse("work:item", args=[item.pk]))
