"""The conversation panel of a ticket, loaded into the engine's item page, and the
forms it posts: reply, note, macro, custom fields, link/merge/split, tiers, checklists.
Every form returns to the item page with a message saying what happened."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.delivery.work import lifecycle
from tercero.delivery.workforce.selectors import own_agent
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import POLL_HEADERS, page, refused, version_of
from tercero.services.care import chat_window, outbound, selectors, services
from tercero.services.care.models import Checklist, ChecklistProgress, Macro, Message


def _ticket(caller, ticket_id: int, *, write: bool = False):
    ticket = selectors.access_ticket(
        user=caller.user, client_ids=caller.client_ids, item_id=ticket_id
    )
    if write and not _may_work(caller, ticket):
        raise DjangoPermissionDenied("Only the ticket's agent or a team lead may change it.")
    return ticket


def _may_work(caller, ticket) -> bool:
    if "work:write" not in caller.permissions:
        return False
    if "work:assign" in caller.permissions:
        return True
    agent = own_agent(caller.user)
    return agent is not None and ticket.assignee_id == agent.pk


RESOLVE_REFUSED = "care_resolve_refused"


def _back(ticket):
    return redirect(reverse("work:item", args=[ticket.pk]) + "#service-panel")


@page("work:read", staff=True)
def panel(request, caller, ticket_id: int):
    """The care desk's panel on the item page (also a page of its own without htmx)."""
    ticket = _ticket(caller, ticket_id)
    may_work = _may_work(caller, ticket)
    progress = {p.checklist_id: set(p.done) for p in ChecklistProgress.objects.filter(item=ticket)}
    conversation = selectors.conversation(ticket=ticket)
    fields = selectors.custom_fields(ticket=ticket)
    is_chat = ticket.channel == "chat"
    context = {
        "ticket": ticket,
        "may_work": may_work,
        "open": ticket.status in lifecycle.OPEN,
        "can_resolve": "resolve" in lifecycle.allowed_actions(ticket.status),
        "conversation": conversation,
        "viewers": services.seen(user=request.user, ticket=ticket),
        "macros": list(selectors.macros_for(ticket=ticket)),
        "custom_fields": fields,
        "resolve_fields": [row for row in fields if row["field"].is_required],
        "is_chat": is_chat,
        "brand": chat_window.brand_of(ticket=ticket) if is_chat else None,
        "answer": chat_window.answer_standing(ticket=ticket, now=timezone.now()),
        "links": selectors.links_of(ticket=ticket, viewer=request.user),
        "automation_runs": list(selectors.automation_runs(ticket=ticket)),
        "similar": list(selectors.similar_tickets(ticket=ticket)),
        "tier": ticket.payload.get("tier") if ticket.work_type == "support.ticket" else None,
        "checklists": [
            {
                "checklist": c,
                "steps": [
                    (i, step, i in progress.get(c.pk, set())) for i, step in enumerate(c.steps)
                ],
            }
            for c in services.checklists_for(ticket)
        ],
        "articles": selectors.suggested_articles(ticket=ticket),
        "chat_open": selectors.chat_open(ticket=ticket),
        "sending_mailbox": outbound.sending_mailbox(ticket),
        "reply_limits": {
            "files": outbound.REPLY_MAX_FILES,
            "megabytes": outbound.REPLY_MAX_BYTES // (1024 * 1024),
        },
        "customer_online": selectors.customer_online(ticket=ticket),
        "survey": selectors.survey_of(ticket=ticket),
        "poll_headers": POLL_HEADERS,
        "inbound": [m for m in conversation if m["direction"] == "inbound"],
        "customer_name": services.customer_name_for(user=request.user, ticket=ticket),
        # a refused resolve step opens again, so the agent sees what it still asks
        "resolve_open": request.session.pop(RESOLVE_REFUSED, None) == ticket.pk,
    }
    template = "care/_panel.html" if request.htmx else "care/ticket.html"
    return render(request, template, context)


@page("work:read", staff=True)
def conversation(request, caller, ticket_id: int):
    """The messages and who else has the ticket open; the panel polls this."""
    ticket = _ticket(caller, ticket_id)
    context = {
        "ticket": ticket,
        "conversation": selectors.conversation(ticket=ticket),
        "viewers": services.seen(user=request.user, ticket=ticket),
        "customer_online": selectors.customer_online(ticket=ticket),
    }
    return render(request, "care/_conversation.html", context)


@require_POST
@page("work:read", staff=True)
def leave(request, caller, ticket_id: int):
    """The page closed or moved on (the browser's leave beacon): the collision warning
    others see clears now rather than when the presence expires."""
    ticket = _ticket(caller, ticket_id)
    services.left(user=request.user, ticket=ticket)
    return HttpResponse(status=204)


@require_POST
@page("work:read", staff=True)
def typing(request, caller, ticket_id: int):
    """The agent started a reply: others who open the ticket are told."""
    ticket = _ticket(caller, ticket_id)
    services.seen(user=request.user, ticket=ticket, replying=True)
    return HttpResponse(status=204)


def _act(request, ticket, do, done: str):
    try:
        do()
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, done)
    return _back(ticket)


@require_POST
@page("work:write", staff=True)
def reply(request, caller, ticket_id: int):
    ticket = _ticket(caller, ticket_id, write=True)
    body = request.POST.get("body", "")
    if request.POST.get("kind") == "note":
        return _act(
            request,
            ticket,
            lambda: services.add_note(actor=request.user, ticket=ticket, body=body),
            "Internal note added.",
        )
    as_html = request.POST.get("format") == "html"
    return _act(
        request,
        ticket,
        lambda: services.reply(
            actor=request.user,
            ticket=ticket,
            body="" if as_html else body,
            html=body if as_html else "",
            cc=request.POST.get("cc", ""),
            files=request.FILES.getlist("files"),
        ),
        "Reply sent to the customer.",
    )


@require_POST
@page("work:write", staff=True)
def apply_macro(request, caller, ticket_id: int):
    ticket = _ticket(caller, ticket_id, write=True)
    macro = Macro.objects.filter(
        engagement_id=ticket.engagement_id, pk=_int(request.POST.get("macro"))
    ).first()
    if macro is None:
        raise NotFound("Macro not found.")
    return _act(
        request,
        ticket,
        lambda: services.apply_macro(
            actor=request.user, ticket=ticket, macro=macro, version=version_of(request)
        ),
        f"Macro “{macro.name}” applied.",
    )


@require_POST
@page("work:write", staff=True)
def custom_fields(request, caller, ticket_id: int):
    ticket = _ticket(caller, ticket_id, write=True)
    values = {
        row["field"].key: request.POST.get(f"cf_{row['field'].key}", "")
        for row in selectors.custom_fields(ticket=ticket)
        if not (row["field"].is_required and not row["value"])
        or request.POST.get(f"cf_{row['field'].key}", "").strip()
    }
    return _act(
        request,
        ticket,
        lambda: services.set_custom_values(actor=request.user, ticket=ticket, values=values),
        "Fields saved.",
    )


@require_POST
@page("work:write", staff=True)
def resolve(request, caller, ticket_id: int):
    """The one resolve step: the resolution and the fields required to resolve, stored
    together or not at all."""
    ticket = _ticket(caller, ticket_id, write=True)
    try:
        services.resolve(
            actor=request.user,
            ticket=ticket,
            resolution=request.POST.get("resolution", ""),
            version=version_of(request),
            values=_posted_fields(request, ticket),
        )
    except DomainError as error:
        # the message names the fields in words; their keys would only repeat them
        messages.error(request, error.message)
        request.session[RESOLVE_REFUSED] = ticket.pk
    else:
        messages.success(request, "Ticket resolved; the customer gets a satisfaction survey.")
    return _back(ticket)


@require_POST
@page("work:write", staff=True)
def relate(request, caller, ticket_id: int):
    """Link to, or merge this ticket into, another ticket named by number."""
    ticket = _ticket(caller, ticket_id, write=True)
    try:
        other = selectors.access_ticket(
            user=caller.user,
            client_ids=[ticket.client_id],
            item_id=_int(request.POST.get("other")),
        )
    except DomainError:
        messages.error(request, f"There is no ticket #{request.POST.get('other', '')[:12]} here.")
        return _back(ticket)
    if request.POST.get("how") == "merge":
        return _act(
            request,
            ticket,
            lambda: services.merge(actor=request.user, source=ticket, target=other),
            f"Merged into #{other.pk}.",
        )
    return _act(
        request,
        ticket,
        lambda: services.link(actor=request.user, source=ticket, target=other),
        f"Linked to #{other.pk}.",
    )


@require_POST
@page("work:write", staff=True)
def split(request, caller, ticket_id: int):
    ticket = _ticket(caller, ticket_id, write=True)
    message = Message.objects.filter(item=ticket, pk=_int(request.POST.get("message"))).first()
    if message is None:
        raise NotFound("Message not found.")
    made = {}

    def do():
        made["ticket"] = services.split(
            actor=request.user,
            ticket=ticket,
            message=message,
            subject=request.POST.get("subject", ""),
        )

    response = _act(request, ticket, do, "Message split off into a new ticket.")
    if "ticket" in made:
        return redirect("work:item", made["ticket"].pk)
    return response


@require_POST
@page("work:write", staff=True)
def tier(request, caller, ticket_id: int):
    ticket = _ticket(caller, ticket_id, write=True)
    note, version = request.POST.get("note", ""), version_of(request)
    if request.POST.get("direction") == "back":
        return _act(
            request,
            ticket,
            lambda: services.hand_back(
                actor=request.user, ticket=ticket, note=note, version=version
            ),
            "Handed back to L1.",
        )
    return _act(
        request,
        ticket,
        lambda: services.escalate_tier(
            actor=request.user, ticket=ticket, note=note, version=version
        ),
        "Escalated to the next tier.",
    )


@require_POST
@page("work:write", staff=True)
def tick(request, caller, ticket_id: int):
    ticket = _ticket(caller, ticket_id, write=True)
    checklist = Checklist.objects.filter(pk=_int(request.POST.get("checklist"))).first()
    if checklist is None:
        raise NotFound("Checklist not found.")
    return _act(
        request,
        ticket,
        lambda: services.tick(
            actor=request.user,
            ticket=ticket,
            checklist=checklist,
            step=_int(request.POST.get("step")),
            done=request.POST.get("done") == "1",
        ),
        "Checklist updated.",
    )


def _posted_fields(request, ticket) -> dict[str, str]:
    """The custom fields the resolve step asked, as posted (only those it named)."""
    return {
        row["field"].key: request.POST[f"cf_{row['field'].key}"]
        for row in selectors.custom_fields(ticket=ticket)
        if f"cf_{row['field'].key}" in request.POST
    }


def _int(value) -> int:
    """A posted id, or 0 (which matches nothing) when it is not a usable id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**62 else 0
