"""Calibration sessions: several analysts score the same items blind; on close, how far
they agree (per criterion and overall) and how close each is to the reference analyst.

Statistics, stored on the session when it closes (`results`):
- Krippendorff's alpha per criterion at the level of its scale (yes/no nominal, 1 to 5
  ordinal, points interval), raters x items with N/A or missing as gaps; overall, alpha of
  the evaluations' scores (0-100, interval), scored as an evaluation would be;
- Fleiss' kappa (nominal) per criterion when every analyst scored every item on it (no
  N/A, no gaps), and overall over every such (item, criterion) pair of nominal criteria;
- percent agreement: the share of analyst pairs giving the same mark, per item averaged;
- each analyst's alignment with the reference: `agreement.alignment` (1 - |a - r| / range,
  weighted by the criteria's weights) averaged over the items both scored, overall and
  per criterion.
Calibration scores are their own rows (`CalibrationScore`), never Evaluations: they never
count in an agent's figures.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tercero.delivery.work import selectors as work
from tercero.governance.quality import agreement, scorecards
from tercero.governance.quality.models import CalibrationScore, CalibrationSession, ScorecardVersion
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.versioning import update_versioned

LEVELS: dict[str, agreement.Level] = {
    "yes_no": "nominal",
    "one_to_five": "ordinal",
    "points": "interval",
}
MAX_ITEMS = 50
MAX_ANALYSTS = 20


def create_session(
    *,
    actor: User,
    scorecard_version: ScorecardVersion,
    name: str,
    source_item_ids: Sequence[int],
    analyst_ids: Sequence[int],
    reference_analyst_id: int,
) -> CalibrationSession:
    """A session of the scorecard version's engagement: these items, these analysts, one
    of them the reference."""
    engagement = scorecard_version.scorecard.engagement
    items = _checked_items(engagement.client_id, engagement.pk, source_item_ids)
    analysts = _checked_analysts(engagement.client_id, analyst_ids, reference_analyst_id)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the session.", fields={"name": "required"})
    with transaction.atomic():
        session = CalibrationSession.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            scorecard_version=scorecard_version,
            name=name[:120],
            source_item_ids=items,
            analyst_ids=analysts,
            reference_analyst_id=reference_analyst_id,
            created_by=actor if actor.pk else None,
        )
        _audit(
            "quality.calibration.created",
            actor,
            session,
            {"items": len(items), "analysts": len(analysts), "version_id": scorecard_version.pk},
        )
    return session


def _checked_items(client_id: int, engagement_id: int, given: Sequence[int]) -> list[int]:
    wanted = sorted({int(i) for i in given})
    if not 1 <= len(wanted) <= MAX_ITEMS:
        raise InvalidInput(
            f"Choose from 1 to {MAX_ITEMS} items.", fields={"source_item_ids": "1 to 50 items"}
        )
    found = set(
        work.items(client_ids=[client_id], engagement_id=engagement_id)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise InvalidInput(
            "Some items are not items of this engagement.",
            fields={"source_item_ids": f"not found: {', '.join(missing)}"},
        )
    return wanted


def _checked_analysts(client_id: int, given: Sequence[int], reference_id: int) -> list[int]:
    wanted = sorted({int(i) for i in given})
    if not 2 <= len(wanted) <= MAX_ANALYSTS:
        raise InvalidInput(
            "A session needs at least two analysts.", fields={"analyst_ids": "2 to 20 people"}
        )
    with all_clients_scope():
        # provider staff granted to the client, who may evaluate
        allowed = {
            user.pk
            for user in User.objects.filter(
                pk__in=wanted, is_active=True, grants__client_id=client_id
            )
            if "quality:evaluate" in user.permissions
        }
    refused = [str(i) for i in wanted if i not in allowed]
    if refused:
        raise InvalidInput(
            "Some people cannot evaluate this client's work.",
            fields={"analyst_ids": f"not an analyst of this client: {', '.join(refused)}"},
        )
    if reference_id not in wanted:
        raise InvalidInput(
            "The reference analyst must be one of the session's analysts.",
            fields={"reference_analyst_id": "not among the analysts"},
        )
    return wanted


def submit_scores(
    *, actor: User, session: CalibrationSession, source_item_id: int, scores: object
) -> CalibrationScore:
    """The analyst's blind scores of one item (again before the close replaces them)."""
    if actor.pk not in session.analyst_ids:
        raise PermissionDenied("Only the session's analysts score its items.")
    if source_item_id not in session.source_item_ids:
        raise InvalidInput(
            "That item is not in this session.", fields={"source_item_id": "not in the session"}
        )
    checked = scorecards.check_scores(session.scorecard_version.definition, scores)
    with transaction.atomic():
        current = CalibrationSession.objects.select_for_update().get(pk=session.pk)
        if current.status != CalibrationSession.Status.OPEN:
            raise Conflict("The session is closed; its scores can no longer change.")
        given, created = CalibrationScore.objects.update_or_create(
            client_id=session.client_id,
            session=current,
            analyst=actor,
            source_item_id=source_item_id,
            defaults={"scores": checked, "submitted_at": timezone.now()},
        )
        _audit(
            "quality.calibration.scored",
            actor,
            session,
            {"source_item_id": source_item_id, "again": not created},
        )
    return given


def close_session(*, actor: User, session: CalibrationSession, version: int) -> CalibrationSession:
    """Close the session and store its agreement figures; scores are then visible."""
    with transaction.atomic():
        current = CalibrationSession.objects.select_for_update().get(pk=session.pk)
        if current.status != CalibrationSession.Status.OPEN:
            raise Conflict("The session is already closed.")
        given = list(CalibrationScore.objects.filter(session=current))
        if not given:
            raise Conflict("Nobody has scored an item yet; there is nothing to compare.")
        results = compute_results(current, given)
        update_versioned(
            CalibrationSession,
            pk=current.pk,
            version=version,
            changes={"status": "closed", "results": results, "closed_at": timezone.now()},
            what="session",
        )
        overall = results["overall"]
        _audit(
            "quality.calibration.closed",
            actor,
            current,
            {"alpha": overall["alpha"], "kappa": overall["kappa"], "scores": len(given)},
        )
    current.refresh_from_db()
    return current


# --- the figures ---------------------------------------------------------------------------


def compute_results(
    session: CalibrationSession, given: Sequence[CalibrationScore]
) -> dict[str, Any]:
    """The agreement figures of a session's scores (see the module's docstring)."""
    definition = session.scorecard_version.definition
    criteria = scorecards.criteria_of(definition)
    analysts = list(session.analyst_ids)
    items = list(session.source_item_ids)
    marks = {(s.analyst_id, s.source_item_id): s.scores for s in given}
    per_criterion = [_criterion_result(c, analysts, items, marks) for c in criteria]
    return {
        "criteria": per_criterion,
        "overall": _overall(definition, criteria, analysts, items, marks),
        "analysts": _alignments(session, criteria, items, marks),
        "scored": len(given),
        "expected": len(analysts) * len(items),
    }


def _matrix(
    key: str, analysts: list[int], items: list[int], marks: dict[tuple[int, int], dict]
) -> list[list[float | None]]:
    """Raters x units, None where not scored or N/A."""
    return [[(marks.get((a, i)) or {}).get(key) for i in items] for a in analysts]


def _criterion_result(
    criterion: dict[str, Any], analysts: list[int], items: list[int], marks: dict
) -> dict[str, Any]:
    ratings = _matrix(criterion["key"], analysts, items, marks)
    units = [list(column) for column in zip(*ratings, strict=True)]
    complete = all(value is not None for unit in units for value in unit)
    return {
        "key": criterion["key"],
        "label": criterion["label"],
        "scale": criterion["scale"],
        "level": LEVELS[criterion["scale"]],
        "alpha": _rounded(agreement.krippendorff_alpha(ratings, LEVELS[criterion["scale"]])),
        "kappa": _rounded(agreement.fleiss_kappa(units))
        if complete and len(analysts) > 1
        else None,
        "percent_agreement": _percent(agreement.percent_agreement(units)),
    }


def _overall(
    definition: dict, criteria: list[dict], analysts: list[int], items: list[int], marks: dict
) -> dict[str, Any]:
    scores = [
        [
            float(scorecards.score(definition, marks[(a, i)]).percent) if (a, i) in marks else None
            for i in items
        ]
        for a in analysts
    ]
    pooled: list[list[Any]] = []
    complete_pooled: list[list[Any]] = []
    for criterion in criteria:
        ratings = _matrix(criterion["key"], analysts, items, marks)
        for unit in zip(*ratings, strict=True):
            labelled = [None if v is None else (criterion["key"], v) for v in unit]
            pooled.append(labelled)
            if LEVELS[criterion["scale"]] == "nominal" and None not in labelled:
                complete_pooled.append(labelled)
    kappa = (
        agreement.fleiss_kappa(complete_pooled) if complete_pooled and len(analysts) > 1 else None
    )
    return {
        "alpha": _rounded(agreement.krippendorff_alpha(scores, "interval")),
        "kappa": _rounded(kappa),
        "percent_agreement": _percent(agreement.percent_agreement(pooled)),
        "mean_scores": {
            str(a): _rounded(_mean([v for v in row if v is not None]), 2)
            for a, row in zip(analysts, scores, strict=True)
        },
    }


def _alignments(
    session: CalibrationSession, criteria: list[dict], items: list[int], marks: dict
) -> list[dict[str, Any]]:
    reference = session.reference_analyst_id or session.analyst_ids[0]
    weights = {c["key"]: float(c["weight"]) for c in criteria}
    ranges = {c["key"]: _range(c) for c in criteria}
    rows = []
    for analyst in session.analyst_ids:
        per_item = [
            agreement.alignment(
                marks[(analyst, i)], marks[(reference, i)], weights=weights, ranges=ranges
            )
            for i in items
            if (analyst, i) in marks and (reference, i) in marks
        ]
        rows.append(
            {
                "analyst_id": analyst,
                "is_reference": analyst == reference,
                "alignment": _percent(_mean([v for v in per_item if v is not None])),
                "criteria": {
                    c["key"]: _percent(_criterion_alignment(c, analyst, reference, items, marks))
                    for c in criteria
                },
                "items": sum(1 for i in items if (analyst, i) in marks),
            }
        )
    return rows


def _criterion_alignment(
    criterion: dict, analyst: int, reference: int, items: list[int], marks: dict
) -> float | None:
    key = criterion["key"]
    pairs = [
        (marks[(analyst, i)].get(key), marks[(reference, i)].get(key))
        for i in items
        if (analyst, i) in marks and (reference, i) in marks
    ]
    pairs = [(a, r) for a, r in pairs if a is not None and r is not None]
    if not pairs:
        return None
    span = _range(criterion)
    return _mean([max(0.0, 1 - abs(a - r) / span) for a, r in pairs])


def _range(criterion: dict[str, Any]) -> float:
    if criterion["scale"] == "one_to_five":
        return 4.0
    if criterion["scale"] == "points":
        return float(criterion["max_points"])
    return 1.0


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


# --- what each person may see ------------------------------------------------------------


def sessions(*, client_ids: Sequence[int], status: str = "") -> QuerySet[CalibrationSession]:
    found = CalibrationSession.objects.filter(client_id__in=list(client_ids)).select_related(
        "engagement", "scorecard_version__scorecard", "reference_analyst"
    )
    return found.filter(status=status) if status else found


def access_session(*, client_ids: Sequence[int], session_id: int) -> CalibrationSession:
    found = sessions(client_ids=client_ids).filter(pk=session_id).first()
    if found is None:
        raise NotFound("Calibration session not found.")
    return found


def visible_scores(*, session: CalibrationSession, user: User) -> list[CalibrationScore]:
    """Blind while open: an analyst sees only their own scores, anyone else none; once
    closed, everyone who may open the session sees every score."""
    found = CalibrationScore.objects.filter(session=session).select_related("analyst")
    if session.status == CalibrationSession.Status.OPEN:
        found = found.filter(analyst_id=user.pk)
    return list(found)


def progress(*, session: CalibrationSession) -> dict[int, int]:
    """How many items each analyst has scored (counts only, never the marks)."""
    counts = dict.fromkeys(session.analyst_ids, 0)
    for analyst_id in CalibrationScore.objects.filter(session=session).values_list(
        "analyst_id", flat=True
    ):
        counts[analyst_id] = counts.get(analyst_id, 0) + 1
    return counts


def _audit(action: str, actor: User | None, session: CalibrationSession, payload: dict) -> None:
    record(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        client=session.client_id,
        object_type="quality_calibration_session",
        object_id=session.pk,
        payload={"engagement_id": session.engagement_id, **payload},
    )
