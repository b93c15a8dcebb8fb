"""Set-up pages for each care engagement's SLA policy (targets per metric and priority,
with units, told in words) and for copying one client's set-up to another client's
engagement (a preview, then a confirm; provider admins only)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import page, version_of
from tercero.services.care.models import Mailbox
from tercero.services.care.services import setup_copy, setup_service_levels
from tercero.services.care.services.automations import CARE_SETUP
from tercero.services.care.services.setup_base import CARE_COPY
from tercero.services.care.views.setup_desk import CARE_LINES, show_errors
from tercero.web.lists import Column, Filter, Listing

BLANK_ROWS = 3
UNIT_WORDS = {
    "seconds": "seconds",
    "minutes": "minutes",
    "hours": "hours",
    "business_days": "business days",
    "percent": "percent",
}


def _care_engagements(caller):
    return (
        engagements(client_ids=caller.client_ids)
        .filter(service_line__in=CARE_LINES)
        .select_related("client")
    )


def _care_engagement(caller, engagement_id: int):
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=engagement_id)
    if engagement.service_line not in CARE_LINES:
        raise NotFound("No care desk on this engagement.")
    return engagement


def _policy_words(engagement) -> str:
    said = [target["words"] for target in setup_service_levels.policy_of(engagement)]
    return "\n".join(said) or "No targets"


@page(CARE_SETUP, staff=True)
def sla_policy_list(request, caller):
    found = _care_engagements(caller)
    clients = sorted(set(found.values_list("client__legal_name", "client_id")))
    listing = Listing(
        request,
        found,
        columns=[
            Column("name", "Engagement"),
            Column("client__legal_name", "Client"),
            Column("sla_targets", "Targets", sortable=False, value=_policy_words),
        ],
        filters=[
            Filter(
                "client",
                "Client",
                tuple((str(pk), name) for name, pk in clients),
                apply=lambda qs, value: qs.filter(client_id=value),
            )
        ],
        search=lambda qs, text: qs.filter(name__icontains=text),
        search_label="Search engagements",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("sla-policies.csv")
    table = [
        {
            "url": f"/care/sla-policies/{row.pk}/",
            "cells": [
                {"label": "Engagement", "text": row.name},
                {"label": "Client", "text": row.client.legal_name},
                {"label": "Targets", "text": _policy_words(row)},
            ],
        }
        for row in listing.rows
    ]
    context = {
        "title": "SLA policies",
        "intro": "Each care engagement's targets, in the engagement's business time.",
        "listing": listing,
        "table": table,
        "new_url": "",
    }
    return render(request, "care/setup_list.html", context)


class TargetForm(forms.Form):
    metric = forms.ChoiceField(
        label="Metric", required=False, choices=(("", "—"), *setup_service_levels.METRICS.items())
    )
    priority = forms.ChoiceField(
        label="Priority",
        required=False,
        choices=(("", "Every priority"), *((p, p) for p in setup_service_levels.PRIORITIES)),
    )
    amount = forms.DecimalField(label="Target", required=False, min_value=1, max_digits=12)
    unit = forms.ChoiceField(label="Unit", required=False, choices=tuple(UNIT_WORDS.items()))


TargetRows = forms.formset_factory(TargetForm, extra=BLANK_ROWS)


def _targets_from(rows) -> list[dict[str, Any]]:
    """The rows a person filled in (a metric and a number); blank rows remove a target."""
    out = []
    for data in rows.cleaned_data:
        if not data or not data.get("metric") or data.get("amount") is None:
            continue
        amount = data["amount"]
        out.append(
            {
                "metric": data["metric"],
                "priority": data.get("priority") or None,
                "amount": int(amount) if amount == int(amount) else float(amount),
                "unit": data["unit"],
            }
        )
    return out


@page(CARE_SETUP, staff=True)
def sla_policy_page(request, caller, engagement_id: int):
    engagement = _care_engagement(caller, engagement_id)
    written = setup_service_levels.policy_of(engagement)
    initial = [{**t, "priority": t["priority"] or ""} for t in written]
    rows = TargetRows(request.POST or None, initial=initial, prefix="target")
    problems: list[str] = []
    if request.method == "POST" and rows.is_valid():
        try:
            setup_service_levels.set_policy(
                actor=request.user,
                engagement=engagement,
                version=version_of(request),
                targets=_targets_from(rows),
            )
        except DomainError as error:
            problems = _said(error)
        else:
            messages.success(request, "SLA policy saved.")
            return redirect("care:sla_policy", engagement.pk)
    context = {
        "engagement": engagement,
        "rows": rows,
        "written": written,
        "problems": problems,
    }
    return render(request, "care/sla_policy.html", context)


def _said(error: DomainError) -> list[str]:
    """A refusal in words: `targets.1.amount` becomes "Row 2, target: ..."."""
    said = []
    for where, problem in error.fields.items():
        parts = where.split(".")
        if len(parts) == 3 and parts[1].isdigit():
            said.append(f"Row {int(parts[1]) + 1}, {parts[2]}: {problem}")
        else:
            said.append(f"{where.replace('_', ' ')}: {problem}")
    return said or [error.message]


# --- copying a set-up -----------------------------------------------------------------


class CopyForm(forms.Form):
    source = forms.TypedChoiceField(label="Copy the set-up of", coerce=int)
    target = forms.TypedChoiceField(label="To the engagement", coerce=int)

    def __init__(self, *args: Any, offered, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(e.pk, f"{e.name} · {e.client.legal_name}") for e in offered]
        self.fields["source"].choices = choices
        self.fields["target"].choices = choices


@page(CARE_COPY, staff=True)
def setup_copy_page(request, caller):
    offered = _care_engagements(caller).order_by("client__legal_name", "name")
    form = CopyForm(request.POST or request.GET or None, offered=offered)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        source = _care_engagement(caller, form.cleaned_data["source"])
        target = _care_engagement(caller, form.cleaned_data["target"])
        mailboxes = list(Mailbox.objects.filter(engagement=source).order_by("address"))
        addresses = {
            box.pk: request.POST.get(f"address_{box.pk}", "").strip()[:254] for box in mailboxes
        }
        context |= {"source": source, "target": target, "mailboxes": mailboxes}
        context["addresses"] = [(box, addresses[box.pk]) for box in mailboxes]
        arguments = {"source": source, "target": target, "mailbox_addresses": addresses}
        try:
            if request.method == "POST" and request.POST.get("confirm") == "1":
                context["steps"] = setup_copy.copy_setup(actor=request.user, **arguments)
                context["done"] = True
                copied = sum(step.outcome == setup_copy.COPY for step in context["steps"])
                messages.success(request, f"Copied {copied} to {target.name}.")
            else:
                context["steps"] = setup_copy.plan_copy(**arguments)
        except DomainError as error:
            show_errors(form, error)
            context.pop("steps", None)
    return render(request, "care/setup_copy.html", context)
