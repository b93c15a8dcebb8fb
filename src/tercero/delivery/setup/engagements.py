"""Engagement setup screens: the list, one engagement's whole set-up, create and edit."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.engagements import lifecycle, selectors, services
from tercero.delivery.engagements.models import Category, Engagement
from tercero.delivery.work import registry
from tercero.delivery.work import services as work
from tercero.delivery.work.models import Queue
from tercero.platform import catalogue
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Client
from tercero.web.lists import Column, Filter, Listing

SHORES = (("onshore", "Onshore"), ("nearshore", "Nearshore"), ("offshore", "Offshore"))


def _engagement(caller: Caller, engagement_id: int) -> Engagement:
    try:
        found = selectors.access_engagement(
            client_ids=caller.client_ids, engagement_id=engagement_id
        )
    except DomainError as error:
        raise Http404(error.message) from error
    return Engagement.objects.select_related("client").get(pk=found.pk)


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


class QueueForm(forms.Form):
    name = forms.CharField(label="Queue name", max_length=100)
    work_types = forms.MultipleChoiceField(
        label="Work it takes", widget=forms.CheckboxSelectMultiple, choices=()
    )
    routing = forms.ChoiceField(label="Routing", choices=Queue.Routing.choices)
    priority = forms.TypedChoiceField(
        label="Default priority", coerce=int, choices=[(p, f"P{p}") for p in range(1, 5)], initial=3
    )
    at_risk_percent = forms.IntegerField(
        label="At risk after (% of the SLA time used)", min_value=1, max_value=99, initial=80
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["work_types"]).choices = [
            (t.key, t.title) for t in registry.all_types()
        ]


@page("engagements:read", staff=True)
def engagement_detail(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = _engagement(caller, engagement_id)
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
                queue_form.add_error(None, error.message)
            else:
                messages.success(request, f"Queue {queue_form.cleaned_data['name']} added.")
                return redirect("engagements:detail", engagement_id=engagement.pk)
    return render(
        request,
        "engagements/detail.html",
        {
            "engagement": engagement,
            "queues": Queue.objects.filter(engagement=engagement).order_by("name"),
            "queue_form": queue_form,
            "moves": lifecycle.allowed_moves(engagement.status),
            "may_write": "engagements:write" in caller.permissions,
            "may_queue": "queues:write" in caller.permissions,
            "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@page("engagements:write", staff=True)
def change_status(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = _engagement(caller, engagement_id)
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


class EngagementForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    scope = forms.CharField(label="Scope", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    monthly_volume = forms.IntegerField(label="Monthly volume", min_value=0, initial=0)
    process_steps = forms.IntegerField(
        label="Process steps", min_value=1, max_value=1000, initial=1
    )
    exception_rate_percent = forms.FloatField(
        label="Exception rate (%)", min_value=0, max_value=100, initial=0
    )
    systems_count = forms.IntegerField(label="Systems used", min_value=0, max_value=1000, initial=1)
    regulation = forms.ChoiceField(label="Regulation", choices=Engagement.Regulation.choices)
    hours_of_cover = forms.ChoiceField(label="Hours of cover", choices=Engagement.Cover.choices)
    time_zone = forms.CharField(label="Time zone", max_length=64, initial="UTC")
    holiday_country = forms.CharField(label="Holiday country", max_length=3, required=False)
    working_hours = forms.JSONField(
        label="Working hours",
        required=False,
        help_text='Weekday 0 (Monday) to 6 → list of ["HH:MM", "HH:MM"] intervals.',
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sla_targets = forms.JSONField(
        label="SLA targets",
        required=False,
        help_text='e.g. [{"metric": "resolution", "priority": 1, "target_seconds": 14400}]',
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    residency_allowed_shores = forms.MultipleChoiceField(
        label="Personal data may be seen from",
        choices=SHORES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: no restriction by shore.",
    )
    residency_allowed_countries = forms.CharField(
        label="Only from these countries",
        required=False,
        help_text="Two-letter codes separated by commas; empty: no restriction by country.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_residency_allowed_countries(self) -> list[str]:
        text = self.cleaned_data["residency_allowed_countries"]
        codes = [part.strip().upper() for part in text.split(",") if part.strip()]
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise forms.ValidationError(f"Not two-letter country codes: {', '.join(bad)}")
        return codes

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["working_hours"] = data.get("working_hours") or {}
        data["sla_targets"] = data.get("sla_targets") or []
        return data


class NewEngagementForm(EngagementForm):
    client = forms.ModelChoiceField(label="Client", queryset=Client.objects.none())
    service_line = forms.ChoiceField(
        label="Service line", choices=lambda: tuple(catalogue.offerings().items())
    )
    category = forms.ChoiceField(label="Category", choices=Category.choices)
    office = forms.ChoiceField(label="Office", choices=Engagement.Office.choices)
    orientation = forms.ChoiceField(label="Orientation", choices=Engagement.Orientation.choices)
    pricing_model = forms.ChoiceField(label="Pricing", choices=Engagement.Pricing.choices)
    field_order = ["client", "name", "service_line", "category", "office", "orientation"]

    def __init__(self, *args: Any, client_ids: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Client]", self.fields["client"])
        field.queryset = Client.objects.filter(pk__in=client_ids).order_by("legal_name")


def _place_errors(form: forms.Form, error: DomainError) -> None:
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
            _place_errors(form, error)
        else:
            messages.success(request, f"Engagement {engagement.name} created as a draft.")
            return redirect("engagements:detail", engagement_id=engagement.pk)
    return render(
        request,
        "engagements/form.html",
        {"form": form, "engagement": None},
        status=422 if request.method == "POST" else 200,
    )


@page("engagements:write", staff=True)
def engagement_edit(request: HttpRequest, caller: Caller, engagement_id: int) -> HttpResponse:
    engagement = _engagement(caller, engagement_id)
    initial = {name: getattr(engagement, name) for name in EngagementForm.base_fields}
    initial["residency_allowed_countries"] = ", ".join(engagement.residency_allowed_countries)
    form = EngagementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = int(request.POST.get("version", ""))
            services.update_engagement(
                actor=caller.user, engagement=engagement, version=version, changes=form.changes()
            )
        except ValueError:
            form.add_error(None, "The form is missing its version; reload the page.")
        except DomainError as error:
            _place_errors(form, error)
        else:
            messages.success(request, "Engagement saved; complexity re-assessed.")
            return redirect("engagements:detail", engagement_id=engagement.pk)
    return render(
        request,
        "engagements/form.html",
        {"form": form, "engagement": engagement},
        status=422 if request.method == "POST" else 200,
    )
