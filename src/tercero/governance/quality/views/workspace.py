"""The QA analyst's workspace: presence, "Get next evaluation" (the engine's pull), the
evaluations they hold, and the panel with the item and its scorecard form."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tercero.delivery.work import access, lifecycle, personal, registry
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.workforce import services as workforce
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.selectors import own_agent
from tercero.governance.quality import evaluations, scorecards, selectors
from tercero.governance.quality.models import Sample
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import page, refused

EVALUATE = "quality:evaluate"


def _held(agent: Agent | None, client_ids: list[int]) -> list[Any]:
    if agent is None:
        return []
    return list(
        work_selectors.items(client_ids=client_ids, assignee_id=agent.pk, work_type=EVALUATION_TYPE)
        .filter(status__in=lifecycle.WITH_AGENT)
        .order_by("priority", "due_at", "id")[:50]
    )


@page(EVALUATE, staff=True)
def workspace(request: HttpRequest, caller: Caller) -> HttpResponse:
    agent = own_agent(caller.user)
    right, compared = selectors.grader_accuracy(evaluator=caller.user, client_ids=caller.client_ids)
    return render(
        request,
        "quality/workspace.html",
        {
            "agent": agent,
            "presences": Agent.Presence.choices,
            "items": _held(agent, caller.client_ids),
            "gold": {
                "right": right,
                "compared": compared,
                "percent": round(100 * right / compared, 1) if compared else None,
            },
        },
    )


@require_POST
@page(EVALUATE, staff=True)
def presence(request: HttpRequest, caller: Caller) -> HttpResponse:
    agent = own_agent(caller.user)
    if agent is None:
        messages.error(request, "You have no agent profile; ask your team lead.")
        return redirect("quality:workspace")
    try:
        agent = workforce.set_presence(
            agent=agent, presence=request.POST.get("presence", ""), reason="quality workspace"
        )
    except DomainError as error:
        refused(request, error)
        return redirect("quality:workspace")
    messages.success(request, f"You are now {agent.get_presence_display().lower()}.")
    return redirect("quality:workspace")


@require_POST
@page(EVALUATE, staff=True)
def get_next(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The engine's pull: the analyst's skills (quality analysis) and clearances choose;
    the item never reviews their own work."""
    agent = own_agent(caller.user)
    if agent is None:
        messages.error(request, "You have no agent profile; ask your team lead.")
        return redirect("quality:workspace")
    if agent.presence != Agent.Presence.AVAILABLE:
        messages.error(request, "Go available first: only available analysts get evaluations.")
        return redirect("quality:workspace")
    try:
        item = work.get_next(agent=agent, client_ids=caller.client_ids)
    except DomainError as error:
        refused(request, error)
        return redirect("quality:workspace")
    if item is None:
        messages.info(request, "No evaluation is waiting that you may do right now.")
        return redirect("quality:workspace")
    if item.work_type == EVALUATION_TYPE:
        return redirect("quality:panel", item.pk)
    return redirect(reverse("work:item", args=[item.pk]))


def _source(caller: Caller, source_item_id: int) -> dict[str, Any] | None:
    """The evaluated item as pages show it: masked; None when residency hides it."""
    try:
        item = work_selectors.access_item(client_ids=caller.client_ids, item_id=source_item_id)
        access.check(caller.user, item)
    except DomainError:
        return None
    access.record_view(user=caller.user, item=item)
    work_type = registry.find(item.work_type)
    shown = personal.shown(item.payload, work_type)
    rows = work_type.display_rows(shown) if work_type else []
    return {"item": item, "rows": rows, "work_type": work_type}


def _criteria_rows(
    definition: dict[str, Any], scores: dict[str, Any] | None
) -> list[dict[str, Any]]:
    rows = []
    for section in definition.get("sections", []):
        for criterion in section["criteria"]:
            given = "" if scores is None else _as_choice(scores.get(criterion["key"], ""))
            rows.append(
                {
                    "section": section["title"],
                    "criterion": criterion,
                    "choices": choices_of(criterion),
                    "given": given,
                    "scale": scorecards.SCALE_WORDS.get(criterion["scale"], ""),
                }
            )
    return rows


def _as_choice(value: Any) -> str:
    if value is None:
        return "na"
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return str(value)


def choices_of(criterion: dict[str, Any]) -> list[tuple[str, str]]:
    """The radio choices of a criterion: (value, label), N/A last where allowed."""
    scale = criterion["scale"]
    if scale == "yes_no":
        found = [("1", "Yes"), ("0", "No")]
    elif scale == "one_to_five":
        found = [(str(v), str(v)) for v in range(1, 6)]
    else:
        found = [(str(v), str(v)) for v in range(0, int(criterion["max_points"]) + 1)]
    return found + ([("na", "Not applicable")] if criterion.get("allows_na") else [])


@page("work:read", staff=True)
def panel(request: HttpRequest, caller: Caller, evaluation_item_id: int) -> HttpResponse:
    """The evaluation panel on the item page (also a page of its own without htmx)."""
    item, sample, version = evaluations.evaluation_task(
        client_ids=caller.client_ids, item_id=evaluation_item_id
    )
    access.check(caller.user, item)  # an agent opens only what routing gave them
    done = selectors.evaluation_of_item(evaluation_item_id=item.pk)
    agent = own_agent(caller.user)
    may_score = (
        done is None
        and EVALUATE in caller.permissions
        and agent is not None
        and item.assignee_id == agent.pk
        and item.status in lifecycle.WITH_AGENT
    )
    context = {
        "item": item,
        "sample": sample,
        "reason": Sample.Reason(sample.reason).label,
        "version": version,
        "source": _source(caller, sample.source_item_id),
        "rows": _criteria_rows(version.definition, done.scores if done else None),
        "done": done,
        "may_score": may_score,
        "own_work": agent is not None and sample.agent_id == agent.pk,
    }
    template = "quality/_panel.html" if getattr(request, "htmx", False) else "quality/panel.html"
    return render(request, template, context)


def scores_from(form: Any, definition: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Scores and comments from the scorecard form; an unanswered criterion is left out
    (the service names it)."""
    scores: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for criterion in scorecards.criteria_of(definition):
        key = criterion["key"]
        raw = form.get(f"score-{key}", "")
        if raw == "na":
            scores[key] = None
        elif raw.lstrip("-").isdigit():
            scores[key] = int(raw)
        comment = form.get(f"comment-{key}", "").strip()
        if comment:
            comments[key] = comment[: evaluations.MAX_COMMENT]
    return scores, comments


@require_POST
@page(EVALUATE, staff=True)
def submit(request: HttpRequest, caller: Caller, evaluation_item_id: int) -> HttpResponse:
    item_id = evaluation_item_id
    _item, _sample, version = evaluations.evaluation_task(
        client_ids=caller.client_ids, item_id=item_id
    )
    scores, comments = scores_from(request.POST, version.definition)
    try:
        done = evaluations.submit(
            actor=caller.user,
            client_ids=caller.client_ids,
            item_id=item_id,
            scores=scores,
            comments=comments,
            overall_comment=request.POST.get("overall_comment", "")[: evaluations.MAX_COMMENT],
        )
    except DomainError as error:
        refused(request, error)
        return redirect("quality:panel", item_id)
    verdict = (
        " A critical criterion failed: the team lead gets a coaching task."
        if done.critical_failed
        else ""
    )
    messages.success(request, f"Evaluation submitted: {done.score} out of 100.{verdict}")
    return redirect("quality:workspace")
