"""Item lists and the item page as provider staff see them."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import (
    access,
    assignable,
    lifecycle,
    personal,
    registry,
    rules,
    selectors,
    services,
    sla,
)
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.registry import WorkType
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.selectors import own_agent
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import POLL_HEADERS, back, may_open, page, refused, version_of
from tercero.web.lists import Column, Filter, Listing

STATUS_CHOICES = tuple((s, s.replace("_", " ").capitalize()) for s in lifecycle.STATUSES)
SLA_CHOICES = (
    ("on_track", "On track, or met when finished"),
    ("at_risk", "At risk"),
    ("breached", "Breached, or missed when finished"),
    ("none", "No SLA"),
)
PRIORITY_CHOICES = tuple((str(p), f"P{p}") for p in range(1, 5))
ACTION_LABELS = {
    "start": "Start work",
    "resume": "Resume",
    "unassign": "Give back to queue",
    "close": "Close",
    "reopen": "Reopen",
    "cancel": "Cancel item",
    "release": "Release to queue",
}


def _sla_filter(queryset: QuerySet[WorkItem], value: str) -> QuerySet[WorkItem]:
    return queryset.filter(selectors.sla_state_filter(value, now=timezone.now()))


def _assigned_filter(queryset: QuerySet[WorkItem], value: str) -> QuerySet[WorkItem]:
    return queryset.filter(assignee__isnull=value == "no")


def item_listing(
    request: HttpRequest,
    found: QuerySet[WorkItem],
    *,
    client_ids: list[int],
    for_client: bool = False,
) -> Listing:
    queues = Queue.objects.filter(client_id__in=client_ids).order_by("name")
    engagements = Engagement.objects.filter(client_id__in=client_ids).order_by("name")
    filters = [
        Filter("status", "Status", STATUS_CHOICES),
        Filter("sla", "SLA", SLA_CHOICES, apply=_sla_filter),
        Filter("priority", "Priority", PRIORITY_CHOICES),
        Filter(
            "engagement",
            "Engagement",
            tuple((str(e.pk), e.name) for e in engagements),
            apply=lambda qs, v: qs.filter(engagement_id=int(v)),
        ),
    ]
    if not for_client:
        filters += [
            Filter(
                "queue",
                "Queue",
                tuple((str(q.pk), q.name) for q in queues),
                apply=lambda qs, v: qs.filter(queue_id=int(v)),
            ),
            Filter(
                "assigned",
                "Assigned",
                (("yes", "Assigned"), ("no", "Unassigned")),
                apply=_assigned_filter,
            ),
        ]
    columns = [
        Column("id", "#"),
        Column("title", "Title"),
        Column("status", "Status"),
        Column("priority", "Priority", value=lambda i: f"P{i.priority}"),
        Column("due_at", "Due"),
        Column("created_at", "Created"),
    ]
    if not for_client:
        columns.insert(3, Column("queue__name", "Queue"))
        columns.insert(5, Column("assignee__user__full_name", "Agent"))
    else:
        columns.insert(3, Column("engagement__name", "Service"))
    return Listing(
        request,
        found,
        columns=columns,
        filters=filters,
        search=lambda qs, q: qs.filter(title__icontains=q) | qs.filter(external_ref__icontains=q),
        search_label="Search title or reference",
        default_sort="-created_at",
    )


@page("work:read", staff=True)
def item_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    found = access.restrict(
        caller.user, selectors.items(client_ids=caller.client_ids), caller.client_ids
    ).select_related("queue", "assignee__user")
    listing = item_listing(request, found, client_ids=caller.client_ids)
    listing.exportable = access.may_export(caller.user)
    if listing.wants_csv:
        rows = listing.queryset
        access.record_export(
            user=caller.user,
            client_ids=set(rows.values_list("client_id", flat=True)),
            rows=rows.count(),
            where=request.path,
        )
        return listing.csv_response("work-items.csv")
    may_assign = "work:assign" in caller.permissions
    return render(
        request,
        "work/items.html",
        {
            "listing": listing,
            "may_assign": may_assign,
            "agents": assignable_agents(caller.client_ids) if may_assign else [],
            "queues": Queue.objects.filter(client_id__in=caller.client_ids, is_active=True)
            .select_related("engagement")
            .order_by("name"),
            "now": timezone.now(),
        },
    )


def assignable_agents(client_ids: list[int]) -> list[Agent]:
    return list(selectors.agents(client_ids=client_ids).order_by("user__full_name")[:500])


@require_POST
@page("work:assign", staff=True)
def bulk(request: HttpRequest, caller: Caller) -> HttpResponse:
    """One action over the ticked items: assign, move, set priority or cancel. Each item
    is its own change; the message says how many succeeded and why others did not."""
    ids = [int(v) for v in request.POST.getlist("item") if v.isdigit()][:500]
    action = request.POST.get("bulk_action", "")
    ticked = selectors.items(client_ids=caller.client_ids).filter(pk__in=ids)
    found = list(access.restrict(caller.user, ticked, caller.client_ids))  # residency too
    if not found:
        messages.error(request, "Tick at least one item first.")
        return back(request, reverse("work:items"))
    try:
        do = _bulk_action(request, caller, action)
    except DomainError as error:
        refused(request, error)
        return back(request, reverse("work:items"))
    done, problems = 0, []
    for item in found:
        try:
            do(item)
            done += 1
        except DomainError as error:
            problems.append(f"#{item.pk}: {error.message}")
    if done:
        messages.success(request, f"{done} of {len(found)} items updated.")
    if problems:
        messages.error(request, "Not changed — " + " ".join(problems[:10]))
    return back(request, reverse("work:items"))


def _bulk_action(
    request: HttpRequest, caller: Caller, action: str
) -> Callable[[WorkItem], WorkItem]:
    user = caller.user
    if action == "assign":
        agent = selectors.access_agent(
            client_ids=caller.client_ids, agent_id=_int(request.POST.get("agent"))
        )
        return lambda item: services.assign(actor=user, item=item, agent=agent)
    if action == "move":
        queue = selectors.access_queue(
            client_ids=caller.client_ids, queue_id=_int(request.POST.get("queue"))
        )
        reason = request.POST.get("reason", "")[:500]
        return lambda item: services.transfer(actor=user, item=item, queue=queue, reason=reason)
    if action == "priority":
        priority = _int(request.POST.get("priority"))
        return lambda item: services.update_item(
            actor=user, item=item, version=item.version, changes={"priority": priority}
        )
    if action == "cancel":
        reason = request.POST.get("reason", "")[:500]
        return lambda item: services.transition(
            actor=user, item=item, action="cancel", reason=reason
        )
    raise DomainError("Choose what to do with the ticked items.")


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


# --- the item page ------------------------------------------------------------------------


def _status_context(item: WorkItem, caller: Caller) -> dict[str, Any]:
    now = timezone.now()
    standing = sla.standing(item, engagement=item.engagement, now=now)
    since = item.working_since
    running = since is not None
    handled = item.handle_seconds + (int((now - since).total_seconds()) if since else 0)
    return {
        "item": item,
        "standing": standing,
        "now": now,
        "finished_at": item.resolved_at or item.cancelled_at,
        "remaining_seconds": int(standing.remaining.total_seconds())
        if standing.remaining is not None
        else None,
        "handle_seconds": handled,
        "timer_running": running,
        "poll_headers": POLL_HEADERS,
        "time_zone": item.engagement.time_zone,
    }


def _item_for_staff(caller: Caller, item_id: int) -> WorkItem:
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    access.check(caller.user, item)
    return WorkItem.objects.select_related(
        "engagement", "queue", "assignee__user", "created_by"
    ).get(pk=item.pk)


@page("work:read", staff=True)
def item_page(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    try:
        item = _item_for_staff(caller, item_id)
    except access.BreakGlassRequired as refusal:
        item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
        return render(
            request, "work/break_glass.html", {"item": item, "message": refusal.message}, status=403
        )
    access.record_view(user=caller.user, item=item)
    work_type = registry.find(item.work_type)
    agent = own_agent(caller.user)
    holds = agent is not None and item.assignee_id == agent.pk
    may_assign = "work:assign" in caller.permissions
    may_work = "work:write" in caller.permissions and (holds or may_assign)
    allowed = lifecycle.allowed_actions(item.status)
    buttons = [
        (action, ACTION_LABELS[action])
        for action in allowed
        if action in ACTION_LABELS
        and rules.may_press(permissions=caller.permissions, action=action, may_work=may_work)
    ]
    panel = _panel_url(work_type, item, caller)
    # the service's panel has the reply box and the resolve step: one of each on the page
    desk = bool(panel) and work_type is not None and work_type.panel_replies_and_resolves
    context = {
        **_status_context(item, caller),
        "work_type": work_type,
        "fields": work_type.display_rows(personal.shown(item.payload, work_type))
        if work_type
        else [],
        "other_fields": _other_fields(item, work_type),
        "events": list(selectors.events_of(item=item).select_related("actor")[:200]),
        "comments": list(selectors.comments_of(item=item, include_internal=True)),
        "attachments": list(selectors.attachments_of(item=item)),
        "buttons": buttons,
        "may_work": may_work,
        "may_assign": may_assign,
        "can_wait": "wait" in allowed and may_work,
        "can_resolve": "resolve" in allowed and may_work and not desk,
        "note_form": not (desk and may_work and item.status in lifecycle.OPEN),
        "open": item.status in lifecycle.OPEN,
        "queues": Queue.objects.filter(engagement_id=item.engagement_id, is_active=True).exclude(
            pk=item.queue_id
        ),
        "picker": _picker(request, item) if may_assign and item.status in ASSIGNABLE else None,
        "revealed": None,
        "panel": panel,
    }
    return render(request, "work/item.html", context)


def _panel_url(work_type: WorkType | None, item: WorkItem, caller: Caller) -> str:
    """The service's panel for the item, when there is one the caller may open ("" when
    not: the page then says so instead of loading a panel that would refuse)."""
    if work_type is None or not work_type.panel_url:
        return ""
    url = reverse(work_type.panel_url, args=[item.pk])
    return url if may_open(url, caller) else ""


ASSIGNABLE = (lifecycle.QUEUED, lifecycle.ASSIGNED)


def _picker(request: HttpRequest, item: WorkItem) -> dict[str, Any]:
    """The Assign card: eligible agents only, searched by name and filtered by site."""
    site = _int(request.GET.get("site"))
    query = request.GET.get("agent_q", "")[:100]
    found = assignable.eligible_agents(item=item, query=query, site_id=site or None)
    return {"found": found, "query": query, "site": site}


def _other_fields(item: WorkItem, work_type: WorkType | None) -> list[dict[str, Any]]:
    """Payload fields the type does not display, listed so nothing is hidden."""
    shown = {name for name, _ in work_type.display_fields} if work_type else set()
    private = set(work_type.personal_fields) if work_type else set()
    return [
        {"label": name.replace("_", " ").capitalize(), "value": value, "personal": name in private}
        for name, value in personal.shown(item.payload, work_type).items()
        if name not in shown
    ]


@page("work:read", staff=True)
def item_status(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    """The status panel alone (status, SLA countdown, handle time), polled by the page."""
    item = _item_for_staff(caller, item_id)
    return render(request, "work/_item_status.html", _status_context(item, caller))


@require_POST
@page("work:write", staff=True)
def act(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = _item_for_staff(caller, item_id)
    action = request.POST.get("action", "")
    here = reverse("work:item", args=[item.pk])
    try:
        rules.require_may(
            user=caller.user, permissions=caller.permissions, item=item, action=action
        )
        services.transition(
            actor=caller.user,
            item=item,
            action=action,
            version=version_of(request),
            waiting_on=request.POST.get("waiting_on", ""),
            resolution=request.POST.get("resolution", "")[:20_000],
            reason=request.POST.get("reason", "")[:1000],
        )
    except DomainError as error:
        refused(request, error)
        return redirect(here)
    label = {"resolve": "resolved", "wait": "set waiting", "start": "started"}.get(
        action, f"{action} done"
    )
    messages.success(request, f"Item #{item.pk} {label}.")
    if action in {"resolve", "unassign"}:
        return redirect("work:workspace")
    return redirect(here)


@require_POST
@page("work:write", staff=True)
def transfer(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = _item_for_staff(caller, item_id)
    here = reverse("work:item", args=[item.pk])
    reason = request.POST.get("reason", "").strip()
    try:
        if not reason:
            raise DomainError("Say why the item moves (the reason).")
        queue = selectors.access_queue(
            client_ids=[item.client_id], queue_id=_int(request.POST.get("queue"))
        )
        services.transfer(
            actor=caller.user, item=item, queue=queue, version=version_of(request), reason=reason
        )
    except DomainError as error:
        refused(request, error)
        return redirect(here)
    messages.success(request, f"Item #{item.pk} moved to {queue.name}.")
    return redirect(here)


@require_POST
@page("work:write", staff=True)
def escalate(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = _item_for_staff(caller, item_id)
    here = reverse("work:item", args=[item.pk])
    try:
        services.escalate(
            actor=caller.user,
            item=item,
            reason=request.POST.get("reason", "")[:1000],
            version=version_of(request),
        )
    except DomainError as error:
        refused(request, error)
        return redirect(here)
    messages.success(request, f"Item #{item.pk} escalated.")
    return redirect(here)


@require_POST
@page("work:assign", staff=True)
def assign(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = _item_for_staff(caller, item_id)
    try:
        agent = selectors.access_agent(
            client_ids=[item.client_id], agent_id=_int(request.POST.get("agent"))
        )
        services.assign(actor=caller.user, item=item, agent=agent, version=version_of(request))
    except DomainError as error:
        refused(request, error)
        return back(request, reverse("work:item", args=[item.pk]))
    messages.success(request, f"Item #{item.pk} assigned to {agent.user.full_name}.")
    return back(request, reverse("work:item", args=[item.pk]))


@require_POST
@page("work:write", staff=True)
def add_comment(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = _item_for_staff(caller, item_id)
    internal = request.POST.get("visibility", "internal") != "client"
    try:
        services.comment(
            actor=caller.user,
            item=item,
            body=request.POST.get("body", "")[:20_000],
            internal=internal,
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(
            request, "Internal note added." if internal else "Reply sent to the client."
        )
    return redirect(reverse("work:item", args=[item.pk]) + "#notes")


@require_POST
@page("work:read", staff=True)
def reveal(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    """Personal fields in clear for a few minutes, with the reason audited; while the
    person has an open misuse alert the request waits for a supervisor instead."""
    item = _item_for_staff(caller, item_id)
    work_type = registry.find(item.work_type)
    try:
        values, grant = services.reveal(
            actor=caller.user, item=item, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        return render(
            request, "work/_personal.html", {"error": error.message, "item": item}, status=422
        )
    rows = [
        {**row, "value": values.get(row["name"])}
        for row in (work_type.display_rows(item.payload) if work_type else [])
        if row["personal"]
    ]
    return render(
        request,
        "work/_personal.html",
        {"item": item, "revealed_rows": rows if values else [], "grant": grant},
    )


@require_POST
@page("work:read", staff=True)
def break_glass(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    """Open an item not given to you, with a reason (audited; the team lead is alerted)."""
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    try:
        services.break_glass(actor=caller.user, item=item, reason=request.POST.get("reason", ""))
    except NotFound:
        raise  # an item the residency rule hides from the caller's site: 404, not this page
    except DomainError as error:
        return render(
            request,
            "work/break_glass.html",
            {"item": item, "message": error.message, "error": True},
            status=422,
        )
    messages.warning(request, "Opened with your reason; your team lead has been told.")
    return redirect("work:item", item.pk)


@page("work:read")
def download(request: HttpRequest, caller: Caller, attachment_id: int) -> FileResponse:
    """An attached file, always as a download (never rendered inline)."""
    attachment = selectors.access_attachment(
        client_ids=caller.client_ids, attachment_id=attachment_id
    )
    access.check(caller.user, attachment.item)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
