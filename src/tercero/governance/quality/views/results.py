"""Evaluation results: an agent's own (a team lead's team's), one evaluation with its
dispute, the leads' disputes inbox and coaching list."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.governance.quality import coaching, disputes, scorecards, selectors
from tercero.governance.quality.models import CoachingTask, Dispute, Evaluation, Sample
from tercero.governance.quality.views.workspace import choices_of
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError
from tercero.platform.pages import page, refused, version_of
from tercero.web.lists import Column, Filter, Listing

READ, DECIDE = "quality:read", "quality:decide"
YES_NO = (("yes", "Yes"), ("no", "No"))


def _critical(queryset: Any, value: str) -> Any:
    return queryset.filter(critical_failed=value == "yes")


def _named(rows: list[Any], caller: Caller) -> list[Any]:
    names = selectors.agent_names([r.agent_id for r in rows], caller.client_ids)
    for row in rows:
        row.agent_name = names.get(row.agent_id, "—")
    return rows


@page(READ, staff=True)
def results(request: HttpRequest, caller: Caller) -> HttpResponse:
    """ "My quality results": the person's evaluations (a lead's team's, a manager's all)."""
    found = selectors.visible_evaluations(user=caller.user, client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("submitted_at", "Evaluated"),
            Column("source_item_id", "Item"),
            Column("agent_id", "Agent", sortable=False),
            Column("engagement__name", "Engagement"),
            Column("score", "Score"),
            Column("critical_failed", "Critical failure"),
            Column("status", "Status"),
        ],
        filters=[
            Filter("status", "Status", tuple(Evaluation.Status.choices)),
            Filter("critical_failed", "Critical failure", YES_NO, apply=_critical),
            Filter("sample__reason", "Sampled as", tuple(Sample.Reason.choices)),
        ],
        search=lambda qs, q: qs.filter(source_item_id=int(q)) if q.isdigit() else qs.none(),
        search_label="Item number",
        default_sort="-submitted_at",
    )
    if listing.wants_csv:
        return listing.csv_response("quality-results.csv")
    return render(
        request,
        "quality/results.html",
        {
            "listing": listing,
            "rows": _named(list(listing.rows), caller),
            "title": "My quality results" if caller.user.role == "agent" else "Quality results",
        },
    )


def _criteria(evaluation: Evaluation, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for criterion in scorecards.criteria_of(evaluation.scorecard_version.definition):
        key = criterion["key"]
        rows.append(
            {
                "criterion": criterion,
                "given": _words(criterion, evaluation.scores.get(key)),
                "after": None if after is None else _words(criterion, after.get(key)),
                "comment": evaluation.comments.get(key, ""),
                "failed": criterion.get("critical")
                and scorecards.fails(criterion, evaluation.scores.get(key)),
                "choices": choices_of(criterion),
                "value": evaluation.scores.get(key),
            }
        )
    return rows


def _words(criterion: dict[str, Any], value: Any) -> str:
    if value is None:
        return "Not applicable"
    if criterion["scale"] == "yes_no":
        return "Yes" if value >= 1 else "No"
    if criterion["scale"] == "one_to_five":
        return f"{value} of 5"
    return f"{value} of {criterion['max_points']} points"


@page(READ, staff=True)
def evaluation(request: HttpRequest, caller: Caller, evaluation_id: int) -> HttpResponse:
    found = selectors.access_evaluation(
        user=caller.user, client_ids=caller.client_ids, evaluation_id=evaluation_id
    )
    dispute = selectors.dispute_of(evaluation=found)
    own = selectors.own_agent_id(caller.user)
    context = {
        "evaluation": found,
        "agent_name": selectors.agent_names([found.agent_id or 0], caller.client_ids).get(
            found.agent_id or 0, "—"
        ),
        "criteria": _criteria(found, dispute.scores_after if dispute else None),
        "dispute": dispute,
        "may_dispute": own is not None
        and found.agent_id == own
        and found.status == Evaluation.Status.SUBMITTED,
        "may_decide": dispute is not None
        and dispute.status == Dispute.Status.OPEN
        and DECIDE in caller.permissions
        and own != found.agent_id,
        "decisions": [c for c in Dispute.Status.choices if c[0] != "open"],
        "reason": Sample.Reason(found.sample.reason).label if found.sample else "—",
    }
    return render(request, "quality/evaluation.html", context)


@require_POST
@page(READ, staff=True)
def raise_dispute(request: HttpRequest, caller: Caller, evaluation_id: int) -> HttpResponse:
    found = selectors.access_evaluation(
        user=caller.user, client_ids=caller.client_ids, evaluation_id=evaluation_id
    )
    try:
        disputes.raise_dispute(
            actor=caller.user, evaluation=found, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Your dispute is with your team lead.")
    return redirect("quality:evaluation", found.pk)


@require_POST
@page(DECIDE, staff=True)
def decide(request: HttpRequest, caller: Caller, dispute_id: int) -> HttpResponse:
    found = selectors.access_dispute(
        user=caller.user, client_ids=caller.client_ids, dispute_id=dispute_id
    )
    definition = found.evaluation.scorecard_version.definition
    corrected: dict[str, int | None] = {}
    for criterion in scorecards.criteria_of(definition):
        raw = request.POST.get(f"score-{criterion['key']}", "")
        if raw == "na":
            corrected[criterion["key"]] = None
        elif raw.isdigit():
            corrected[criterion["key"]] = int(raw)
    try:
        disputes.decide(
            actor=caller.user,
            dispute=found,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            corrected=corrected,
            version=version_of(request),
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "The dispute is decided; the evaluation is final.")
    return redirect("quality:evaluation", found.evaluation_id)


@page(DECIDE, staff=True)
def dispute_inbox(request: HttpRequest, caller: Caller) -> HttpResponse:
    """ "Disputes": the disputes of the evaluations the lead may see."""
    found = selectors.disputes(user=caller.user, client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("created_at", "Raised"),
            Column("evaluation__source_item_id", "Item"),
            Column("evaluation__engagement__name", "Engagement"),
            Column("score_before", "Score"),
            Column("status", "Status"),
            Column("score_after", "Score after"),
            Column("decided_at", "Decided"),
        ],
        filters=[
            Filter("status", "Status", tuple(Dispute.Status.choices)),
            Filter(
                "evaluation__engagement__name",
                "Engagement",
                tuple(
                    (n, n)
                    for n in sorted(
                        set(found.values_list("evaluation__engagement__name", flat=True))
                    )
                ),
            ),
        ],
        search=lambda qs, q: qs.filter(reason__icontains=q),
        search_label="Search reasons",
        default_sort="-created_at",
    )
    if listing.wants_csv:
        return listing.csv_response("quality-disputes.csv")
    return render(request, "quality/disputes.html", {"listing": listing})


@page(DECIDE, staff=True)
def coaching_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    """ "Coaching": tasks opened by critical failures, open first."""
    found = selectors.coaching_tasks(user=caller.user, client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("created_at", "Opened"),
            Column("agent_id", "Agent", sortable=False),
            Column("evaluation__engagement__name", "Engagement"),
            Column("evaluation__source_item_id", "Item"),
            Column("rework_item_id", "Sent back for rework", sortable=False),
            Column("status", "Status"),
            Column("note", "Note", sortable=False),
        ],
        filters=[Filter("status", "Status", tuple(CoachingTask.Status.choices))],
        search=lambda qs, q: qs.filter(note__icontains=q),
        search_label="Search notes",
        default_sort="status",
    )
    if listing.wants_csv:
        return listing.csv_response("quality-coaching.csv")
    return render(
        request,
        "quality/coaching.html",
        {"listing": listing, "rows": _named(list(listing.rows), caller)},
    )


@require_POST
@page(DECIDE, staff=True)
def coaching_done(request: HttpRequest, caller: Caller, coaching_task_id: int) -> HttpResponse:
    found = selectors.access_coaching_task(
        user=caller.user, client_ids=caller.client_ids, task_id=coaching_task_id
    )
    try:
        coaching.mark_done(
            actor=caller.user,
            task=found,
            version=version_of(request) or 0,
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Coaching recorded as done.")
    return redirect("quality:coaching")
