"""Each site's shift templates and labour rules (as fields, never as JSON), and agents'
time off: what a schedule is built from."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.scheduling import display, selectors, services
from tercero.delivery.scheduling.labour import LabourRules
from tercero.delivery.scheduling.models import ShiftTemplate
from tercero.delivery.scheduling.views.forms import WEEKDAYS, RulesForm, TemplateForm, TimeOffForm
from tercero.delivery.scheduling.views.schedules import READ, WRITE, staff_only
from tercero.delivery.workforce import selectors as workforce
from tercero.delivery.workforce.models import Site
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import page, refused

DAY_NAMES = dict(WEEKDAYS)


@page(READ, staff=True)
def site_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    staff_only(caller)
    sites = [
        {"site": site, "templates": selectors.templates_of(site=site).count()}
        for site in workforce.sites(is_active=True).order_by("name")
    ]
    return render(request, "scheduling/sites.html", {"sites": sites})


@page(READ, staff=True)
def site_detail(request: HttpRequest, caller: Caller, site_id: int) -> HttpResponse:
    site = workforce.access_site(site_id=site_id)
    staff_only(caller)
    may_write = WRITE in caller.permissions
    if request.method == "POST":
        caller.require(WRITE)
        return _post(request, caller, site)
    rules = selectors.rules_of(site=site)
    context = {
        "site": site,
        "templates": [_template_row(t) for t in selectors.templates_of(site=site)],
        "rules": _rules_words(rules),
        "may_write": may_write,
        "template_form": TemplateForm(),
        "rules_form": RulesForm(initial=RulesForm.initial_from(rules)),
        "time_off_form": TimeOffForm(agents=_agents(site)),
        "time_off": _time_off(site),
    }
    return render(request, "scheduling/site.html", context)


def _template_row(template: ShiftTemplate) -> dict[str, Any]:
    return {
        "id": template.pk,
        "label": template.label,
        "key": template.key,
        "start": template.start.strftime("%H:%M"),
        "length": display.hours(template.minutes),
        "days": ", ".join(DAY_NAMES[day] for day in template.weekdays),
    }


def _rules_words(rules: LabourRules) -> list[tuple[str, str]]:
    words = [
        ("Most hours in any 7 days", display.hours(rules.max_minutes_per_week)),
        ("Least rest between shifts", display.hours(rules.min_rest_minutes)),
        ("Most working days in any 7", str(rules.max_days_per_week)),
        ("Most working days in a row", str(rules.max_consecutive_days)),
        ("Shortest shift", display.hours(rules.min_shift_minutes)),
        ("Longest shift", display.hours(rules.max_shift_minutes)),
    ]
    for rule in rules.breaks:
        paid = "paid" if rule.paid else "unpaid"
        words.append(
            (
                f"Shifts of {display.hours(rule.min_shift_minutes)} or more",
                f"a {rule.break_minutes}-minute {paid} break",
            )
        )
    return words


def _agents(site: Site) -> list[tuple[int, str]]:
    return [
        (agent.pk, agent.user.full_name or agent.user.email)
        for agent in selectors.agents_at(sites=[site])
    ]


def _time_off(site: Site) -> list[dict[str, Any]]:
    agents = [agent.pk for agent in selectors.agents_at(sites=[site])]
    now = datetime.now(ZoneInfo("UTC"))
    return [
        {
            "agent": row.agent.user.full_name or row.agent.user.email,
            "when": f"{display.day_and_clock(row.start_at, site.time_zone)} to "
            f"{display.day_and_clock(row.end_at, site.time_zone)}",
            "reason": row.reason,
        }
        for row in selectors.unavailable(
            agent_ids=agents, start=now, end=datetime.max.replace(tzinfo=ZoneInfo("UTC"))
        )
    ]


def _post(request: HttpRequest, caller: Caller, site: Site) -> HttpResponse:
    handlers = {"template": _save_template, "rules": _save_rules, "time_off": _save_time_off}
    handler = handlers.get(request.POST.get("form", ""))
    if handler is None:
        messages.error(request, "Unknown form.")
    else:
        try:
            handler(request, caller, site)
        except DomainError as error:
            refused(request, error)
    return redirect("scheduling:site", site.pk)


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "Form"
        messages.error(request, f"{label}: {' '.join(str(error) for error in errors)}")


def _save_template(request: HttpRequest, caller: Caller, site: Site) -> None:
    form = TemplateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return
    data = form.cleaned_data
    services.save_template(
        actor=caller.user,
        site=site,
        key=data["key"],
        label=data["label"],
        start=data["start"],
        minutes=round(float(data["hours"]) * 60),
        weekdays=data["weekdays"],
    )
    messages.success(request, f"Shift template {data['label']} saved.")


def _save_rules(request: HttpRequest, caller: Caller, site: Site) -> None:
    form = RulesForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return
    services.save_labour_rules(actor=caller.user, site=site, values=form.rule_values())
    messages.success(request, "Labour rules saved.")


def _save_time_off(request: HttpRequest, caller: Caller, site: Site) -> None:
    form = TimeOffForm(request.POST, agents=_agents(site))
    if not form.is_valid():
        _form_errors(request, form)
        return
    zone = ZoneInfo(site.time_zone)
    data = form.cleaned_data
    agent = selectors.agents_at(sites=[site]).get(pk=data["agent"])
    services.add_unavailability(
        actor=caller.user,
        agent=agent,
        start_at=data["start"].replace(tzinfo=None).replace(tzinfo=zone),
        end_at=data["end"].replace(tzinfo=None).replace(tzinfo=zone),
        reason=data["reason"],
    )
    messages.success(request, "Time off saved; schedules built from now on keep it free.")


@require_POST
@page(WRITE, staff=True)
def template_delete(request: HttpRequest, caller: Caller, template_id: int) -> HttpResponse:
    template = selectors.access_template(template_id=template_id)
    services.delete_template(actor=caller.user, template=template)
    messages.success(request, f"Shift template {template.label} removed.")
    return redirect("scheduling:site", template.site_id)
