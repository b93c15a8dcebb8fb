"""Dialling and the agent's screen in the API, and the phone system's call events.

- POST /outbound/campaigns/{id}/dial: the caller's next lead is called (progressive or
  predictive: the dialler picks; 200 with the attempt, or with `attempt_id` null and the
  leads held on the way when nobody may be called now).
- POST /outbound/leads/{id}/dial: preview dialling, the agent has seen the lead.
- GET /outbound/attempts/{id}: the agent's screen data (lead masked but for the first
  name, history, merged script, dispositions with hotkeys).
- POST /outbound/attempts/{id}/disposition: end the call with a disposition, the script's
  answers, a sale's value, a callback time in the lead's own time.
- POST /outbound/cti/{line}/events: call events from the phone system (signed; see
  cti_in.py). No session: the signature says who is calling.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema

from tercero.platform.api.caller import caller_of
from tercero.platform.api.errors import ErrorOut
from tercero.platform.api.inputs import read_json
from tercero.platform.errors import InvalidInput, PermissionDenied
from tercero.services.outbound import (
    agent_screen,
    cti_in,
    dialler,
    dispositions,
    selectors,
)

router = Router(tags=["outbound"])
DIAL = "outbound:dial"
MANAGE = "outbound:manage"


class DialOut(Schema):
    attempt_id: int | None
    lead_id: int | None
    call_ref: str
    held: list[dict]


class AttemptOut(Schema):
    id: int
    lead_id: int
    campaign_id: int
    agent_id: int | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str
    disposition: str
    talk_seconds: int
    wrap_seconds: int
    answers: dict


class ScreenOut(Schema):
    attempt: AttemptOut
    lead: dict
    history: list[AttemptOut]
    questions: list[dict]
    dispositions: list[dict]
    verify_url: str


class DispositionIn(Schema):
    disposition: str = Field(max_length=40)
    answers: dict = Field(default_factory=dict)
    value: str = Field(default="", max_length=20, description="a sale's value, e.g. 129.00")
    currency: str = Field(default="", max_length=3)
    callback_at: str = Field(default="", max_length=40, description="the lead's local time")
    callback_for: Literal["me", "anyone"] = "me"
    wrap_seconds: int = Field(default=0, ge=0, le=86400)


class EventOut(Schema):
    attempt_id: int
    outcome: str


def dial_out(dial: dialler.Dial) -> dict:
    attempt = dial.attempt
    return {
        "attempt_id": attempt.pk if attempt else None,
        "lead_id": attempt.lead_id if attempt else None,
        "call_ref": attempt.call_ref if attempt else "",
        "held": [{"lead_id": lead_id, "rule": rule} for lead_id, rule in dial.held],
    }


def attempt_out(attempt) -> dict:
    return {name: getattr(attempt, name) for name in AttemptOut.model_fields}


@router.post("/outbound/campaigns/{campaign_id}/dial", response=DialOut)
def dial_next(request, campaign_id: int):
    caller = caller_of(request)
    campaign = selectors.access_campaign(client_ids=caller.client_ids, campaign_id=campaign_id)
    caller.require(DIAL)
    return dial_out(
        dialler.dial_next(actor=caller.user, campaign=campaign, agent_id=caller.user.pk)
    )


@router.post("/outbound/leads/{lead_id}/dial", response=DialOut)
def dial_lead(request, lead_id: int):
    caller = caller_of(request)
    lead = selectors.access_lead(client_ids=caller.client_ids, lead_id=lead_id)
    caller.require(DIAL)
    return dial_out(dialler.dial_lead(actor=caller.user, lead=lead, agent_id=caller.user.pk))


def _own_attempt(request, attempt_id: int):
    caller = caller_of(request)
    attempt = agent_screen.access_attempt(
        client_ids=caller.client_ids, attempt_id=attempt_id, user=caller.user
    )
    caller.require(DIAL)
    if attempt.agent_id not in (None, caller.user.pk) and MANAGE not in caller.permissions:
        raise PermissionDenied("This is another agent's call.")
    return caller, attempt


@router.get("/outbound/attempts/{attempt_id}", response=ScreenOut)
def screen(request, attempt_id: int):
    caller, attempt = _own_attempt(request, attempt_id)
    data = agent_screen.screen(actor=caller.user, attempt=attempt)
    data["attempt"] = attempt_out(attempt)
    data["history"] = [attempt_out(a) for a in data["history"]]
    data["lead"]["local_time"] = data["lead"]["local_time"].isoformat()
    return data


@router.post("/outbound/attempts/{attempt_id}/disposition", response=AttemptOut)
def dispose(request, attempt_id: int, body: DispositionIn):
    """A sale needs `value` and `currency`; a callback needs `callback_at` (refused
    outside the calling window in the lead's zones); "do not call" blocks the number in
    every campaign of the client at once."""
    caller, attempt = _own_attempt(request, attempt_id)
    answers = agent_screen.clean_answers(attempt.campaign, body.answers)
    done = dispositions.dispose(
        actor=caller.user,
        attempt=attempt,
        key=body.disposition,
        answers=answers,
        value_minor=dispositions.minor_units(body.value) if body.value else 0,
        currency=body.currency,
        callback_local=agent_screen.local_callback(body.callback_at) if body.callback_at else None,
        callback_for_anyone=body.callback_for == "anyone",
        wrap_seconds=body.wrap_seconds,
    )
    return attempt_out(done)


@router.post("/outbound/cti/{line}/events", response={200: EventOut, 401: ErrorOut}, auth=None)
def cti_event(request, line: str):
    """A call event from the phone system, signed with the line's secret in
    `Tercero-Signature` (docs/outbound.md). Unsigned or stale: 401; replayed: 409."""
    found = cti_in.check(line[:40], request.headers.get("Tercero-Signature", ""), request.body)
    event = read_json(request.body)
    if not isinstance(event, dict):
        raise InvalidInput("The body is a JSON object.", fields={"body": "not an object"})
    attempt = cti_in.receive(line=found, event=event)
    return {"attempt_id": attempt.pk, "outcome": attempt.outcome}
