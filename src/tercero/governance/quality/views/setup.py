"""Managers' set-up pages: scorecards (written one criterion a line, a new version on
every save) and sampling rules."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.delivery.work import registry
from tercero.governance.quality import rules as quality_rules
from tercero.governance.quality import scorecards, selectors
from tercero.governance.quality.models import STRATA, SamplingRule, Scorecard
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused, version_of
from tercero.web.lists import Column, Filter, Listing

MANAGE = "quality:manage"
STRATA_WORDS = {
    "new_agent": "Agents in their first 30 days",
    "low_csat": "Low satisfaction score (2 or less)",
    "long_handle": "Long handling time",
    "escalated": "Escalated items",
    "reopened": "Reopened items",
}
WHERE = re.compile(r"^definition\.sections\[(\d+)\]\.criteria\[(\d+)\]\.(\w+)$")


# --- the one-criterion-a-line format ---------------------------------------------------


def parse_lines(text: str) -> tuple[dict[str, Any], list[int]]:
    """`Section | key | Label | weight | scale | options` lines as a definition, and the
    line number of each criterion in order."""
    sections: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (5, 6):
            raise InvalidInput(
                "Each line is: section | key | label | weight | scale | options.",
                fields={"criteria": f"line {number} has {len(parts)} parts"},
            )
        criterion = _criterion_of(parts, number)
        if not sections or sections[-1]["title"] != parts[0]:
            sections.append({"title": parts[0], "criteria": []})
        sections[-1]["criteria"].append(criterion)
        numbers.append(number)
    return {"sections": sections}, numbers


def _criterion_of(parts: list[str], number: int) -> dict[str, Any]:
    scale, _, points = parts[4].partition(" ")
    try:
        weight: Any = Decimal(parts[3])
        weight = int(weight) if weight == int(weight) else float(weight)
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            "Weights are numbers.", fields={"criteria": f"line {number}: weight"}
        ) from None
    criterion: dict[str, Any] = {
        "key": parts[1],
        "label": parts[2],
        "weight": weight,
        "scale": scale,
    }
    if scale == "points":
        criterion["max_points"] = int(points) if points.strip().isdigit() else None
    options = [o.strip() for o in (parts[5] if len(parts) == 6 else "").split(",") if o.strip()]
    for option in options:
        name, _, value = option.partition("=")
        if name in ("critical", "bonus"):
            criterion[name] = True
        elif name == "na":
            criterion["allows_na"] = True
        elif name == "field":
            criterion["field"] = value.strip()
        else:
            raise InvalidInput(
                "Options are critical, bonus, na and field=name.",
                fields={"criteria": f"line {number}: {option}"},
            )
    return criterion


def format_lines(definition: dict[str, Any]) -> str:
    lines = []
    for section in definition.get("sections", []):
        for c in section["criteria"]:
            scale = f"points {c['max_points']}" if c["scale"] == "points" else c["scale"]
            options = [n for n in ("critical", "bonus") if c.get(n)]
            options += ["na"] if c.get("allows_na") else []
            options += [f"field={c['field']}"] if c.get("field") else []
            lines.append(
                " | ".join(
                    [
                        section["title"],
                        c["key"],
                        c["label"],
                        str(c["weight"]),
                        scale,
                        ", ".join(options),
                    ]
                )
            )
    return "\n".join(lines)


def _by_line(error: InvalidInput, definition: dict[str, Any], numbers: list[int]) -> InvalidInput:
    """The service's field names (definition.sections[0].criteria[1].weight) as the
    line of the text they come from ("line 3, weight")."""
    starts, seen = [], 0
    for section in definition["sections"]:
        starts.append(seen)
        seen += len(section["criteria"])
    fields = {}
    for name, why in error.fields.items():
        match = WHERE.match(name)
        if match is None:
            fields[name.replace("definition.sections", "criteria")] = why
            continue
        index = starts[int(match.group(1))] + int(match.group(2))
        fields[f"line {numbers[index]}, {match.group(3)}"] = why
    return InvalidInput(error.message, fields=fields)


# --- scorecards --------------------------------------------------------------------------


def _work_types() -> list[tuple[str, str]]:
    return [(t.key, t.title) for t in registry.all_types() if t.key != EVALUATION_TYPE]


@page(MANAGE, staff=True)
def scorecard_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    found = selectors.scorecards(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("name", "Name"),
            Column("engagement__name", "Engagement"),
            Column("work_type", "Kind of work"),
            Column("kind", "Scores"),
            Column("current_version", "Version"),
            Column("is_active", "Active"),
        ],
        filters=[
            Filter("kind", "Scores", tuple(Scorecard.Kind.choices)),
            Filter(
                "is_active",
                "Active",
                (("yes", "Yes"), ("no", "No")),
                apply=lambda qs, v: qs.filter(is_active=v == "yes"),
            ),
        ],
        search=lambda qs, q: qs.filter(name__icontains=q),
        search_label="Search scorecards",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("scorecards.csv")
    titles = dict(_work_types())
    return render(request, "quality/scorecards.html", {"listing": listing, "titles": titles})


@page(MANAGE, staff=True)
def scorecard_new(request: HttpRequest, caller: Caller) -> HttpResponse:
    form = {"name": "", "engagement": "", "work_type": "", "kind": "conversation", "criteria": ""}
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in form}
        try:
            made = _create(caller, form)
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(
                request,
                f"Scorecard “{made.name}” saved as version 1; activate it when it is ready.",
            )
            return redirect("quality:scorecard", made.pk)
    return render(
        request,
        "quality/scorecard_new.html",
        {
            "form": form,
            "engagements": engagements(client_ids=caller.client_ids).order_by("name"),
            "work_types": _work_types(),
            "kinds": Scorecard.Kind.choices,
        },
    )


def _create(caller: Caller, form: dict[str, str]) -> Scorecard:
    if not form["engagement"].isdigit():
        raise InvalidInput("Choose the engagement.", fields={"engagement": "required"})
    engagement = access_engagement(
        client_ids=caller.client_ids, engagement_id=int(form["engagement"])
    )
    definition, numbers = parse_lines(form["criteria"])
    try:
        return scorecards.create_scorecard(
            actor=caller.user,
            engagement=engagement,
            work_type=form["work_type"],
            name=form["name"],
            kind=form["kind"],
            definition=definition,
        )
    except InvalidInput as error:
        raise _by_line(error, definition, numbers) from error


@page(MANAGE, staff=True)
def scorecard(request: HttpRequest, caller: Caller, scorecard_id: int) -> HttpResponse:
    found = selectors.access_scorecard(client_ids=caller.client_ids, scorecard_id=scorecard_id)
    text = format_lines(selectors.current_version(scorecard=found).definition)
    if request.method == "POST":
        text = request.POST.get("criteria", "")
        try:
            definition, numbers = parse_lines(text)
            try:
                revised = scorecards.revise_scorecard(
                    actor=caller.user,
                    scorecard=found,
                    version=version_of(request) or 0,
                    definition=definition,
                    name=request.POST.get("name", ""),
                )
            except InvalidInput as error:
                raise _by_line(error, definition, numbers) from error
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(
                request,
                f"Saved as version {revised.number}; earlier evaluations keep their version.",
            )
            return redirect("quality:scorecard", found.pk)
    return render(
        request,
        "quality/scorecard.html",
        {
            "scorecard": found,
            "criteria": text,
            "versions": selectors.versions_of(scorecard=found),
            "work_type": dict(_work_types()).get(found.work_type, found.work_type),
        },
    )


@require_POST
@page(MANAGE, staff=True)
def scorecard_activation(request: HttpRequest, caller: Caller, scorecard_id: int) -> HttpResponse:
    found = selectors.access_scorecard(client_ids=caller.client_ids, scorecard_id=scorecard_id)
    active = request.POST.get("is_active") == "1"
    try:
        scorecards.set_active(
            actor=caller.user, scorecard=found, version=version_of(request) or 0, is_active=active
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Scorecard active." if active else "Scorecard switched off.")
    return redirect("quality:scorecard", found.pk)


# --- sampling rules ----------------------------------------------------------------------

PERCENT_FIELDS = {
    "random_share": "Random share of resolved items",
    "gold_share": "Share of evaluations on gold items",
    "target_confidence": "Confidence",
    "target_margin": "Margin",
    "expected_accuracy": "Expected accuracy",
}


def _rule_values(post: Any) -> dict[str, Any]:
    """The form's settings: shares given in percent, stored as shares."""
    values: dict[str, Any] = {}
    for name in PERCENT_FIELDS:
        try:
            values[name] = Decimal(post.get(name, "").strip() or "0") / 100
        except InvalidOperation:
            raise InvalidInput("Give percentages as numbers.", fields={name: "a number"}) from None
    for name in ("quality_target", "accuracy_target"):
        values[name] = post.get(name, "").strip() or "0"
    for name in ("minimum_per_agent_week", "long_handle_seconds"):
        raw = post.get(name, "").strip()
        if raw and not raw.isdigit():
            raise InvalidInput("Give whole numbers.", fields={name: "a whole number"})
        values[name] = int(raw) if raw else (0 if name == "minimum_per_agent_week" else None)
    values["strata"] = [s for s in post.getlist("strata") if s in STRATA]
    values["rework_on_critical"] = post.get("rework_on_critical") == "1"
    return values


def _rule_form(rule: SamplingRule | None) -> dict[str, Any]:
    if rule is None:
        return {
            "random_share": "5",
            "gold_share": "0",
            "target_confidence": "95",
            "target_margin": "5",
            "expected_accuracy": "90",
            "quality_target": "90",
            "accuracy_target": "98",
            "minimum_per_agent_week": "2",
            "long_handle_seconds": "",
            "strata": [],
            "rework_on_critical": False,
        }
    form = {
        name: f"{getattr(rule, name) * 100:.2f}".rstrip("0").rstrip(".") for name in PERCENT_FIELDS
    }
    return {
        **form,
        "quality_target": rule.quality_target,
        "accuracy_target": rule.accuracy_target,
        "minimum_per_agent_week": rule.minimum_per_agent_week,
        "long_handle_seconds": rule.long_handle_seconds or "",
        "strata": rule.strata,
        "rework_on_critical": rule.rework_on_critical,
    }


def _rule_context(
    caller: Caller, rule: SamplingRule | None, form: dict[str, Any]
) -> dict[str, Any]:
    return {
        "rule": rule,
        "form": form,
        "percents": [(name, label, form.get(name, "")) for name, label in PERCENT_FIELDS.items()],
        "strata": [(key, STRATA_WORDS[key]) for key in STRATA],
        "scorecards": selectors.scorecards(client_ids=caller.client_ids).order_by("name"),
        "engagements": engagements(client_ids=caller.client_ids).order_by("name"),
        "work_types": _work_types(),
    }


@page(MANAGE, staff=True)
def rule_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    found = selectors.rules(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("engagement__name", "Engagement"),
            Column("work_type", "Kind of work"),
            Column("scorecard__name", "Scorecard"),
            Column("random_share", "Random share"),
            Column("minimum_per_agent_week", "Weekly minimum per agent"),
            Column("is_active", "Active"),
        ],
        filters=[
            Filter(
                "is_active",
                "Active",
                (("yes", "Yes"), ("no", "No")),
                apply=lambda qs, v: qs.filter(is_active=v == "yes"),
            )
        ],
        search=lambda qs, q: qs.filter(engagement__name__icontains=q),
        search_label="Search engagements",
        default_sort="engagement__name",
    )
    if listing.wants_csv:
        return listing.csv_response("sampling-rules.csv")
    return render(
        request, "quality/rules.html", {"listing": listing, "titles": dict(_work_types())}
    )


@page(MANAGE, staff=True)
def rule_new(request: HttpRequest, caller: Caller) -> HttpResponse:
    form = _rule_form(None)
    if request.method == "POST":
        form = {
            **form,
            **{k: request.POST.get(k, "") for k in form if k != "strata"},
            "strata": request.POST.getlist("strata"),
            "rework_on_critical": request.POST.get("rework_on_critical") == "1",
        }
        try:
            made = _create_rule(caller, request.POST)
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(
                request, "Sampling rule saved: resolved items are sampled from now on."
            )
            return redirect("quality:rule", made.pk)
    return render(request, "quality/rule.html", _rule_context(caller, None, form))


def _create_rule(caller: Caller, post: Any) -> SamplingRule:
    engagement_id, scorecard_id = post.get("engagement", ""), post.get("scorecard", "")
    if not (engagement_id.isdigit() and scorecard_id.isdigit()):
        raise InvalidInput(
            "Choose the engagement and the scorecard.", fields={"engagement": "required"}
        )
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=int(engagement_id))
    found = selectors.access_scorecard(client_ids=caller.client_ids, scorecard_id=int(scorecard_id))
    return quality_rules.create_rule(
        actor=caller.user,
        engagement=engagement,
        work_type=found.work_type,
        scorecard=found,
        **_rule_values(post),
    )


@page(MANAGE, staff=True)
def rule(request: HttpRequest, caller: Caller, rule_id: int) -> HttpResponse:
    found = selectors.access_rule(client_ids=caller.client_ids, rule_id=rule_id)
    if request.method == "POST":
        try:
            changes = {
                **_rule_values(request.POST),
                "is_active": request.POST.get("is_active") == "1",
            }
            quality_rules.update_rule(
                actor=caller.user, rule=found, version=version_of(request) or 0, changes=changes
            )
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(request, "Sampling rule saved.")
        return redirect("quality:rule", found.pk)
    return render(request, "quality/rule.html", _rule_context(caller, found, _rule_form(found)))
