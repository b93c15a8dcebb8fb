"""Quality API: calibration sessions. Analysts score blind; the figures come on close."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.governance.quality import calibration, selectors
from tercero.governance.quality.api_lots import require_quality_staff
from tercero.governance.quality.models import CalibrationSession
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor

EVALUATE, MANAGE = "quality:evaluate", "quality:manage"
ID = Field(ge=1, le=2**62)

router = Router(tags=["quality"])


class SessionIn(Schema):
    scorecard_version_id: int = ID
    name: str = Field(min_length=1, max_length=120)
    source_item_ids: list[int] = Field(min_length=1, max_length=calibration.MAX_ITEMS)
    analyst_ids: list[int] = Field(min_length=2, max_length=calibration.MAX_ANALYSTS)
    reference_analyst_id: int = ID


class ScoresIn(Schema):
    source_item_id: int = ID
    scores: dict[str, float | None]


class CloseIn(Schema):
    version: int = Field(ge=1)


class SessionFilters(Schema):
    status: str = Field(default="", pattern=r"^(open|closed)?$")


class ScoreOut(Schema):
    analyst_id: int
    source_item_id: int
    scores: dict[str, Any]
    submitted_at: datetime


class SessionOut(Schema):
    id: int
    engagement_id: int
    scorecard_version_id: int
    name: str
    source_item_ids: list[int]
    analyst_ids: list[int]
    reference_analyst_id: int | None
    status: str
    created_at: datetime
    closed_at: datetime | None
    version: int


class SessionDetail(SessionOut):
    progress: dict[str, int]
    scores: list[ScoreOut]
    results: dict[str, Any] | None


def _detail(session: CalibrationSession, user: Any) -> dict[str, Any]:
    out = {name: getattr(session, name) for name in SessionOut.model_fields}
    return {
        **out,
        "progress": {str(k): v for k, v in calibration.progress(session=session).items()},
        "scores": calibration.visible_scores(session=session, user=user),
        "results": session.results,
    }


@router.get("/quality/calibration-sessions", response=list[SessionOut])
@paginate_by_cursor
def list_sessions(request: HttpRequest, filters: Query[SessionFilters]):
    """The calibration sessions of the caller's clients, newest first."""
    caller = caller_of(request)
    require_quality_staff(caller)
    return calibration.sessions(client_ids=caller.client_ids, status=filters.status)


@router.post("/quality/calibration-sessions", response={201: SessionDetail})
def create_session(request: HttpRequest, body: SessionIn) -> Status[dict[str, Any]]:
    """A session: these items of the scorecard version's engagement, these analysts (two
    or more, granted to the client, who may evaluate), one of them the reference."""
    caller = caller_of(request)
    version = selectors.access_version(
        client_ids=caller.client_ids, version_id=body.scorecard_version_id
    )
    caller.require(MANAGE)
    made = calibration.create_session(
        actor=caller.user,
        scorecard_version=version,
        **body.dict(exclude={"scorecard_version_id"}),
    )
    return Status(201, _detail(made, caller.user))


@router.get("/quality/calibration-sessions/{session_id}", response=SessionDetail)
def get_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """The session: while open, each analyst sees only their own scores and everyone the
    number each has given; once closed, every score and the agreement figures."""
    caller = caller_of(request)
    found = calibration.access_session(client_ids=caller.client_ids, session_id=session_id)
    require_quality_staff(caller)
    return _detail(found, caller.user)


@router.post("/quality/calibration-sessions/{session_id}/scores", response={201: ScoreOut})
def submit_scores(request: HttpRequest, session_id: int, body: ScoresIn) -> Status[Any]:
    """The caller's blind scores of one item (given again, they replace the earlier ones
    until the session closes)."""
    caller = caller_of(request)
    found = calibration.access_session(client_ids=caller.client_ids, session_id=session_id)
    require_quality_staff(caller)
    given = calibration.submit_scores(
        actor=caller.user, session=found, source_item_id=body.source_item_id, scores=body.scores
    )
    return Status(201, given)


@router.post("/quality/calibration-sessions/{session_id}/close", response=SessionDetail)
def close_session(request: HttpRequest, session_id: int, body: CloseIn) -> dict[str, Any]:
    """Close the session: alpha, kappa, percent agreement and each analyst's alignment
    with the reference are computed and kept; the scores become visible."""
    caller = caller_of(request)
    found = calibration.access_session(client_ids=caller.client_ids, session_id=session_id)
    caller.require(MANAGE)
    closed = calibration.close_session(actor=caller.user, session=found, version=body.version)
    return _detail(closed, caller.user)
