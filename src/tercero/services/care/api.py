"""The care desk's API: raw e-mail delivered by a mail server or gateway, the ticket's
conversation, tiers and links, reports, and the engagement's automations."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.selectors import access_engagement
from tercero.platform.api.caller import caller_of
from tercero.platform.api.errors import ErrorOut
from tercero.platform.api.inputs import read_json
from tercero.platform.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import api_setup, cti, inbound, reporting, selectors, services
from tercero.services.care.models import CtiEndpoint
from tercero.services.care.services import automations as setup

router = Router(tags=["care"])
router.add_router("", api_setup.router)


class InboundOut(Schema):
    status: str
    item_id: int | None
    reason: str


@router.post(
    "/care/mailboxes/{mailbox_id}/inbound",
    response=InboundOut,
    openapi_extra={
        "requestBody": {
            # the raw message; mail servers may also send it as message/rfc822
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
def deliver(request, mailbox_id: int):
    """One raw RFC 822 message for this mailbox (the request body; larger than
    CARE_MAIL_MAX_BYTES, the limit of IMAP polling too, is a 413): it becomes a ticket,
    a message on its ticket, or a logged rejection (status says which). Delivering the
    same message again changes nothing."""
    caller = caller_of(request)
    mailbox = selectors.access_mailbox(client_ids=caller.client_ids, mailbox_id=mailbox_id)
    caller.require("work:write")
    raw = _raw_mail(request)
    if not raw:
        raise InvalidInput("The body must be the raw e-mail.", fields={"body": "empty"})
    outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    return {"status": outcome.status, "item_id": outcome.item_id, "reason": outcome.reason}


class MailTooLarge(DomainError):
    status = 413
    code = "too_large"


def _raw_mail(request) -> bytes:
    """The body as the raw e-mail, read past Django's limit for form posts up to the
    limit IMAP polling has too (inbound.max_message_bytes); larger is a 413."""
    limit = inbound.max_message_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    raw = request.read(limit + 1) if declared <= limit else b""
    if declared > limit or len(raw) > limit:
        raise MailTooLarge(
            f"The e-mail is larger than {limit // 2**20} MB.", fields={"body": "size"}
        )
    return raw


class CallOut(Schema):
    item_id: int
    state: str


@router.post("/care/cti/{endpoint_id}/events", response={200: CallOut, 401: ErrorOut}, auth=None)
def cti_event(request, endpoint_id: int):
    """A call event from a phone system, signed with the endpoint's secret in
    `Tercero-Signature` (see docs/care.md). Unsigned or stale: 401; replayed: 409."""
    with all_clients_scope():  # the signature, not a session, says who is calling
        endpoint = (
            CtiEndpoint.objects.filter(pk=endpoint_id).select_related("queue").first()
            if 0 < endpoint_id < 2**62
            else None
        )
    cti.check_signature(
        endpoint=endpoint, header=request.headers.get("Tercero-Signature", ""), body=request.body
    )
    event = read_json(request.body)
    if not isinstance(event, dict):
        raise InvalidInput("The body is a JSON object.", fields={"body": "not an object"})
    with client_scope(clients=[endpoint.client_id]):
        item = cti.record_event(endpoint=endpoint, event=event)
    return {"item_id": item.pk, "state": item.payload.get("state", "")}


# --- conversations --------------------------------------------------------------------


class MessageOut(Schema):
    id: int
    direction: str
    channel: str
    sender: str
    subject: str
    body: str
    auto_generated: bool
    created_at: datetime


class MessageIn(Schema):
    kind: Literal["reply", "note"] = "reply"
    body: str = Field(default="", max_length=20000)
    # a reply written in HTML: sanitised, sent with a plain-text part made from it
    html: str = Field(default="", max_length=100000)
    cc: list[str] = Field(default_factory=list, max_length=10)


class TierIn(Schema):
    direction: Literal["up", "back"]
    note: str = Field(max_length=5000)
    version: int = Field(ge=1, le=2**31)


class LinkIn(Schema):
    other: int = Field(ge=1, le=2**62)
    how: Literal["link", "merge"] = "link"


class TicketOut(Schema):
    id: int
    status: str
    version: int
    tier: str | None


def _ticket(caller, ticket_id: int):
    return selectors.access_ticket(
        user=caller.user, client_ids=caller.client_ids, item_id=ticket_id
    )


@router.get("/care/tickets/{ticket_id}/messages", response=list[MessageOut])
def list_messages(request, ticket_id: int):
    """The ticket's conversation, oldest first. Client users do not see internal notes;
    the customer's address is masked."""
    caller = caller_of(request)
    ticket = _ticket(caller, ticket_id)
    caller.require("work:read")
    return selectors.conversation(ticket=ticket, include_notes=caller.user.is_provider_staff)


@router.post("/care/tickets/{ticket_id}/messages", response={201: MessageOut})
def add_message(request, ticket_id: int, body: MessageIn):
    """A reply to the customer (chat while their chat is open, else e-mail) or an
    internal note. Provider staff only."""
    caller = caller_of(request)
    ticket = _ticket(caller, ticket_id)
    caller.require("work:write")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Only the provider's staff answer customers.")
    if body.kind == "note":
        made = services.add_note(actor=caller.user, ticket=ticket, body=body.body)
    else:
        made = services.reply(
            actor=caller.user, ticket=ticket, body=body.body, html=body.html, cc=body.cc
        )
    return Status(201, next(m for m in selectors.conversation(ticket=ticket) if m["id"] == made.pk))


@router.post("/care/tickets/{ticket_id}/tier", response=TicketOut)
def change_tier(request, ticket_id: int, body: TierIn):
    """Escalate a support ticket one tier (up) or hand it back to L1, with a note."""
    caller = caller_of(request)
    ticket = _ticket(caller, ticket_id)
    caller.require("work:write")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Only the provider's staff change tiers.")
    change = services.hand_back if body.direction == "back" else services.escalate_tier
    done = change(actor=caller.user, ticket=ticket, note=body.note, version=body.version)
    return {
        "id": done.pk,
        "status": done.status,
        "version": done.version,
        "tier": done.payload.get("tier"),
    }


@router.post("/care/tickets/{ticket_id}/links", response={201: TicketOut})
def relate(request, ticket_id: int, body: LinkIn):
    """Link this ticket to another one, or merge it into the other (it is cancelled
    and its conversation moves)."""
    caller = caller_of(request)
    ticket = _ticket(caller, ticket_id)
    other = _ticket(caller, body.other)
    caller.require("work:write")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Only the provider's staff link tickets.")
    if body.how == "merge":
        services.merge(actor=caller.user, source=ticket, target=other)
    else:
        services.link(actor=caller.user, source=ticket, target=other)
    ticket.refresh_from_db()
    return Status(
        201,
        {
            "id": ticket.pk,
            "status": ticket.status,
            "version": ticket.version,
            "tier": ticket.payload.get("tier"),
        },
    )


# --- reports --------------------------------------------------------------------------


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class FiguresOut(Schema):
    label: str
    volume: int
    by_channel: dict[str, int]
    first_response_median_seconds: float | None
    first_response_p90_seconds: float | None
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    sla_attainment_percent: float | None
    resolved: int
    first_contact_resolution_percent: float | None
    reopen_rate_percent: float | None
    surveys_answered: int
    csat_percent: float | None
    score_average: float | None
    backlog: dict[str, int]


class ReportOut(Schema):
    start: datetime
    end: datetime
    group_by: str
    rows: list[FiguresOut]
    total: FiguresOut


class ReportFilters(Schema):
    start: date | None = None
    end: date | None = None
    group_by: Literal["channel", "client", "engagement", "agent", "site"] = "channel"
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    agent_id: int | None = Field(default=None, ge=1, le=2**62)
    site_id: int | None = Field(default=None, ge=1, le=2**62)
    channel: str | None = Field(default=None, max_length=16)


def _figures_out(f) -> dict:
    return {
        "label": f.label,
        "volume": f.volume,
        "by_channel": f.by_channel,
        "first_response_median_seconds": f.first_response_median,
        "first_response_p90_seconds": f.first_response_p90,
        "resolution_median_seconds": f.resolution_median,
        "resolution_p90_seconds": f.resolution_p90,
        "sla_attainment_percent": f.sla_attainment,
        "resolved": f.resolved,
        "first_contact_resolution_percent": f.first_contact_resolution,
        "reopen_rate_percent": f.reopen_rate,
        "surveys_answered": f.surveys_answered,
        "csat_percent": f.csat,
        "score_average": f.score_average,
        "backlog": f.backlog,
    }


@router.get("/care/reports", response=ReportOut)
def care_report(request, filters: Query[ReportFilters]):
    """The care desk's figures for the caller's clients, the same filters as the report
    page: days [start, end] in the client's time zone when one client is reported on,
    else UTC (at most 366 days; default the last 30); client, engagement, agent, site and
    channel. An id the caller cannot reach is 404. Definitions: docs/care.md, "Reports"."""
    caller = caller_of(request)
    caller.require("work:read")
    if caller.user.role == "agent":
        raise PermissionDenied("Reports are for team leads, managers and clients.")
    client_ids = list(caller.client_ids)
    if filters.client_id:
        if filters.client_id not in client_ids:
            raise NotFound("Client not found.")
        client_ids = [filters.client_id]
    zones = set(Client.objects.filter(pk__in=client_ids).values_list("time_zone", flat=True))
    zone = ZoneInfo(zones.pop()) if len(zones) == 1 else UTC
    last = filters.end or timezone.now().astimezone(zone).date()
    first = filters.start or last - timedelta(days=29)
    if not (EARLIEST <= first <= LATEST and EARLIEST <= last <= LATEST):
        raise InvalidInput("Dates are between 2000 and 2100.", fields={"start": "range"})
    if last < first or (last - first).days > 366:
        raise InvalidInput("Choose 1 to 366 days, end after start.", fields={"end": "range"})
    if (
        filters.engagement_id
        and not Engagement.objects.filter(
            pk=filters.engagement_id, client_id__in=client_ids
        ).exists()
    ):
        raise NotFound("Engagement not found.")
    # agents and sites are the provider's: reachable when they worked the caller's tickets
    worked = reporting.tickets(viewer=caller.user, client_ids=client_ids).exclude(assignee=None)
    if filters.agent_id and not worked.filter(assignee_id=filters.agent_id).exists():
        raise NotFound("Agent not found.")
    if filters.site_id and not worked.filter(assignee__site_id=filters.site_id).exists():
        raise NotFound("Site not found.")
    report = reporting.care_report(
        viewer=caller.user,
        client_ids=client_ids,
        start=datetime.combine(first, time.min, tzinfo=zone),
        end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        group_by=filters.group_by,
        engagement_id=filters.engagement_id,
        agent_id=filters.agent_id,
        site_id=filters.site_id,
        channel=filters.channel,
    )
    return {
        "start": report.start,
        "end": report.end,
        "group_by": report.group_by,
        "rows": [_figures_out(f) for f in report.rows],
        "total": _figures_out(report.total),
    }


# --- automations ----------------------------------------------------------------------


class ConditionIo(Schema):
    field: str = Field(max_length=20)
    operator: str = Field(max_length=20)
    value: str | int | list[str] = ""


class ActionIo(Schema):
    action: str = Field(max_length=20)
    value: str | int = ""


class AutomationIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)
    name: str = Field(max_length=100)
    trigger: str = Field(max_length=20)
    conditions: list[ConditionIo] = Field(default_factory=list, max_length=10)
    actions: list[ActionIo] = Field(max_length=10)
    waited_business_days: int | None = Field(default=None, ge=1, le=60)
    is_active: bool = True


class AutomationChange(Schema):
    version: int = Field(ge=1, le=2**31)
    name: str = Field(default=None, max_length=100)
    trigger: str = Field(default=None, max_length=20)
    conditions: list[ConditionIo] = Field(default=None, max_length=10)
    actions: list[ActionIo] = Field(default=None, max_length=10)
    waited_business_days: int | None = Field(default=None, ge=1, le=60)
    is_active: bool = Field(default=None)


class AutomationOut(Schema):
    id: int
    engagement_id: int
    name: str
    trigger: str
    conditions: list[ConditionIo]
    actions: list[ActionIo]
    waited_business_days: int | None
    position: int
    is_active: bool
    version: int
    summary: str


class AutomationFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    trigger: str | None = Field(default=None, max_length=20)
    is_active: bool | None = None
    q: str = Field(default="", max_length=100)


class OrderIn(Schema):
    order: list[int] = Field(max_length=500)


class RunOut(Schema):
    automation_id: int
    rule: str
    occasion: str
    did: list[str]
    is_failed: bool
    ran_at: datetime


def _automation_out(automation) -> dict:
    return {
        **{name: getattr(automation, name) for name in ("id", "engagement_id", "position")},
        **{name: getattr(automation, name) for name in setup.RULE_FIELDS},
        "is_active": automation.is_active,
        "version": automation.version,
        "summary": setup.describe(automation),
    }


def _setter(request):
    caller = caller_of(request)
    caller.require(setup.CARE_SETUP)
    return caller


@router.get("/care/automations", response=list[AutomationOut])
def list_automations(request, filters: Query[AutomationFilters]):
    """The rules of the engagements the caller sets up, each engagement's in order."""
    caller = _setter(request)
    found = selectors.automations(client_ids=caller.client_ids)
    if filters.engagement_id is not None:
        found = found.filter(engagement_id=filters.engagement_id)
    if filters.trigger:
        found = found.filter(trigger=filters.trigger)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    if filters.q:
        found = found.filter(name__icontains=filters.q)
    return [_automation_out(a) for a in found[:500]]


@router.post("/care/automations", response={201: AutomationOut})
def create_automation(request, body: AutomationIn):
    """A new rule, last in its engagement's order."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(setup.CARE_SETUP)
    fields = body.dict(exclude={"engagement_id"})
    made = setup.create_automation(actor=caller.user, engagement=engagement, **fields)
    return Status(201, _automation_out(made))


@router.get("/care/automations/{automation_id}", response=AutomationOut)
def get_automation(request, automation_id: int):
    caller = caller_of(request)
    found = selectors.access_automation(client_ids=caller.client_ids, automation_id=automation_id)
    caller.require(setup.CARE_SETUP)
    return _automation_out(found)


@router.patch("/care/automations/{automation_id}", response=AutomationOut)
def change_automation(request, automation_id: int, body: AutomationChange):
    """Change the rule's fields, or switch it on or off, at the version it was read."""
    caller = caller_of(request)
    found = selectors.access_automation(client_ids=caller.client_ids, automation_id=automation_id)
    caller.require(setup.CARE_SETUP)
    changes = body.dict(exclude_unset=True, exclude={"version", "is_active"})
    version = body.version
    if changes:
        found = setup.update_automation(
            actor=caller.user, automation=found, version=version, **changes
        )
        version = found.version
    if body.is_active is not None and body.is_active != found.is_active:
        found = setup.set_active(
            actor=caller.user, automation=found, is_active=body.is_active, version=version
        )
    return _automation_out(found)


@router.put("/care/engagements/{engagement_id}/automations/order", response=list[AutomationOut])
def order_automations(request, engagement_id: int, body: OrderIn):
    """Put the engagement's rules in this order (every rule's id, each once)."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=engagement_id)
    caller.require(setup.CARE_SETUP)
    done = setup.reorder(actor=caller.user, engagement=engagement, order=body.order)
    return [_automation_out(a) for a in done]


@router.get("/care/tickets/{ticket_id}/automations", response=list[RunOut])
def ticket_automations(request, ticket_id: int):
    """What the automations did on the ticket: which rule fired, when, and what it did."""
    caller = caller_of(request)
    ticket = _ticket(caller, ticket_id)
    caller.require("work:read")
    return [
        {
            "automation_id": run.automation_id,
            "rule": run.automation.name,
            "occasion": run.occasion,
            "did": run.did,
            "is_failed": run.is_failed,
            "ran_at": run.ran_at,
        }
        for run in selectors.automation_runs(ticket=ticket)
    ]
