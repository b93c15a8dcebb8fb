"""The client portal: a client's services, submitting work, following it, SLA reports.

A client user sees only their own company's items and never the provider's internal
notes; every query below runs inside their client scope as well.
"""

import calendar
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import lifecycle, personal, registry, selectors, services, sla
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.selectors import attainment
from tercero.delivery.work.views.floor import daily
from tercero.delivery.work.views.items import item_listing
from tercero.platform import catalogue
from tercero.platform.api.caller import Caller
from tercero.platform.audit import selectors as audit
from tercero.platform.errors import DomainError, InvalidInput, NotFound
from tercero.platform.pages import POLL_HEADERS, page, refused
from tercero.web.charts import Point, bar_chart
from tercero.web.schema_forms import form_for, payload_of

ACCEPTING = ("transition", "live")


@page("engagements:read", staff=False)
def home(request: HttpRequest, caller: Caller) -> HttpResponse:
    engagements = list(
        Engagement.objects.filter(client_id__in=caller.client_ids)
        .exclude(status="draft")
        .order_by("name")
    )
    queues = (
        Queue.objects.filter(client_id__in=caller.client_ids, is_active=True)
        .exclude(routing="manual")
        .order_by("name")
    )
    by_engagement: dict[int, list[Queue]] = {}
    for queue in queues:
        by_engagement.setdefault(queue.engagement_id, []).append(queue)
    open_counts = dict(
        WorkItem.objects.filter(client_id__in=caller.client_ids, status__in=lifecycle.OPEN)
        .values_list("engagement_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [
        {
            "engagement": e,
            "queues": by_engagement.get(e.pk, []) if e.status in ACCEPTING else [],
            "open": open_counts.get(e.pk, 0),
        }
        for e in engagements
    ]
    return render(request, "work/portal/home.html", {"rows": rows})


class SubmitBase(forms.Form):
    """Fields every submission has besides the work type's own."""

    def __init__(self, *args: Any, attachment: str = "none", **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["external_ref"] = forms.CharField(
            label="Your reference",
            max_length=200,
            required=False,
            help_text="Optional: your own id for this item, shown on every page and export.",
        )
        if attachment != "none":
            self.fields["file"] = forms.FileField(
                label="File",
                required=attachment == "required",
                help_text="PDF, PNG, JPEG or TIFF, up to 10 MB.",
            )


def _submit_queue(caller: Caller, queue_id: int) -> Queue:
    queue = selectors.access_queue(client_ids=caller.client_ids, queue_id=queue_id)
    if not queue.is_active or queue.routing == "manual" or not queue.work_types:
        raise NotFound("Queue not found.")
    return queue


@page("work:write", staff=False)
def submit(request: HttpRequest, caller: Caller, queue_id: int) -> HttpResponse:
    queue = _submit_queue(caller, queue_id)
    types = [t for t in (registry.find(key) for key in queue.work_types) if t is not None]
    chosen_key = request.POST.get("work_type") or request.GET.get("type") or types[0].key
    work_type = next((t for t in types if t.key == chosen_key), types[0])
    schema = work_type.payload_schema.model_json_schema()
    form_class = cast(type[SubmitBase], form_for(schema, base=SubmitBase))  # a subclass
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, attachment=work_type.attachment)
        if form.is_valid():
            try:
                item = services.submit_item(
                    actor=caller.user,
                    queue=queue,
                    upload=form.cleaned_data.get("file"),
                    work_type=work_type.key,
                    payload=payload_of(form, schema),
                    external_ref=form.cleaned_data.get("external_ref") or "",
                )
            except InvalidInput as error:
                _attach_errors(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Submitted as item #{item.pk}.")
                return redirect("portal:item", item_id=item.pk)
    else:
        form = form_class(attachment=work_type.attachment)
    return render(
        request,
        "work/portal/submit.html",
        {"queue": queue, "form": form, "types": types, "work_type": work_type},
        status=422 if request.method == "POST" else 200,
    )


def _attach_errors(form: forms.Form, error: InvalidInput) -> None:
    """The service's refusal at the top of the form, and each field's next to it."""
    form.add_error(None, error.message)
    for name, message in error.fields.items():
        field = name.removeprefix("payload.").split(".")[0]
        if field in form.fields:
            form.add_error(field, message)
        else:  # a rule over several fields ("a hire needs a pay group")
            form.add_error(None, message.removeprefix("Value error, "))


@page("work:read", staff=False)
def items(request: HttpRequest, caller: Caller) -> HttpResponse:
    found = selectors.items(client_ids=caller.client_ids).select_related("engagement")
    listing = item_listing(request, found, client_ids=caller.client_ids, for_client=True)
    if listing.wants_csv:
        return listing.csv_response("our-items.csv")
    return render(request, "work/portal/items.html", {"listing": listing, "now": timezone.now()})


def _client_status(item: WorkItem) -> dict[str, Any]:
    now = timezone.now()
    standing = sla.standing(item, engagement=item.engagement, now=now)
    return {
        "item": item,
        "standing": standing,
        "now": now,
        "finished_at": item.resolved_at or item.cancelled_at,
        "remaining_seconds": int(standing.remaining.total_seconds())
        if standing.remaining is not None
        else None,
        "time_zone": item.engagement.time_zone,
        "poll_headers": POLL_HEADERS,
    }


@page("work:read", staff=False)
def item_page(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    work_type = registry.find(item.work_type)
    context = {
        **_client_status(item),
        "fields": work_type.display_rows(personal.shown(item.payload, work_type))
        if work_type
        else [],
        "comments": list(selectors.comments_of(item=item, include_internal=False)),
        "attachments": list(selectors.attachments_of(item=item)),
        "history": client_history(item),
        "may_write": "work:write" in caller.permissions,
        "open": item.status in lifecycle.OPEN,
    }
    return render(request, "work/portal/item.html", context)


# What a client sees of an item's history: its progress, not the provider's routing.
CLIENT_EVENTS = {
    "item.created": "Received",
    "item.queued": "Waiting for an agent",
    "item.assigned": "Picked up",
    "item.started": "Being worked",
    "item.waiting": "Waiting for you or your customer",
    "item.resumed": "Being worked again",
    "item.resolved": "Resolved",
    "item.closed": "Closed",
    "item.reopened": "Reopened",
    "item.cancelled": "Cancelled",
    "item.attached": "File added",
    "sla.breached": "Past its agreed time",
}


def client_history(item: WorkItem) -> list[dict[str, Any]]:
    """The item's events a client sees, in the client's words."""
    return [
        {"at": event.at, "label": CLIENT_EVENTS[event.kind]}
        for event in selectors.events_of(item=item)
        if event.kind in CLIENT_EVENTS
    ]


@page("work:read", staff=False)
def item_status(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    return render(request, "work/portal/_status.html", _client_status(item))


@require_POST
@page("work:write", staff=False)
def reply(request: HttpRequest, caller: Caller, item_id: int) -> HttpResponse:
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    try:
        services.comment(
            actor=caller.user,
            item=item,
            body=request.POST.get("body", "")[:20_000],
            internal=False,
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Your message has been added.")
    return redirect(reverse("portal:item", args=[item.pk]) + "#messages")


# --- signed checkpoints of the audit trail ------------------------------------------------

CHECKPOINTS_SHOWN = 50


@page("audit:read", staff=False)
def audit_checkpoints(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The client's signed checkpoints of its own audit events, and the keys that verify
    them; `?download=jsonl` gives every one, as signed."""
    found = audit.client_checkpoints(client_ids=caller.client_ids)
    if request.GET.get("download") == "jsonl":
        lines = "".join(document + "\n" for document in found.values_list("document", flat=True))
        response = HttpResponse(lines, content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="audit-checkpoints.jsonl"'
        return response
    context = {
        "checkpoints": found[:CHECKPOINTS_SHOWN],
        "total": found.count(),
        "public_keys": audit.checkpoint_public_keys(),
    }
    return render(request, "work/portal/audit.html", context)


# --- the monthly SLA report -----------------------------------------------------------------


def _month_of(request: HttpRequest) -> date:
    today = timezone.now().date()
    text = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        chosen = today.replace(day=1)
    return min(chosen, today.replace(day=1))


@page("work:read", staff=False)
def sla_report(request: HttpRequest, caller: Caller) -> HttpResponse:
    month = _month_of(request)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    found = selectors.resolved_between(client_ids=caller.client_ids, first=month, last=last)
    by_engagement = attainment(found, "engagement__name")
    days = daily(found, month, min(last, timezone.now().date()))
    measured = sum(r["measured"] for r in by_engagement)
    met = sum(r["met"] for r in by_engagement)
    months = []
    cursor = timezone.now().date().replace(day=1)
    for _ in range(12):
        months.append(cursor)
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return render(
        request,
        "work/portal/sla.html",
        {
            "month": month,
            "months": months,
            "by_engagement": by_engagement,
            "days": days,
            "measured": measured,
            "met": met,
            "quality_figures": catalogue.sla_figures(caller.client_ids, month, last),
            "percent": round(100 * met / measured, 1) if measured else None,
            "chart_engagement": bar_chart(
                [Point(r["key"], r["percent"]) for r in by_engagement],
                title=f"SLA met by service, {month:%B %Y}, percent",
                chart_id="portal-sla-engagement",
                unit="%",
                maximum=100,
                target=95,
            ),
            "chart_day": bar_chart(
                [Point(r["key"].strftime("%d"), r["percent"]) for r in days],
                title=f"SLA met by day, {month:%B %Y}, percent",
                chart_id="portal-sla-day",
                unit="%",
                maximum=100,
                target=95,
            ),
        },
    )
