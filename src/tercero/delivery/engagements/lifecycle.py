"""Engagement status moves (the statement-of-work life cycle). Pure data."""

DRAFT, SCOPING, PROPOSED, TRANSITION, LIVE, ENDED = (
    "draft",
    "scoping",
    "proposed",
    "transition",
    "live",
    "ended",
)
STATUSES = (DRAFT, SCOPING, PROPOSED, TRANSITION, LIVE, ENDED)

ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    DRAFT: (SCOPING, ENDED),
    SCOPING: (PROPOSED, DRAFT, ENDED),
    PROPOSED: (TRANSITION, SCOPING, ENDED),
    TRANSITION: (LIVE, ENDED),
    LIVE: (ENDED,),
    ENDED: (),
}


def allowed_moves(status: str) -> tuple[str, ...]:
    return ALLOWED_MOVES[status]
