"""Engagement set-up screens: the list, one engagement's whole set-up in words, create
and edit its terms. Hours, holidays, SLA targets, channels and queues: `engagement_setup`."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.delivery.engagements import (
    complexity,
    lifecycle,
    preview,
    selectors,
    services,
    words,
)
from tercero.delivery.engagements.models import Engagement
from tercero.delivery.setup.engagement_forms import (
    CHANNELS,
    SHORES,
    NewEngagementForm,
    QueueForm,
    TermsForm,
)
from tercero.delivery.work import queue_hours, registry
from tercero.delivery.work import services as work
from tercero.delivery.work.models import Queue
from tercero.platform import catalogue
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Client
from tercero.web.lists import Column, Filter, Listing


def engagement_of(caller: Caller, engagement_id: int) -> Engagement:
    """The engagement if the caller's clients include its client; 404 otherwise."""
    try:
        found = selectors.access_engagement(
            client_ids=caller.client_ids, engagement_id=engagement_id
        )
    except DomainError as error:
        raise Http404(error.message) from error
    return Engagement.objects.select_related("client").get(pk=found.pk)


def local_today(engagement: Engagement) -> date:
    """Today in the engagement's own time zone."""
    return timezone.now().astimezone(preview.zone_of(engagement)).date()


def calendar_context(engagement: Engagement) -> dict[str, object]:
    """What every page showing the engagement's calendar shows: hours in words and the
    next four weeks day by day."""
    today = local_today(engagement)
    return {
        "hours_in_words": words.working_hours_in_words(engagement),
        "preview_weeks": preview.calendar_preview(engagement, today=today, weeks=4),
        "weekdays": words.WEEKDAYS,
        "has_no_hours": not engagement.is_24_7 and not any(engagement.working_hours.values()),
    }


def in_words(engagement: Engagement) -> dict[str, object]:
    """Codes of the engagement's set-up as labels."""
    channels, shores = dict(CHANNELS), dict(SHORES)
    return {
        "sla_in_words": words.targets_in_words(engagement.sla_targets, is_24_7=engagement.is_24_7),
        "channel_names": [channels.get(c, c) for c in engagement.channels],
        "shore_names": [shores.get(s, s) for s in engagement.residency_allowed_shores],
        "country_names": [words.country_name(c) for c in engagement.residency_allowed_countries],
        "holiday_country_name": words.country_name(engagement.holiday_country)
        if engagement.holiday_country
        else "",
        "closures": preview.closures_by_date(engagement),
    }


@page("engagements:read", staff=True)
def engagement_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    clients = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    listing = Listing(
        request,
        selectors.engagements(client_ids=caller.client_ids).select_related("client"),
        columns=[
            Column("name", "Engagement"),
            Column("client__legal_name", "Client"),
            Column("service_line", "Service line", value=lambda e: e.get_service_line_display()),
            Column("status", "Status", value=lambda e: e.get_status_display()),
            Column("complexity_band", "Complexity"),
            Column("monthly_volume", "Monthly volume"),
        ],
        filters=[
            Filter("status", "Status", tuple(Engagement.Status.choices)),
            Filter("service_line", "Service line", tuple(catalogue.offerings().items())),
            Filter(
                "client",
                "Client",
                tuple((str(c.pk), c.legal_name) for c in clients),
                apply=lambda qs, v: qs.filter(client_id=int(v)),
            ),
        ],
        search=lambda qs, q: qs.filter(name__icontains=q),
        search_label="Search name",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("engagements.csv")
    return render(
        request,
        "engagements/list.html",
        {"listing": listing, "may_write": "engagements:write" in caller.permissions},
    )


@page("engagements:read", staff=True)
def engagement_detail(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = engagement_of(caller, engagement_id)
    queue_form = QueueForm(request.POST or None)
    if request.method == "POST":
        if "queues:write" not in caller.permissions:
            raise DjangoPermissionDenied("This needs the 'queues:write' permission.")
        if queue_form.is_valid():
            try:
                work.create_queue(
                    actor=caller.user, engagement=engagement, **queue_form.cleaned_data
                )
            except DomainError as error:
                place_errors(queue_form, error)
            else:
                messages.success(request, f"Queue {queue_form.cleaned_data['name']} added.")
                return redirect("engagements:detail", engagement_id=engagement.pk)
    titles = {t.key: t.title for t in registry.all_types()}
    now = timezone.now()
    queues = [
        (
            queue,
            [titles.get(key, key) for key in queue.work_types],
            queue_hours.in_words(queue),
            queue_hours.state_in_words(queue, now),
        )
        for queue in Queue.objects.filter(engagement=engagement)
        .select_related("engagement")
        .order_by("name")
    ]
    return render(
        request,
        "engagements/detail.html",
        {
            "engagement": engagement,
            "queues": queues,
            "queue_form": queue_form,
            "moves": lifecycle.allowed_moves(engagement.status),
            "may_write": "engagements:write" in caller.permissions,
            "may_queue": "queues:write" in caller.permissions,
            "factors": _factors(engagement),
            **calendar_context(engagement),
            **in_words(engagement),
        },
        status=422 if request.method == "POST" else 200,
    )


def _factors(engagement: Engagement) -> list[dict[str, object]]:
    """The complexity breakdown with each input in words (stored rows kept codes)."""
    factors = []
    for factor in engagement.complexity_breakdown:
        shown = complexity.shown_input(factor["factor"], factor["input"])
        code = f"{factor['input']} {complexity.FACTORS.get(factor['factor'], ('', '', ''))[2]}"
        why = str(factor["explanation"]).replace(f": {code.strip()} is", f": {shown} is")
        factors.append({**factor, "shown": shown, "explanation": why})
    return factors


@require_POST
@page("engagements:write", staff=True)
def change_status(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = engagement_of(caller, engagement_id)
    status = request.POST.get("status", "")
    if status == lifecycle.ENDED and request.POST.get("confirmed") != "yes":
        # ending is for good: never done without the person saying so
        messages.error(request, f"Confirm that {engagement.name} ends; nothing was changed.")
        return redirect("engagements:detail", engagement_id=engagement.pk)
    try:
        services.change_engagement_status(
            actor=caller.user,
            engagement=engagement,
            status=status,
            reason=request.POST.get("reason", "")[:500],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{engagement.name} is now {engagement.get_status_display()}.")
    return redirect("engagements:detail", engagement_id=engagement.pk)


def place_errors(form: forms.Form, error: DomainError) -> None:
    for name, message in error.fields.items():
        form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


@page("engagements:write", staff=True)
def engagement_new(request: HttpRequest, caller: Caller) -> HttpResponse:
    form = NewEngagementForm(request.POST or None, client_ids=caller.client_ids)
    if request.method == "POST" and form.is_valid():
        fields = form.changes()
        client = fields.pop("client")
        try:
            engagement = services.create_engagement(actor=caller.user, client=client, **fields)
        except DomainError as error:
            place_errors(form, error)
        else:
            messages.success(
                request,
                f"Engagement {engagement.name} created as a draft. Next: its hours, holidays, "
                "SLA targets, channels and queues.",
            )
            return redirect("engagements:detail", engagement_id=engagement.pk)
    return render(
        request,
        "engagements/form.html",
        {"form": form, "engagement": None},
        status=422 if request.method == "POST" else 200,
    )


@page("engagements:write", staff=True)
def engagement_edit(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = engagement_of(caller, engagement_id)
    initial = {name: getattr(engagement, name) for name in TermsForm.base_fields}
    form = TermsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = int(request.POST.get("version", ""))
            services.update_engagement(
                actor=caller.user, engagement=engagement, version=version, changes=form.changes()
            )
        except ValueError:
            form.add_error(None, "The form is missing its version; reload the page.")
        except DomainError as error:
            place_errors(form, error)
        else:
            messages.success(request, "Engagement saved; complexity re-assessed.")
            return redirect("engagements:detail", engagement_id=engagement.pk)
    return render(
        request,
        "engagements/form.html",
        {"form": form, "engagement": engagement},
        status=422 if request.method == "POST" else 200,
    )
