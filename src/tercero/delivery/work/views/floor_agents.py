"""The floor per agent and the live queue wallboard, for team leads, delivery managers
and provider admins (`work:assign`); agents and client users cannot open them."""

import csv
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.delivery.work import floor_agents, wallboard
from tercero.delivery.workforce.models import Agent, Site, Team
from tercero.platform.api.caller import Caller
from tercero.platform.pages import POLL_HEADERS, page
from tercero.platform.tenancy.models import Client
from tercero.web.lists import CSV_ROW_LIMIT, Column, Filter, Listing, csv_cell

CSV_HEADER = (
    "Agent",
    "E-mail",
    "Site",
    "Team",
    "State",
    "Time in state (s)",
    "Items in hand",
    "Items in hand by channel",
    "Resolved today",
    "Handle time today (s)",
    "Average handle time (s)",
    "Staffed today (s)",
    "Occupancy (%)",
)


def _teams(caller: Caller) -> list[Team]:
    found = Team.objects.order_by("name")
    if caller.user.role not in floor_agents.WATCH_ALL:
        found = found.filter(lead=caller.user)
    return list(found)


def _agent_listing(request: HttpRequest, caller: Caller) -> Listing:
    found = floor_agents.watched_agents(user=caller.user, client_ids=caller.client_ids)
    sites = Site.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
    filters = [
        Filter("site", "Site", tuple((str(pk), name) for pk, name in sites), _by("site_id")),
        Filter(
            "team",
            "Team",
            tuple((str(team.pk), team.name) for team in _teams(caller)),
            _by("membership__team_id"),
        ),
        Filter("state", "State", tuple(Agent.Presence.choices), _by("presence")),
    ]
    return Listing(
        request,
        found,
        columns=[
            Column("user__full_name", "Agent"),
            Column("site__name", "Site"),
            Column("membership__team__name", "Team"),
            Column("presence", "State"),
            Column("presence_since", "Time in state"),
            Column("in_hand", "Items in hand", sortable=False),
            Column("resolved", "Resolved today", sortable=False),
            Column("handle", "Average handle time", sortable=False),
            Column("occupancy", "Occupancy today", sortable=False),
        ],
        filters=filters,
        search=lambda qs, q: (
            qs.filter(user__full_name__icontains=q) | qs.filter(user__email__icontains=q)
        ),
        search_label="Search name or e-mail",
        default_sort="user__full_name",
        exportable=True,
    )


def _by(field: str) -> Any:
    return lambda queryset, value: queryset.filter(**{field: value})


def _rows(agents: list[Agent], caller: Caller, now: datetime) -> list[dict[str, Any]]:
    figures = floor_agents.figures_of(
        agents=agents, client_ids=caller.client_ids, now=now, viewer=caller.user
    )
    return [
        {
            "agent": agent,
            "team": getattr(getattr(agent, "membership", None), "team", None),
            "state_seconds": floor_agents.state_seconds(agent, now),
            "figures": figures[agent.pk],
        }
        for agent in agents
    ]


@page("work:assign", staff=True)
def agents(request: HttpRequest, caller: Caller) -> HttpResponse:
    listing = _agent_listing(request, caller)
    now = timezone.now()
    if listing.wants_csv:
        return _csv(listing, caller, now)
    rows = _rows(list(listing.rows), caller, now)
    return render(
        request,
        "work/floor_agents.html",
        {
            "listing": listing,
            "rows": rows,
            "leads_teams": caller.user.role not in floor_agents.WATCH_ALL,
            "now": now,
        },
    )


def _csv(listing: Listing, caller: Caller, now: datetime) -> HttpResponse:
    chosen = list(listing.queryset[:CSV_ROW_LIMIT])
    floor_agents.record_floor_export(
        user=caller.user, rows=len(chosen), filters={"q": listing.query, **listing.chosen}
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="floor-agents.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in _rows(chosen, caller, now):
        agent, figures, team = row["agent"], row["figures"], row["team"]
        cells = (
            agent.user.full_name,
            agent.user.email,
            agent.site.name,
            team.name if team else "",
            agent.get_presence_display(),
            row["state_seconds"],
            figures.in_hand,
            figures.in_hand_words,
            figures.resolved_today,
            figures.handle_seconds_today,
            figures.average_handle_seconds,
            figures.staffed_seconds,
            figures.occupancy_percent,
        )
        writer.writerow([csv_cell(cell) for cell in cells])
    return response


# --- the wallboard ---------------------------------------------------------------------


def _chosen_client(request: HttpRequest, caller: Caller) -> int | None:
    """The client the board is narrowed to; one the caller cannot reach is 404."""
    given = request.GET.get("client", "")
    if not given:
        return None
    if not given.isdigit() or int(given) not in caller.client_ids:
        raise Http404("Client not found.")
    return int(given)


def _board(request: HttpRequest, caller: Caller) -> dict[str, Any]:
    now = timezone.now()
    client_id = _chosen_client(request, caller)
    found = wallboard.boards(
        client_ids=caller.client_ids, now=now, client_id=client_id, viewer=caller.user
    )
    return {
        "boards": found,
        "totals": wallboard.totals(found, now),
        "client_id": client_id,
        "poll_headers": POLL_HEADERS,
    }


@page("work:assign", staff=True)
def queue_wallboard(request: HttpRequest, caller: Caller) -> HttpResponse:
    clients = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    return render(request, "work/wallboard.html", {**_board(request, caller), "clients": clients})


@page("work:assign", staff=True)
def queue_wallboard_live(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The wallboard's figures alone, fetched by the page every ten seconds."""
    return render(request, "work/_wallboard_live.html", _board(request, caller))
