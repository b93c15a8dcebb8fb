"""Reads of quality assurance, always within the caller's clients; pages and API share
them. `access_*` raise NotFound for another client's object."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from tercero.delivery.workforce import selectors as workforce
from tercero.governance.quality.models import (
    CoachingTask,
    Dispute,
    Evaluation,
    GoldItem,
    Sample,
    SamplingRule,
    Scorecard,
    ScorecardVersion,
)
from tercero.platform.errors import NotFound
from tercero.platform.identity.roles import Role

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

# who sees every evaluation of their clients; agents see their own, team leads their team's
SEE_ALL = frozenset({Role.PROVIDER_ADMIN, Role.DELIVERY_MANAGER, Role.QA_ANALYST, Role.AUDITOR})


def _access(queryset: QuerySet[Any], pk: int, what: str) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"{what} not found.")
    return found


# --- scorecards and rules ----------------------------------------------------------------


def scorecards(
    *, client_ids: list[int], engagement_id: int | None = None, work_type: str = ""
) -> QuerySet[Scorecard]:
    found = Scorecard.objects.filter(client_id__in=client_ids).select_related(
        "engagement", "client"
    )
    if engagement_id is not None:
        found = found.filter(engagement_id=engagement_id)
    if work_type:
        found = found.filter(work_type=work_type)
    return found


def access_scorecard(*, client_ids: list[int], scorecard_id: int) -> Scorecard:
    return _access(scorecards(client_ids=client_ids), scorecard_id, "Scorecard")


def versions_of(*, scorecard: Scorecard) -> QuerySet[ScorecardVersion]:
    return ScorecardVersion.objects.filter(scorecard=scorecard).order_by("-number")


def current_version(*, scorecard: Scorecard) -> ScorecardVersion:
    return ScorecardVersion.objects.get(scorecard=scorecard, number=scorecard.current_version)


def access_version(*, client_ids: list[int], version_id: int) -> ScorecardVersion:
    found = ScorecardVersion.objects.filter(client_id__in=client_ids).select_related("scorecard")
    return _access(found, version_id, "Scorecard version")


def rules(*, client_ids: list[int], engagement_id: int | None = None) -> QuerySet[SamplingRule]:
    found = SamplingRule.objects.filter(client_id__in=client_ids).select_related(
        "engagement", "scorecard", "client"
    )
    if engagement_id is not None:
        found = found.filter(engagement_id=engagement_id)
    return found


def access_rule(*, client_ids: list[int], rule_id: int) -> SamplingRule:
    return _access(rules(client_ids=client_ids), rule_id, "Sampling rule")


def gold_items(*, client_ids: list[int]) -> QuerySet[GoldItem]:
    return GoldItem.objects.filter(client_id__in=client_ids)


# --- samples and evaluations -------------------------------------------------------------


def sample_of_item(*, evaluation_item_id: int) -> Sample | None:
    """The sample an evaluation item stands for (in the current scope)."""
    return (
        Sample.objects.filter(evaluation_item_id=evaluation_item_id)
        .select_related("rule", "rule__scorecard")
        .first()
    )


def evaluation_of_item(*, evaluation_item_id: int) -> Evaluation | None:
    """The evaluation submitted for an evaluation item, or None."""
    sample = sample_of_item(evaluation_item_id=evaluation_item_id)
    if sample is None:
        return None
    return Evaluation.objects.filter(sample=sample).first()


def samples(*, client_ids: list[int]) -> QuerySet[Sample]:
    return Sample.objects.filter(client_id__in=client_ids)


def evaluations(
    *,
    client_ids: list[int],
    engagement_id: int | None = None,
    agent_id: int | None = None,
    status: str = "",
    critical_failed: bool | None = None,
) -> QuerySet[Evaluation]:
    found = Evaluation.objects.filter(client_id__in=client_ids, is_calibration=False)
    found = found.select_related(
        "engagement", "evaluator", "scorecard_version__scorecard", "sample"
    )
    if engagement_id is not None:
        found = found.filter(engagement_id=engagement_id)
    if agent_id is not None:
        found = found.filter(agent_id=agent_id)
    if status:
        found = found.filter(status=status)
    if critical_failed is not None:
        found = found.filter(critical_failed=critical_failed)
    return found


def own_agent_id(user: "User") -> int | None:
    agent = workforce.own_agent(user)
    return None if agent is None else agent.pk


def team_agent_ids(user: "User") -> list[int]:
    """The agents in the teams `user` leads."""
    teams = workforce.teams().filter(lead=user)
    return [agent.pk for team in teams for agent in workforce.members_of(team=team)]


def visible_evaluations(*, user: "User", client_ids: list[int]) -> QuerySet[Evaluation]:
    """What the person may see: managers and analysts every evaluation of their clients,
    a team lead their team's (and those naming them), an agent their own."""
    found = evaluations(client_ids=client_ids)
    if user.role in SEE_ALL or not user.is_provider_staff:
        return found if user.is_provider_staff else found.none()
    if user.role == Role.TEAM_LEAD:
        return found.filter(Q(agent_id__in=team_agent_ids(user)) | Q(team_lead_id=user.pk))
    return found.filter(agent_id=own_agent_id(user) or -1)


def access_evaluation(*, user: "User", client_ids: list[int], evaluation_id: int) -> Evaluation:
    """Another client's evaluation, or one the person may not see, is NotFound."""
    return _access(
        visible_evaluations(user=user, client_ids=client_ids), evaluation_id, "Evaluation"
    )


def agent_names(agent_ids: list[int], client_ids: list[int]) -> dict[int, str]:
    """Agents' names by id, for pages (agents of the caller's clients only)."""
    from tercero.delivery.work import selectors as work_selectors

    wanted = [pk for pk in set(agent_ids) if pk is not None]
    found = work_selectors.agents(client_ids=client_ids).filter(pk__in=wanted)
    return {agent.pk: agent.user.full_name or agent.user.email for agent in found}


def grader_accuracy(*, evaluator: "User", client_ids: list[int]) -> tuple[int, int]:
    """(criteria scored as the gold answer says, criteria compared) over the person's
    evaluations of gold items: how well they grade."""
    found = Evaluation.objects.filter(
        client_id__in=client_ids, evaluator=evaluator, sample__reason=Sample.Reason.GOLD
    )
    answers = dict(
        GoldItem.objects.filter(
            client_id__in=client_ids, source_item_id__in=found.values("source_item_id")
        ).values_list("source_item_id", "answers")
    )
    right = compared = 0
    for evaluation in found:
        known = answers.get(evaluation.source_item_id) or {}
        for key, answer in known.items():
            if key in evaluation.scores:
                compared += 1
                right += _same(evaluation.scores[key], answer)
    return right, compared


def _same(given: object, answer: object) -> int:
    if given is None or answer is None:
        return int(given is None and answer is None)
    return int(Decimal(str(given)) == Decimal(str(answer)))


# --- disputes and coaching -----------------------------------------------------------------


def disputes(*, user: "User", client_ids: list[int], status: str = "") -> QuerySet[Dispute]:
    """Disputes of the evaluations the person may see."""
    visible = visible_evaluations(user=user, client_ids=client_ids)
    found = Dispute.objects.filter(client_id__in=client_ids, evaluation__in=visible)
    found = found.select_related("evaluation", "evaluation__engagement", "raised_by", "decided_by")
    return found.filter(status=status) if status else found


def access_dispute(*, user: "User", client_ids: list[int], dispute_id: int) -> Dispute:
    return _access(disputes(user=user, client_ids=client_ids), dispute_id, "Dispute")


def dispute_of(*, evaluation: Evaluation) -> Dispute | None:
    return Dispute.objects.filter(evaluation=evaluation).first()


def coaching_tasks(
    *, user: "User", client_ids: list[int], status: str = ""
) -> QuerySet[CoachingTask]:
    """Coaching tasks of the evaluations the person may see."""
    visible = visible_evaluations(user=user, client_ids=client_ids)
    found = CoachingTask.objects.filter(client_id__in=client_ids, evaluation__in=visible)
    found = found.select_related("evaluation", "evaluation__engagement", "team_lead", "done_by")
    return found.filter(status=status) if status else found


def access_coaching_task(*, user: "User", client_ids: list[int], task_id: int) -> CoachingTask:
    return _access(coaching_tasks(user=user, client_ids=client_ids), task_id, "Coaching task")
