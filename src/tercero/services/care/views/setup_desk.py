"""Set-up pages for web channels, custom fields, product checklists and support tiers:
lists with search, filters and CSV, forms checked in words by the same rules as the API
(`services/setup_*`), switching off or removing each. For `care:setup` holders."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.delivery.work import selectors as work_selectors
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Client
from tercero.services.care import selectors
from tercero.services.care.models import TierQueue
from tercero.services.care.services import setup_channels, setup_fields, setup_service_levels
from tercero.services.care.services.automations import CARE_SETUP
from tercero.web.lists import Column, Filter, Listing

CARE_LINES = ("customer_care", "technical_support")
ACTIVE = (("1", "Active"), ("0", "Switched off"))


def _queue_choices(engagement, work_type: str) -> list[tuple[int, str]]:
    queues = work_selectors.queues(
        client_ids=[engagement.client_id], engagement_id=engagement.pk, is_active=True
    ).order_by("name")
    return [(q.pk, q.name) for q in queues if work_type in q.work_types]


class ChannelForm(forms.Form):
    key = forms.SlugField(
        label="Key", max_length=40, help_text="Names the channel in its public addresses."
    )
    queue_id = forms.TypedChoiceField(label="Queue", coerce=int)
    title = forms.CharField(label="Title", max_length=100, initial="Contact us")
    greeting = forms.CharField(
        label="Greeting", max_length=300, required=False, initial="Hello! How can we help?"
    )
    allowed_origins = forms.CharField(
        label="Sites allowed to embed the chat",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, like https://shop.example.",
    )
    brand_name = forms.CharField(label="Brand name", max_length=100, required=False)
    brand_colour = forms.CharField(
        label="Brand colour", max_length=7, initial="#1f5fa8", help_text="Written #rrggbb."
    )
    new_chats_per_minute = forms.IntegerField(
        label="New chats a minute, at most",
        min_value=1,
        max_value=setup_channels.MAX_CHATS_PER_MINUTE,
        initial=300,
        help_text="For the whole engagement; beyond it customers are asked to try again.",
    )
    has_chat = forms.BooleanField(label="Chat", required=False, initial=True)
    has_form = forms.BooleanField(label="Contact form", required=False, initial=True)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, engagement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue_id"].choices = _queue_choices(engagement, "care.ticket")


class CustomFieldForm(forms.Form):
    key = forms.CharField(
        label="Key", max_length=40, help_text="Lower-case letters, digits and _; the API's name."
    )
    label = forms.CharField(label="Label", max_length=80)
    kind = forms.ChoiceField(label="Type", choices=tuple(setup_fields.KINDS.items()))
    choices = forms.CharField(
        label="Options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a choice field: one option a line.",
    )
    is_required = forms.BooleanField(label="Required to resolve a ticket", required=False)
    position = forms.IntegerField(label="Position", min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class ChecklistForm(forms.Form):
    product = forms.CharField(label="Product", max_length=100)
    title = forms.CharField(label="Title", max_length=150)
    steps = forms.CharField(
        label="Steps", widget=forms.Textarea(attrs={"rows": 6}), help_text="One step a line."
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class TierForm(forms.Form):
    tier = forms.ChoiceField(label="Tier", choices=[(t, t) for t in setup_service_levels.TIERS])
    queue_id = forms.TypedChoiceField(label="Queue", coerce=int)

    def __init__(self, *args: Any, engagement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue_id"].choices = _queue_choices(engagement, "support.ticket")


@dataclass(frozen=True)
class Kind:
    """One kind of set-up row: its words, its URLs and how its list shows it."""

    what: str
    title: str
    list_url: str
    row_url: str
    columns: tuple[Column, ...]
    cells: Callable[[Any], list[dict[str, str]]]
    search: Callable[[Any, str], Any]
    intro: str = ""


def _active(row) -> dict[str, str]:
    return {
        "label": "Active",
        "text": "Active" if row.is_active else "Switched off",
        "badge": "ok" if row.is_active else "off",
    }


def _owner(row) -> str:
    return f"{row.engagement.name} · {row.client.legal_name}"


CHANNELS = Kind(
    "web channel",
    "Web channels",
    "care:web_channels",
    "care:web_channel",
    (
        Column("key", "Key"),
        Column("title", "Title"),
        Column("engagement__name", "Engagement"),
        Column("queue__name", "Queue"),
        Column("new_chats_per_minute", "New chats a minute"),
        Column("is_active", "Active"),
    ),
    lambda row: [
        {"label": "Key", "text": row.key},
        {
            "label": "Title",
            "text": f"{row.title}" + (f" ({row.brand_name})" if row.brand_name else ""),
        },
        {"label": "Engagement", "text": _owner(row)},
        {"label": "Queue", "text": row.queue.name},
        {"label": "New chats a minute", "text": str(row.new_chats_per_minute)},
        _active(row),
    ],
    lambda qs, text: qs.filter(key__icontains=text) | qs.filter(title__icontains=text),
    "The contact form, hosted chat page and chat widget of each engagement.",
)
FIELDS = Kind(
    "custom field",
    "Custom fields",
    "care:custom_fields",
    "care:custom_field",
    (
        Column("label", "Label"),
        Column("key", "Key"),
        Column("kind", "Type", value=lambda row: row.get_kind_display()),
        Column("engagement__name", "Engagement"),
        Column("is_required", "Required", value=lambda row: "yes" if row.is_required else "no"),
        Column("is_active", "Active"),
    ),
    lambda row: [
        {"label": "Label", "text": row.label},
        {"label": "Key", "text": row.key},
        {
            "label": "Type",
            "text": row.get_kind_display() + (": " + ", ".join(row.choices) if row.choices else ""),
        },
        {"label": "Engagement", "text": _owner(row)},
        {"label": "Required", "text": "Required to resolve" if row.is_required else "Optional"},
        _active(row),
    ],
    lambda qs, text: qs.filter(label__icontains=text) | qs.filter(key__icontains=text),
    "Fields agents fill in on the engagement's tickets.",
)
CHECKLISTS = Kind(
    "checklist",
    "Checklists",
    "care:checklists",
    "care:checklist",
    (
        Column("product", "Product"),
        Column("title", "Title"),
        Column("client__legal_name", "Client"),
        Column("steps", "Steps", sortable=False, value=lambda row: "\n".join(row.steps)),
        Column("is_active", "Active"),
    ),
    lambda row: [
        {"label": "Product", "text": row.product},
        {"label": "Title", "text": row.title},
        {"label": "Client", "text": row.client.legal_name},
        {"label": "Steps", "text": f"{len(row.steps)} steps"},
        _active(row),
    ],
    lambda qs, text: qs.filter(product__icontains=text) | qs.filter(title__icontains=text),
    "Troubleshooting steps per product, ticked on support tickets and recorded on escalation.",
)
TIERS = Kind(
    "tier",
    "Tiers",
    "care:tiers",
    "care:tier",
    (
        Column("engagement__name", "Engagement"),
        Column("tier", "Tier"),
        Column("queue__name", "Queue"),
    ),
    lambda row: [
        {"label": "Engagement", "text": _owner(row)},
        {"label": "Tier", "text": row.tier},
        {"label": "Queue", "text": row.queue.name},
    ],
    lambda qs, text: (
        qs.filter(queue__name__icontains=text) | qs.filter(engagement__name__icontains=text)
    ),
    "Where escalating a support ticket to L1, L2 or L3 sends it.",
)


def _engagement_filter(found) -> Filter:
    names = sorted(set(found.values_list("engagement__name", "engagement_id")))
    return Filter(
        "engagement",
        "Engagement",
        tuple((str(pk), name) for name, pk in names),
        apply=lambda queryset, value: queryset.filter(engagement_id=value),
    )


def _client_filter(found) -> Filter:
    names = sorted(set(found.values_list("client__legal_name", "client_id")))
    return Filter(
        "client",
        "Client",
        tuple((str(pk), name) for name, pk in names),
        apply=lambda queryset, value: queryset.filter(client_id=value),
    )


def _list(request, kind: Kind, found, filters: list[Filter], new_label: str):
    listing = Listing(
        request,
        found,
        columns=kind.columns,
        filters=filters,
        search=kind.search,
        search_label=f"Search {kind.title.lower()}",
        default_sort=kind.columns[0].key,
    )
    if listing.wants_csv:
        return listing.csv_response(kind.title.lower().replace(" ", "-") + ".csv")
    table = [
        {"url": reverse(kind.row_url, args=[row.pk]), "cells": kind.cells(row)}
        for row in listing.rows
    ]
    context = {
        "title": kind.title,
        "intro": kind.intro,
        "listing": listing,
        "table": table,
        "new_url": reverse(kind.list_url) + "new/",
        "new_label": new_label,
    }
    return render(request, "care/setup_list.html", context)


@page(CARE_SETUP, staff=True)
def web_channel_list(request, caller):
    found = selectors.web_channels(client_ids=caller.client_ids)
    active = Filter(
        "is_active", "Active", ACTIVE, apply=lambda qs, v: qs.filter(is_active=v == "1")
    )
    return _list(request, CHANNELS, found, [_engagement_filter(found), active], "New web channel")


@page(CARE_SETUP, staff=True)
def custom_field_list(request, caller):
    found = selectors.custom_field_definitions(client_ids=caller.client_ids)
    filters = [
        _engagement_filter(found),
        Filter("kind", "Type", tuple(setup_fields.KINDS.items())),
        Filter("is_active", "Active", ACTIVE, apply=lambda qs, v: qs.filter(is_active=v == "1")),
    ]
    return _list(request, FIELDS, found, filters, "New custom field")


@page(CARE_SETUP, staff=True)
def checklist_list(request, caller):
    found = selectors.checklists(client_ids=caller.client_ids)
    active = Filter(
        "is_active", "Active", ACTIVE, apply=lambda qs, v: qs.filter(is_active=v == "1")
    )
    return _list(request, CHECKLISTS, found, [_client_filter(found), active], "New checklist")


@page(CARE_SETUP, staff=True)
def tier_list(request, caller):
    found = selectors.tiers(client_ids=caller.client_ids)
    tiers = Filter("tier", "Tier", tuple((t, t) for t in setup_service_levels.TIERS))
    return _list(request, TIERS, found, [_engagement_filter(found), tiers], "New tier")


# --- the forms ------------------------------------------------------------------------


def show_errors(form, error: DomainError) -> None:
    """A refusal from the rules, shown beside the fields it names."""
    for name, problem in error.fields.items():
        form.add_error(name if name in form.fields else None, f"{problem}")
    if not error.fields:
        form.add_error(None, error.message)


def _edit(request, kind: Kind, *, form, save, owner: str, row=None, **extra):
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{kind.what.capitalize()} saved.")
            return redirect(kind.row_url, saved.pk)
    context = {
        "form": form,
        "row": row,
        "heading": _heading(row) if row is not None else f"New {kind.what}",
        "owner": owner,
        "what": kind.what,
        "list_url": reverse(kind.list_url),
        "list_title": kind.title,
        **extra,
    }
    return render(request, "care/setup_form.html", context)


def _heading(row) -> str:
    if isinstance(row, TierQueue):
        return f"{row.tier}: {row.queue.name}"
    return str(row)


def _choose(request, kind: Kind, label: str, name: str, choices):
    context = {
        "heading": f"New {kind.what}",
        "what": kind.what,
        "list_url": reverse(kind.list_url),
        "list_title": kind.title,
        "choose_label": label,
        "choose_name": name,
        "choices": choices,
    }
    return render(request, "care/setup_form.html", context)


def _chosen(request, name: str) -> int | None:
    chosen = request.GET.get(name) or ""
    return int(chosen) if chosen.isdigit() and len(chosen) < 19 else None


def _engagement_or_choice(request, caller, kind: Kind):
    """The engagement the new row is for (from `?engagement=`), or the page to choose it."""
    chosen = _chosen(request, "engagement")
    if chosen is not None:
        return access_engagement(client_ids=caller.client_ids, engagement_id=chosen), None
    offered = (
        engagements(client_ids=caller.client_ids)
        .filter(service_line__in=CARE_LINES)
        .select_related("client")
        .order_by("name")
    )
    choices = [(e.pk, f"{e.name} · {e.client.legal_name}") for e in offered]
    return None, _choose(request, kind, "Engagement", "engagement", choices)


def _named(engagement) -> str:
    return f"{engagement.name} · {engagement.client.legal_name}"


@page(CARE_SETUP, staff=True)
def web_channel_new(request, caller):
    engagement, choice = _engagement_or_choice(request, caller, CHANNELS)
    if engagement is None:
        return choice
    return _edit(
        request,
        CHANNELS,
        form=ChannelForm(request.POST or None, engagement=engagement),
        owner=_named(engagement),
        save=lambda data: setup_channels.create_web_channel(
            actor=request.user, engagement=engagement, **_channel_fields(data)
        ),
    )


def _channel_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "allowed_origins": data.get("allowed_origins") or ""}


def _embed(request, channel) -> str:
    base = request.build_absolute_uri("/").rstrip("/")
    name = channel.brand_name or channel.title
    return (
        f'<script src="{base}/care/widget.js" data-tercero-chat="{channel.key}"\n'
        f'        data-base="{base}" data-colour="{channel.brand_colour}" '
        f'data-name="{name}" defer></script>'
    )


@page(CARE_SETUP, staff=True)
def web_channel_page(request, caller, channel_id: int):
    channel = selectors.access_web_channel(client_ids=caller.client_ids, channel_id=channel_id)
    initial = {name: getattr(channel, name) for name in setup_channels.CHANNEL_FIELDS}
    initial["allowed_origins"] = "\n".join(channel.allowed_origins)
    return _edit(
        request,
        CHANNELS,
        form=ChannelForm(request.POST or None, initial=initial, engagement=channel.engagement),
        owner=_named(channel.engagement),
        row=channel,
        embed=_embed(request, channel),
        save=lambda data: setup_channels.update_web_channel(
            actor=request.user, channel=channel, **_channel_fields(data)
        ),
    )


@page(CARE_SETUP, staff=True)
def custom_field_new(request, caller):
    engagement, choice = _engagement_or_choice(request, caller, FIELDS)
    if engagement is None:
        return choice
    return _edit(
        request,
        FIELDS,
        form=CustomFieldForm(request.POST or None),
        owner=_named(engagement),
        save=lambda data: setup_fields.create_custom_field(
            actor=request.user, engagement=engagement, **data
        ),
    )


@page(CARE_SETUP, staff=True)
def custom_field_page(request, caller, field_id: int):
    field = selectors.access_custom_field(client_ids=caller.client_ids, field_id=field_id)
    initial = {name: getattr(field, name) for name in setup_fields.FIELD_FIELDS}
    initial["choices"] = "\n".join(field.choices)
    return _edit(
        request,
        FIELDS,
        form=CustomFieldForm(request.POST or None, initial=initial),
        owner=_named(field.engagement),
        row=field,
        save=lambda data: setup_fields.update_custom_field(actor=request.user, field=field, **data),
    )


@page(CARE_SETUP, staff=True)
def checklist_new(request, caller):
    chosen = _chosen(request, "client")
    if chosen is None:
        clients = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
        choices = [(c.pk, c.legal_name) for c in clients]
        return _choose(request, CHECKLISTS, "Client", "client", choices)
    if chosen not in caller.client_ids:
        raise NotFound("Client not found.")
    client = Client.objects.get(pk=chosen)
    return _edit(
        request,
        CHECKLISTS,
        form=ChecklistForm(request.POST or None),
        owner=client.legal_name,
        save=lambda data: setup_fields.create_checklist(
            actor=request.user, client_id=client.pk, **data
        ),
    )


@page(CARE_SETUP, staff=True)
def checklist_page(request, caller, checklist_id: int):
    checklist = selectors.access_checklist(client_ids=caller.client_ids, checklist_id=checklist_id)
    initial = {name: getattr(checklist, name) for name in setup_fields.CHECKLIST_FIELDS}
    initial["steps"] = "\n".join(checklist.steps)
    return _edit(
        request,
        CHECKLISTS,
        form=ChecklistForm(request.POST or None, initial=initial),
        owner=checklist.client.legal_name,
        row=checklist,
        save=lambda data: setup_fields.update_checklist(
            actor=request.user, checklist=checklist, **data
        ),
    )


@page(CARE_SETUP, staff=True)
def tier_new(request, caller):
    engagement, choice = _engagement_or_choice(request, caller, TIERS)
    if engagement is None:
        return choice
    return _edit(
        request,
        TIERS,
        form=TierForm(request.POST or None, engagement=engagement),
        owner=_named(engagement),
        save=lambda data: setup_service_levels.create_tier(
            actor=request.user, engagement=engagement, **data
        ),
    )


@page(CARE_SETUP, staff=True)
def tier_page(request, caller, tier_id: int):
    route = selectors.access_tier(client_ids=caller.client_ids, tier_id=tier_id)
    initial = {"tier": route.tier, "queue_id": route.queue_id}
    return _edit(
        request,
        TIERS,
        form=TierForm(request.POST or None, initial=initial, engagement=route.engagement),
        owner=_named(route.engagement),
        row=route,
        remove_url=reverse("care:tier_remove", args=[route.pk]),
        save=lambda data: setup_service_levels.update_tier(actor=request.user, route=route, **data),
    )


@page(CARE_SETUP, staff=True)
def tier_remove(request, caller, tier_id: int):
    route = selectors.access_tier(client_ids=caller.client_ids, tier_id=tier_id)
    if request.method != "POST":
        return redirect("care:tier", route.pk)
    setup_service_levels.remove_tier(actor=request.user, route=route)
    messages.success(request, f"{route.tier} no longer sends tickets to {route.queue.name}.")
    return redirect("care:tiers")
