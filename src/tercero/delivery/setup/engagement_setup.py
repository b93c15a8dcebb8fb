"""One engagement's set-up, section by section, without JSON: working hours, holidays and
closures, SLA targets, channels and residency, and its queues. Each form carries the
version it was loaded at; a save over someone else's is refused in words."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from tercero.delivery.engagements import preview, services, words
from tercero.delivery.engagements.models import Engagement
from tercero.delivery.setup.engagement_forms import (
    ClosureForm,
    HolidaysForm,
    HoursForm,
    QueueEditForm,
    ReachForm,
    SlaTargetForm,
)
from tercero.delivery.setup.engagements import (
    calendar_context,
    engagement_of,
    in_words,
    local_today,
    place_errors,
)
from tercero.delivery.setup.queue_forms import QueueHoursForm
from tercero.delivery.work import queue_hours
from tercero.delivery.work import services as work
from tercero.delivery.work.models import Queue
from tercero.delivery.workforce import selectors as workforce
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import page, version_of

MISSING_VERSION = "The form is missing its version; reload the page."


def _saved(
    request: HttpRequest,
    caller: Caller,
    engagement: Engagement,
    form: forms.Form,
    changes: dict[str, Any],
    done: str,
) -> bool:
    """Save `changes` at the version the form was loaded with; False (the reason on the
    form) when refused."""
    version = version_of(request)
    if version is None:
        form.add_error(None, MISSING_VERSION)
        return False
    try:
        services.update_engagement(
            actor=caller.user, engagement=engagement, version=version, changes=changes
        )
    except DomainError as error:
        place_errors(form, error)
        return False
    messages.success(request, done)
    return True


def _page(
    request: HttpRequest,
    template: str,
    engagement_id: int,
    caller: Caller,
    context: dict[str, Any],
    *,
    refused: bool,
) -> HttpResponse:
    """The section's page over the engagement as stored (a refused form keeps what was
    entered, and the version it was loaded at so that a stale form stays stale)."""
    engagement = engagement_of(caller, engagement_id)
    version = version_of(request) if refused else None
    return render(
        request,
        template,
        {
            "engagement": engagement,
            "version": version or engagement.version,
            **calendar_context(engagement),
            **in_words(engagement),
            **context,
        },
        status=422 if refused else 200,
    )


@page("engagements:write", staff=True)
def engagement_hours(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = engagement_of(caller, engagement_id)
    form = HoursForm(request.POST or None, engagement=engagement)
    done = "Working hours saved."
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved(request, caller, engagement, form, form.changes(), done)
    ):
        return redirect("engagements:detail", engagement_id=engagement.pk)
    refused = request.method == "POST"
    context = {"form": form}
    return _page(request, "engagements/hours.html", engagement_id, caller, context, refused=refused)


@page("engagements:write", staff=True)
def engagement_calendar(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    """Public holidays (by country and region) and the client's own closures."""
    engagement = engagement_of(caller, engagement_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    holidays_form = HolidaysForm(
        request.POST if action == "holidays" else None, engagement=engagement
    )
    closure_form = ClosureForm(request.POST if action == "add_closure" else None)
    if action == "holidays" and holidays_form.is_valid():
        done = "Public holidays saved."
        if _saved(request, caller, engagement, holidays_form, holidays_form.changes(), done):
            return redirect("engagements:calendar", engagement_id=engagement.pk)
    elif action == "add_closure" and closure_form.is_valid():
        if _add_closure(request, caller, engagement, closure_form):
            return redirect("engagements:calendar", engagement_id=engagement.pk)
    elif action == "remove_closure":
        _remove_closure(request, caller, engagement)
        return redirect("engagements:calendar", engagement_id=engagement.pk)
    today = local_today(engagement)
    context = {
        "holidays_form": holidays_form,
        "closure_form": closure_form,
        "public_holidays": preview.public_holidays(engagement, start=today, days=365),
    }
    refused = bool(action)
    return _page(
        request, "engagements/calendar.html", engagement_id, caller, context, refused=refused
    )


def _add_closure(
    request: HttpRequest, caller: Caller, engagement: Engagement, form: ClosureForm
) -> bool:
    closures = preview.closures_by_date(engagement)
    reason = form.cleaned_data["reason"].strip()
    days = form.days()
    for day in days:
        closures[day] = reason
    stored = [{"date": day.isoformat(), "reason": why} for day, why in sorted(closures.items())]
    said = days[0].strftime("%-d %B %Y") if len(days) == 1 else f"{len(days)} days"
    done = f"Closure added: {said} ({reason})."
    return _saved(request, caller, engagement, form, {"closures": stored}, done)


def _remove_closure(request: HttpRequest, caller: Caller, engagement: Engagement) -> None:
    closures = preview.closures_by_date(engagement)
    kept = {
        day: why for day, why in closures.items() if day.isoformat() != request.POST.get("date")
    }
    if len(kept) == len(closures):
        messages.error(request, "That closure is not in the calendar; nothing was changed.")
        return
    stored = [{"date": day.isoformat(), "reason": why} for day, why in kept.items()]
    form = forms.Form()
    if not _saved(request, caller, engagement, form, {"closures": stored}, "Closure removed."):
        for error in form.non_field_errors():
            messages.error(request, str(error))


@page("engagements:write", staff=True)
def engagement_sla(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    """SLA targets per measure and priority, in units people use."""
    engagement = engagement_of(caller, engagement_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = SlaTargetForm(request.POST if action == "add" else None)
    if action == "add" and form.is_valid():
        if _add_target(request, caller, engagement, form):
            return redirect("engagements:sla", engagement_id=engagement.pk)
    elif action == "remove":
        _remove_target(request, caller, engagement)
        return redirect("engagements:sla", engagement_id=engagement.pk)
    targets = [
        {
            "key": _key(target),
            "words": words.target_in_words(
                target, is_24_7=engagement.is_24_7, others=engagement.sla_targets
            ),
        }
        for target in engagement.sla_targets
    ]
    context = {"form": form, "targets": targets}
    return _page(
        request, "engagements/sla.html", engagement_id, caller, context, refused=bool(action)
    )


def _key(target: dict[str, Any]) -> str:
    return f"{target.get('metric')}:{target.get('priority') or ''}"


def _add_target(
    request: HttpRequest, caller: Caller, engagement: Engagement, form: SlaTargetForm
) -> bool:
    new = form.cleaned_data["target"]
    kept = [t for t in engagement.sla_targets if _key(t) != _key(new)]
    replaced = len(kept) < len(engagement.sla_targets)
    said = words.target_in_words(new, is_24_7=engagement.is_24_7, others=kept)
    done = f"{'Target replaced' if replaced else 'Target added'}: {said}."
    return _saved(request, caller, engagement, form, {"sla_targets": [*kept, new]}, done)


def _remove_target(request: HttpRequest, caller: Caller, engagement: Engagement) -> None:
    key = request.POST.get("target", "")
    kept = [t for t in engagement.sla_targets if _key(t) != key]
    if len(kept) == len(engagement.sla_targets):
        messages.error(request, "That target is not set; nothing was changed.")
        return
    form = forms.Form()
    if not _saved(request, caller, engagement, form, {"sla_targets": kept}, "Target removed."):
        for error in form.non_field_errors():
            messages.error(request, str(error))


@page("engagements:write", staff=True)
def engagement_reach(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    """Channels, languages and data residency."""
    engagement = engagement_of(caller, engagement_id)
    countries = workforce.sites(is_active=True).values_list("country", flat=True)
    form = ReachForm(request.POST or None, engagement=engagement, site_countries=countries)
    if request.method == "POST" and form.is_valid():
        done = "Channels and residency saved."
        if _saved(request, caller, engagement, form, form.changes(), done):
            return redirect("engagements:detail", engagement_id=engagement.pk)
    refused = request.method == "POST"
    context = {"form": form}
    return _page(request, "engagements/reach.html", engagement_id, caller, context, refused=refused)


@page("queues:write", staff=True)
def engagement_queue(
    request: HttpRequest, caller: Caller, engagement_id: int, queue_id: int
) -> HttpResponse:
    """Edit one of the engagement's queues: its set-up, and its hours (the engagement's
    or its own shifts), each form saved on its own."""
    engagement = engagement_of(caller, engagement_id)
    queue = _queue_of(engagement, queue_id)
    action = request.POST.get("action", "queue") if request.method == "POST" else ""
    initial = {name: getattr(queue, name) for name in QueueEditForm.base_fields}
    form = QueueEditForm(request.POST if action == "queue" else None, initial=initial)
    hours_form = QueueHoursForm(request.POST if action == "hours" else None, queue=queue)
    posted = form if action == "queue" else hours_form
    version = version_of(request) if action else queue.version
    if action and posted.is_valid():
        if version is None:
            posted.add_error(None, MISSING_VERSION)
        else:
            changes = form.cleaned_data if action == "queue" else hours_form.changes()
            try:
                saved = work.update_queue(
                    actor=caller.user, queue=queue, version=version, changes=changes
                )
            except DomainError as error:
                place_errors(posted, error)
            else:
                said = "; ".join(queue_hours.in_words(saved))
                done = (
                    f"Queue {queue.name} saved."
                    if action == "queue"
                    else (f"Hours of queue {queue.name} saved: {said}.")
                )
                messages.success(request, done)
                return redirect("engagements:detail", engagement_id=engagement.pk)
    now = timezone.now()
    return render(
        request,
        "engagements/queue.html",
        {
            "engagement": engagement,
            "queue": queue,
            "form": form,
            "hours_form": hours_form,
            "hours_in_words": queue_hours.in_words(queue),
            "engagement_hours": words.working_hours_in_words(engagement),
            "state_now": queue_hours.state_in_words(queue, now),
            "version": version or queue.version,
        },
        status=422 if action else 200,
    )


def _queue_of(engagement: Engagement, queue_id: int) -> Queue:
    queue = Queue.objects.filter(engagement=engagement, pk=queue_id).first()
    if queue is None:
        raise Http404("Queue not found.")
    return queue
