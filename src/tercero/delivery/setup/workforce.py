"""Sites and agents with their skills, languages and capacity."""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.workforce import selectors, services
from tercero.delivery.workforce.models import CHANNELS, DEFAULT_SHRINKAGE, Agent, Site
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Provider
from tercero.web.lists import Column, Filter, Listing
from tercero.web.money import places, to_minor

SKILL_LINE = re.compile(r"^\s*([a-z][a-z0-9_.-]{0,63})\s*[=:]\s*([1-5])\s*$")


@page("agents:read", staff=True)
def agent_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    sites = selectors.sites().order_by("name")
    listing = Listing(
        request,
        work_selectors.agents(client_ids=caller.client_ids),
        columns=[
            Column("user__full_name", "Agent"),
            Column("site__name", "Site"),
            Column("presence", "Presence", value=lambda a: a.get_presence_display()),
            Column("skills", "Skills", sortable=False, value=_skills_text),
            Column(
                "languages", "Languages", sortable=False, value=lambda a: ", ".join(a.languages)
            ),
        ],
        filters=[
            Filter("presence", "Presence", tuple(Agent.Presence.choices)),
            Filter(
                "site",
                "Site",
                tuple((str(s.pk), s.name) for s in sites),
                apply=lambda qs, v: qs.filter(site_id=int(v)),
            ),
        ],
        search=lambda qs, q: (
            qs.filter(user__full_name__icontains=q) | qs.filter(user__email__icontains=q)
        ),
        search_label="Search name or e-mail",
        default_sort="user__full_name",
    )
    if listing.wants_csv:
        return listing.csv_response("agents.csv")
    return render(request, "workforce/agents.html", {"listing": listing})


def _skills_text(agent: Agent) -> str:
    return ", ".join(f"{name} {level}" for name, level in sorted(agent.skills.items()))


class AgentForm(forms.Form):
    skills = forms.CharField(
        label="Skills",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        # the skill is typed as its code, so the example shows one as code
        help_text=mark_safe(
            "One per line: skill = level (1 to 5), e.g. <code>data_entry = 3</code>."
        ),
    )
    languages = forms.CharField(
        label="Languages", required=False, help_text="Two-letter codes separated by commas."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for channel in CHANNELS:
            self.fields[f"capacity_{channel}"] = forms.IntegerField(
                label=f"Capacity: {channel.replace('_', ' ')}",
                min_value=0,
                max_value=50,
                required=False,
            )

    def clean_skills(self) -> dict[str, int]:
        skills: dict[str, int] = {}
        for number, line in enumerate(self.cleaned_data["skills"].splitlines(), start=1):
            if not line.strip():
                continue
            match = SKILL_LINE.match(line.lower())
            if not match:
                raise forms.ValidationError(f"Line {number} is not 'skill = level (1-5)'.")
            skills[match.group(1)] = int(match.group(2))
        return skills

    def clean_languages(self) -> list[str]:
        codes = [c.strip().lower() for c in self.cleaned_data["languages"].split(",") if c.strip()]
        bad = [c for c in codes if not re.fullmatch(r"[a-z]{2}", c)]
        if bad:
            raise forms.ValidationError(f"Not two-letter language codes: {', '.join(bad)}")
        return codes

    def changes(self) -> dict[str, Any]:
        capacity = {
            channel: self.cleaned_data[f"capacity_{channel}"]
            for channel in CHANNELS
            if self.cleaned_data.get(f"capacity_{channel}") is not None
        }
        return {
            "skills": self.cleaned_data["skills"],
            "languages": self.cleaned_data["languages"],
            "capacity": capacity,
        }


@page("agents:read", staff=True)
def agent_detail(request: HttpRequest, caller: Caller, agent_id: int) -> HttpResponse:
    try:
        agent = work_selectors.access_agent(client_ids=caller.client_ids, agent_id=agent_id)
    except DomainError as error:
        raise Http404(error.message) from error
    initial = {
        "skills": "\n".join(f"{n} = {lvl}" for n, lvl in sorted(agent.skills.items())),
        "languages": ", ".join(agent.languages),
        **{f"capacity_{c}": v for c, v in agent.capacity.items()},
    }
    form = AgentForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if "agents:write" not in caller.permissions:
            raise DjangoPermissionDenied("This needs the 'agents:write' permission.")
        if form.is_valid():
            try:
                services.update_agent(
                    actor=caller.user,
                    agent=agent,
                    version=int(request.POST.get("version") or 0),
                    changes=form.changes(),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"{agent.user.full_name} saved.")
                return redirect("workforce:agent", agent_id=agent.pk)
    return render(
        request,
        "workforce/agent.html",
        {
            "agent": agent,
            "form": form,
            "clearances": work_selectors.clearances_of(agent=agent, client_ids=caller.client_ids),
            "may_write": "agents:write" in caller.permissions,
            "history": agent.presence_history.order_by("-at")[:20],
        },
        status=422 if request.method == "POST" else 200,
    )


class SiteForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    country = forms.CharField(label="Country (two letters)", max_length=2)
    city = forms.CharField(label="City", max_length=100)
    time_zone = forms.CharField(label="Time zone", max_length=64, initial="UTC")
    hourly_cost = forms.DecimalField(
        label="Hourly cost",
        min_value=0,
        max_digits=12,
        help_text="In the currency below, e.g. 12.50",
    )
    currency = forms.CharField(label="Currency", max_length=3, initial="USD")
    languages = forms.CharField(
        label="Languages", initial="en", help_text="Two-letter codes separated by commas."
    )
    shrinkage_percent = forms.DecimalField(
        label="Shrinkage (%)",
        initial=30,
        required=False,
        min_value=0,
        max_value=95,
        decimal_places=1,
        help_text="Paid time not on the work (breaks, training, leave), from 0 to 95; "
        "30 when left empty. Planning adds it to the agents each interval needs.",
        error_messages={
            "min_value": "Shrinkage is a percentage from 0 to 95.",
            "max_value": "Shrinkage is a percentage from 0 to 95.",
            "invalid": "Shrinkage is a percentage from 0 to 95, such as 30.",
            "max_decimal_places": "Give shrinkage to one decimal place at most, such as 32.5.",
        },
    )

    def clean(self) -> dict[str, Any]:
        """The cost as whole minor units of its currency (12.50 USD -> 1250); the
        languages as a list; shrinkage as a share (30 % -> 0.3)."""
        data = super().clean() or {}
        if "shrinkage_percent" in data:
            typed = data.pop("shrinkage_percent")
            data["shrinkage"] = DEFAULT_SHRINKAGE if typed is None else float(typed) / 100
        if "languages" in data:
            data["languages"] = [
                c.strip().lower() for c in data["languages"].split(",") if c.strip()
            ]
        if "hourly_cost" in data and data.get("currency"):
            try:
                data["hourly_cost_minor"] = to_minor(data.pop("hourly_cost"), data["currency"])
            except ValueError as error:
                self.add_error("hourly_cost", str(error))
        return data

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@page("sites:read", staff=True)
def site_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    listing = Listing(
        request,
        selectors.sites(),
        columns=[
            Column("name", "Site"),
            Column("city", "City"),
            Column("country", "Country"),
            Column("time_zone", "Time zone"),
            Column("shrinkage", "Shrinkage", value=lambda s: _percent(s.shrinkage)),
            Column("is_active", "Active", value=lambda s: "yes" if s.is_active else "no"),
        ],
        filters=[
            Filter(
                "active",
                "Active",
                (("yes", "Active"), ("no", "Closed")),
                apply=lambda qs, v: qs.filter(is_active=v == "yes"),
            )
        ],
        search=lambda qs, q: qs.filter(name__icontains=q) | qs.filter(city__icontains=q),
        search_label="Search name or city",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("sites.csv")
    may_write = "sites:write" in caller.permissions
    form = SiteForm(request.POST or None)
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied("This needs the 'sites:write' permission.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["country"] = data["country"].upper()
            data["currency"] = data["currency"].upper()
            provider = Provider.objects.order_by("id").first()
            try:
                if provider is None:
                    raise NotFound("No provider is set up; run `tercero demo` or create one.")
                site = services.create_site(actor=caller.user, provider=provider, **data)
            except DomainError as error:
                for name, message in error.fields.items():
                    form.add_error(name if name in form.fields else None, message)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                messages.success(request, f"Site {site.name} added.")
                return redirect("workforce:sites")
    return render(
        request,
        "workforce/sites.html",
        {"listing": listing, "form": form, "may_write": may_write},
        status=422 if request.method == "POST" else 200,
    )


def _percent(share: float) -> str:
    return f"{100 * share:.1f}".removesuffix(".0") + " %"


def _site_initial(site: Site) -> dict[str, Any]:
    return {
        "name": site.name,
        "country": site.country,
        "city": site.city,
        "time_zone": site.time_zone,
        "hourly_cost": Decimal(site.hourly_cost_minor).scaleb(-places(site.currency)),
        "currency": site.currency,
        "languages": ", ".join(site.languages),
        "shrinkage_percent": round(100 * site.shrinkage, 1),
    }


@page("sites:read", staff=True)
def site_detail(request: HttpRequest, caller: Caller, site_id: int) -> HttpResponse:
    """One site's figures, editable by those who hold `sites:write`; a change is audited
    (`site.updated`, naming the fields that changed)."""
    site = selectors.access_site(site_id=site_id)
    may_write = "sites:write" in caller.permissions
    form = SiteForm(request.POST or None, initial=_site_initial(site))
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied("This needs the 'sites:write' permission.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["country"] = data["country"].upper()
            data["currency"] = data["currency"].upper()
            changes = {name: value for name, value in data.items() if getattr(site, name) != value}
            try:
                if changes:
                    services.update_site(actor=caller.user, site=site, changes=changes)
            except DomainError as error:
                for name, message in error.fields.items():
                    form.add_error(_form_field(name, form), message)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                messages.success(request, f"Site {site.name} saved.")
                return redirect("workforce:site", site_id=site.pk)
    return render(
        request,
        "workforce/site.html",
        {"site": site, "form": form, "may_write": may_write, "shrinkage": _percent(site.shrinkage)},
        status=422 if request.method == "POST" else 200,
    )


def _form_field(name: str, form: SiteForm) -> str | None:
    """The form field a service's field error belongs to (shrinkage is asked in %)."""
    name = {"shrinkage": "shrinkage_percent", "hourly_cost_minor": "hourly_cost"}.get(name, name)
    return name if name in form.fields else None
