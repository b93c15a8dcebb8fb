"""Automation pages: the list (search, filters, each engagement's order), a rule's
editor with its summary in words, switching a rule on or off and moving it in the
order. For people who set up the client's care desk (`care:setup`); agents cannot."""

from django import forms
from django.contrib import messages
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.platform.errors import DomainError
from tercero.platform.pages import page, refused, version_of
from tercero.services.care import automation_rules as rules
from tercero.services.care import selectors
from tercero.services.care.services import automations as setup
from tercero.web.lists import Column, Filter, Listing

ROWS = 3  # condition rows and action rows on the form
SETUP = setup.CARE_SETUP
CHOICE_KINDS = ("channel", "priority", "mailbox", "queue", "macro", "person")


def _listing(request, caller) -> Listing:
    found = selectors.automations(client_ids=caller.client_ids).annotate(
        place=F("engagement_id") * 100000 + F("position")
    )
    names = sorted(set(found.values_list("engagement__name", "engagement_id")))
    return Listing(
        request,
        found,
        columns=[
            Column("place", "Order"),
            Column("name", "Rule"),
            Column("engagement__name", "Engagement"),
            Column("trigger", "When"),
            Column("is_active", "On"),
        ],
        filters=[
            Filter(
                "engagement",
                "Engagement",
                tuple((str(pk), name) for name, pk in names),
                apply=lambda queryset, value: queryset.filter(engagement_id=value),
            ),
            Filter("trigger", "When", tuple(rules.TRIGGERS.items())),
            Filter(
                "is_active",
                "Switched",
                (("1", "On"), ("0", "Off")),
                apply=lambda queryset, value: queryset.filter(is_active=value == "1"),
            ),
        ],
        search=lambda queryset, text: queryset.filter(name__icontains=text),
        search_label="Search rules",
        default_sort="place",
    )


@page(SETUP, staff=True)
def automation_list(request, caller):
    listing = _listing(request, caller)
    rows = [
        {"rule": rule, "summary": setup.describe(rule), "when": rules.TRIGGERS.get(rule.trigger)}
        for rule in listing.rows
    ]
    context = {"listing": listing, "rows": rows}
    return render(request, "care/automations.html", context)


class RuleForm(forms.Form):
    """A rule's fields, with ROWS condition rows and ROWS action rows."""

    name = forms.CharField(max_length=100)
    trigger = forms.ChoiceField(label="When", choices=tuple(rules.TRIGGERS.items()))
    waited_business_days = forms.IntegerField(
        label="Business days waited",
        required=False,
        min_value=1,
        max_value=rules.MAX_WAIT_DAYS,
        help_text="For the waiting rule only: how long the ticket waited on the customer.",
    )

    def __init__(self, *args, options: rules.Options, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *_grouped(options)]
        operators = {**rules.CHOICE_OPERATORS, **rules.OPERATORS["text"]}
        for n in range(ROWS):
            field_choices = [("", "—"), *((k, v[0]) for k, v in rules.FIELDS.items())]
            self.fields[f"cond_{n}_field"] = forms.ChoiceField(
                label=f"Condition {n + 1}", choices=field_choices, required=False
            )
            self.fields[f"cond_{n}_operator"] = forms.ChoiceField(
                label="Test", choices=tuple(operators.items()), required=False
            )
            self.fields[f"cond_{n}_words"] = forms.CharField(
                label="Words or tag", required=False, max_length=2000
            )
            self.fields[f"cond_{n}_choice"] = forms.ChoiceField(
                label="Or value", choices=choices, required=False
            )
        for n in range(ROWS):
            action_choices = [("", "—"), *((k, v[0]) for k, v in rules.ACTIONS.items())]
            self.fields[f"act_{n}_action"] = forms.ChoiceField(
                label=f"Action {n + 1}", choices=action_choices, required=False
            )
            self.fields[f"act_{n}_text"] = forms.CharField(
                label="Text or tag",
                required=False,
                max_length=rules.MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"act_{n}_choice"] = forms.ChoiceField(
                label="Or value", choices=choices, required=False
            )

    def rule_fields(self) -> dict:
        """What the service takes: the rule with its conditions and actions."""
        data = self.cleaned_data
        conditions = [_condition(data, n) for n in range(ROWS) if data.get(f"cond_{n}_field")]
        actions = [_action(data, n) for n in range(ROWS) if data.get(f"act_{n}_action")]
        return {
            "name": data["name"],
            "trigger": data["trigger"],
            "waited_business_days": data.get("waited_business_days"),
            "conditions": conditions,
            "actions": actions,
        }


def _grouped(options: rules.Options) -> list:
    """Every value a condition or action may choose, grouped by kind ("queue:12")."""
    groups = [
        ("Channel", [(f"channel:{k}", v) for k, v in rules.CHANNELS.items()]),
        ("Priority", [(f"priority:{k}", v) for k, v in rules.PRIORITIES.items()]),
    ]
    for kind, label in (
        ("queue", "Queue"),
        ("macro", "Macro"),
        ("mailbox", "Mailbox"),
        ("person", "Person"),
    ):
        named = options.named(kind)
        if named:
            groups.append((label, [(f"{kind}:{pk}", name) for pk, name in named.items()]))
    return groups


def _chosen(data: dict, name: str, kind: str) -> str:
    """The chosen value when it is of `kind` ('' otherwise: the service says what to choose)."""
    picked, _, value = str(data.get(name) or "").partition(":")
    return value if picked == kind else ""


def _condition(data: dict, n: int) -> dict:
    field = data[f"cond_{n}_field"]
    kind = rules.FIELDS.get(field, ("", "text"))[1]
    operator = data.get(f"cond_{n}_operator") or ""
    if kind in CHOICE_KINDS:
        value = _chosen(data, f"cond_{n}_choice", kind)
    else:
        value = data.get(f"cond_{n}_words") or ""
    return {"field": field, "operator": operator, "value": value}


def _action(data: dict, n: int) -> dict:
    action = data[f"act_{n}_action"]
    kind = rules.ACTIONS.get(action, ("", ""))[1]
    if kind in CHOICE_KINDS:
        value = _chosen(data, f"act_{n}_choice", kind)
    else:
        value = data.get(f"act_{n}_text") or ""
    return {"action": action, "value": value}


def _initial(rule) -> dict:
    initial = {"name": rule.name, "trigger": rule.trigger}
    initial["waited_business_days"] = rule.waited_business_days
    for n, condition in enumerate(rule.conditions[:ROWS]):
        kind = rules.FIELDS[condition["field"]][1]
        initial[f"cond_{n}_field"] = condition["field"]
        initial[f"cond_{n}_operator"] = condition["operator"]
        if kind in CHOICE_KINDS:
            initial[f"cond_{n}_choice"] = f"{kind}:{condition['value']}"
        elif isinstance(condition["value"], list):
            initial[f"cond_{n}_words"] = ", ".join(condition["value"])
        else:
            initial[f"cond_{n}_words"] = condition["value"]
    for n, action in enumerate(rule.actions[:ROWS]):
        kind = rules.ACTIONS[action["action"]][1]
        initial[f"act_{n}_action"] = action["action"]
        key = f"act_{n}_choice" if kind in CHOICE_KINDS else f"act_{n}_text"
        initial[key] = f"{kind}:{action['value']}" if kind in CHOICE_KINDS else action["value"]
    return initial


def _show_errors(form: RuleForm, error: DomainError) -> None:
    """A refusal's problems beside the fields they are about (`conditions.0.value`)."""
    for where, problem in error.fields.items():
        form.add_error(_form_field(form, where), f"{problem}")
    if not error.fields:
        form.add_error(None, error.message)


def _form_field(form: RuleForm, where: str) -> str | None:
    parts = where.split(".")
    if len(parts) == 1:
        return where if where in form.fields else None
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    prefix = "cond" if parts[0] == "conditions" else "act"
    rows = [
        n
        for n in range(ROWS)
        if form.cleaned_data.get(f"{prefix}_{n}_{'field' if prefix == 'cond' else 'action'}")
    ]
    n = rows[int(parts[1])] if int(parts[1]) < len(rows) else 0
    if parts[2] == "value":
        filled = f"{prefix}_{n}_choice"
        text = f"{prefix}_{n}_{'words' if prefix == 'cond' else 'text'}"
        return filled if form.cleaned_data.get(filled) else text
    return f"{prefix}_{n}_{parts[2]}"


@page(SETUP, staff=True)
def automation_new(request, caller):
    """Choose the engagement, then write the rule."""
    chosen = request.GET.get("engagement") or request.POST.get("engagement") or ""
    available = (
        engagements(client_ids=caller.client_ids)
        .filter(service_line__in=("customer_care", "technical_support"))
        .select_related("client")
        .order_by("name")
    )
    if not chosen.isdigit():
        return render(request, "care/automation_edit.html", {"engagements": available})
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=int(chosen))
    options = selectors.automation_options(engagement=engagement)
    form = RuleForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        try:
            made = setup.create_automation(
                actor=request.user, engagement=engagement, **form.rule_fields()
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Rule saved: {setup.describe(made)}")
            return redirect("care:automation", made.pk)
    context = {"form": form, "engagement": engagement}
    return render(request, "care/automation_edit.html", context)


@page(SETUP, staff=True)
def automation_page(request, caller, automation_id: int):
    rule = selectors.access_automation(client_ids=caller.client_ids, automation_id=automation_id)
    options = selectors.automation_options(engagement=rule.engagement)
    form = RuleForm(request.POST or None, initial=_initial(rule), options=options)
    if request.method == "POST" and form.is_valid():
        try:
            rule = setup.update_automation(
                actor=request.user,
                automation=rule,
                version=version_of(request) or 0,
                **form.rule_fields(),
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, "Rule saved.")
            return redirect("care:automation", rule.pk)
    context = {
        "form": form,
        "rule": rule,
        "engagement": rule.engagement,
        "summary": setup.describe(rule),
    }
    return render(request, "care/automation_edit.html", context)


@require_POST
@page(SETUP, staff=True)
def automation_switch(request, caller, automation_id: int):
    rule = selectors.access_automation(client_ids=caller.client_ids, automation_id=automation_id)
    wanted = request.POST.get("is_active") == "1"
    try:
        setup.set_active(
            actor=request.user, automation=rule, is_active=wanted, version=version_of(request) or 0
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"“{rule.name}” is {'on' if wanted else 'off'}.")
    return redirect("care:automations")


@require_POST
@page(SETUP, staff=True)
def automation_move(request, caller, automation_id: int):
    rule = selectors.access_automation(client_ids=caller.client_ids, automation_id=automation_id)
    by = -1 if request.POST.get("to") == "earlier" else 1
    setup.move(actor=request.user, automation=rule, by=by)
    messages.success(request, f"“{rule.name}” moved {'earlier' if by < 0 else 'later'}.")
    return redirect(reverse("care:automations") + f"?engagement={rule.engagement_id}")
