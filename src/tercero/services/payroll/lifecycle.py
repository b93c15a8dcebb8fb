"""The pay run's and the HR change's life cycles: which action moves each from which
status to which, and the sentence that refuses any other move. Pure data, like the work
engine's `lifecycle`: `runs` and `hr_events` call `expect` before they change anything,
and pages and the API offer the actions `offered` lists.

    draft --calculate--> calculating --(last chunk)--> calculated --submit--> submitted
    submitted --approve--> approved --finalise--> finalised
    submitted --send_back--> calculated          draft | calculated --cancel--> cancelled
    draft | calculated --import_inputs--> draft  (the results no longer hold)

    not applied | undone --apply--> applied --verify--> verified (the item may resolve)
    applied --undo--> undone
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from tercero.platform.errors import Conflict

DRAFT = "draft"
CALCULATING = "calculating"
CALCULATED = "calculated"
SUBMITTED = "submitted"
APPROVED = "approved"
FINALISED = "finalised"
CANCELLED = "cancelled"
RUN_STATUSES = (DRAFT, CALCULATING, CALCULATED, SUBMITTED, APPROVED, FINALISED, CANCELLED)
EDITABLE = frozenset({DRAFT, CALCULATED})
ENDED = frozenset({FINALISED, CANCELLED})  # nothing in the run changes again

NOT_APPLIED = ""  # no application yet: the HR change has no row
APPLIED = "applied"
VERIFIED = "verified"
UNDONE = "undone"
HR_STATUSES = (APPLIED, VERIFIED, UNDONE)


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str
    refusal: str  # the sentence refusing it; "{status}" is the status in words
    code: str = "illegal_transition"
    offered: bool = True  # a button on the page and an action of the API
    # statuses refused with another sentence and code than `refusal`
    refusals: Mapping[str, tuple[str, str]] = field(default_factory=dict)


RUN: dict[str, Move] = {
    "import_inputs": Move(EDITABLE, DRAFT, "The run is {status}.", "locked", offered=False),
    "calculate": Move(EDITABLE | {CALCULATING}, CALCULATING, "The run is {status}.", "locked"),
    "complete": Move(
        frozenset({CALCULATING}),
        CALCULATED,
        "A run that is {status} is not calculating.",
        offered=False,
    ),
    "submit": Move(
        frozenset({CALCULATED}), SUBMITTED, "A run that is {status} cannot be submitted."
    ),
    "approve": Move(frozenset({SUBMITTED}), APPROVED, "A run that is {status} cannot be approved."),
    "send_back": Move(
        frozenset({SUBMITTED}), CALCULATED, "A run that is {status} cannot be sent back."
    ),
    "finalise": Move(
        frozenset({APPROVED}), FINALISED, "A run that is {status} cannot be finalised."
    ),
    "cancel": Move(
        EDITABLE, CANCELLED, "Only a draft or calculated run can be cancelled.", "locked"
    ),
}

_NOT_APPLIED = ("The change is not applied.", "not_applied")
_VERIFIED = ("The change is verified; correct it with a new change.", "verified")
HR_CHANGE: dict[str, Move] = {
    "apply": Move(
        frozenset({NOT_APPLIED, UNDONE}), APPLIED, "This change is already applied.", "applied"
    ),
    "verify": Move(frozenset({APPLIED}), VERIFIED, *_NOT_APPLIED, refusals={VERIFIED: _VERIFIED}),
    "undo": Move(frozenset({APPLIED}), UNDONE, *_NOT_APPLIED, refusals={VERIFIED: _VERIFIED}),
    # the work item's `resolve`: the change stays verified, the item is done
    "resolve": Move(
        frozenset({VERIFIED}),
        VERIFIED,
        "The change is not applied to the HR records yet.",
        "not_applied",
        offered=False,
        refusals={
            APPLIED: (
                "The change is applied but not verified by a second person yet.",
                "not_verified",
            )
        },
    ),
}


def offered(moves: dict[str, Move], status: str) -> list[str]:
    """The actions people may take from `status` (pages and the API show these)."""
    return [name for name, move in moves.items() if move.offered and status in move.sources]


def allows(moves: dict[str, Move], action: str, status: str) -> bool:
    return status in moves[action].sources


def refusal(moves: dict[str, Move], action: str, status: str, words: str) -> tuple[str, str]:
    """The sentence and code refusing `action` from `status` ("" and "" when it is
    legal); `words` is the status as people read it."""
    move = moves[action]
    if allows(moves, action, status):
        return "", ""
    sentence, code = move.refusals.get(status, (move.refusal, move.code))
    return sentence.format(status=words), code


def expect(moves: dict[str, Move], action: str, status: str, words: str) -> str:
    """Refuse `action` (409, with the actions open from `status`) unless the table allows
    it from `status`; returns the status it leads to."""
    sentence, code = refusal(moves, action, status, words)
    if sentence:
        raise Conflict(sentence, code=code, fields={"allowed": offered(moves, status)})
    return moves[action].target
