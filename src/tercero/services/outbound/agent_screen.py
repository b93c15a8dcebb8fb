"""What the agent sees during and after a call: the lead (personal fields masked), its
attempt history, the campaign's script with merge fields filled in and branching
questions, the dispositions with their hotkeys, and where to verify the customer.

Merge fields in the script's texts: {first_name}, {postal_code}, {campaign}, and any
custom lead field by key ({plan}). The first name is the one personal field the agent
needs to say; it is opened for the agent on their own call and the opening is audited
(`outbound.screen.opened`). The number stays masked: the phone system dials it.

Branching: each question may say, per answer, which question comes next (`next`:
{"yes": "budget", "no": "end", "*": "..."}); without a rule the next in order follows.
Answers are kept only along the path the call took, so a changed answer drops those of
the branch no longer taken; an answer to an unknown question, or not one of a choice
question's choices, is refused naming the question.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.services.outbound import callbacks
from tercero.services.outbound.models import CallAttempt, Lead

MERGE = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
HISTORY = 20


def merge(text: str, values: dict[str, str]) -> str:
    return MERGE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def merge_values(lead: Lead) -> dict[str, str]:
    name = crypto.open_sealed(lead.name) if lead.name else ""
    values = {key: str(value) for key, value in (lead.fields or {}).items()}
    values.update(
        first_name=name.split()[0] if name.split() else "",
        postal_code=lead.postal_code,
        campaign=lead.campaign.name,
    )
    return values


def questions(campaign) -> list[dict]:
    return [q for q in (campaign.script or {}).get("questions", []) if isinstance(q, dict)]


def path(campaign, answers: dict) -> list[dict]:
    """The questions the call walks through with `answers`, in order."""
    found = questions(campaign)
    by_key = {q["key"]: q for q in found}
    walked: list[dict] = []
    current = found[0] if found else None
    while current is not None and current not in walked:
        walked.append(current)
        answer = answers.get(current["key"])
        if answer is None or answer == "":
            break
        rules = current.get("next") or {}
        target = rules.get(str(answer), rules.get("*"))
        if target == "end":
            break
        if target:
            current = by_key.get(target)
        else:
            index = found.index(current) + 1
            current = found[index] if index < len(found) else None
    return walked


def clean_answers(campaign, answers: dict) -> dict:
    if not isinstance(answers, dict):
        raise InvalidInput("Answers are given per question.", fields={"answers": "an object"})
    known = {q["key"]: q for q in questions(campaign)}
    for key in answers:
        if key not in known:
            raise InvalidInput("There is no such question.", fields={f"answers.{key}": "unknown"})
    walked = path(campaign, answers)
    kept = {}
    for question in walked:
        value = answers.get(question["key"])
        if value is None or value == "":
            continue
        value = str(value)[:1000]
        choices = question.get("choices")
        if choices and value not in [str(c) for c in choices]:
            raise InvalidInput(
                f"{question['text'][:80]}: choose one of {', '.join(map(str, choices))}.",
                fields={f"answers.{question['key']}": "not one of the choices"},
            )
        kept[question["key"]] = value
    return kept  # answers of a branch not taken are dropped


def screen(*, actor, attempt: CallAttempt, answers: dict | None = None) -> dict:
    """Everything the agent's screen shows for `attempt` (audited: the name is opened)."""
    lead = attempt.lead
    campaign = attempt.campaign
    values = merge_values(lead)
    answers = answers if answers is not None else dict(attempt.answers or {})
    walked = path(campaign, answers)
    zone = callbacks.lead_zone(lead)
    record(
        action="outbound.screen.opened",
        actor=actor,
        client=attempt.client_id,
        object_type="call_attempt",
        object_id=attempt.pk,
        payload={"lead_id": lead.pk, "fields": ["first_name"]},
    )
    history = CallAttempt.objects.filter(lead=lead).exclude(pk=attempt.pk).order_by("-started_at")
    return {
        "attempt": attempt,
        "lead": {
            "id": lead.pk,
            "first_name": values["first_name"],
            "name": crypto.masked(lead.name) if lead.name else "",
            "phone": crypto.masked(lead.phone),
            "postal_code": lead.postal_code,
            "zone": zone,
            "local_time": timezone.now().astimezone(ZoneInfo(zone)),
            "attempts": lead.attempts,
            "fields": lead.fields or {},
        },
        "history": list(history[:HISTORY]),
        "questions": [
            {
                "key": q["key"],
                "text": merge(q["text"], values),
                "choices": [str(c) for c in q.get("choices") or []],
                "answer": answers.get(q["key"], ""),
            }
            for q in walked
        ],
        "dispositions": [
            {
                "key": d["key"],
                "label": d.get("label") or d["key"],
                "hotkey": d.get("hotkey", ""),
                "outcome": d.get("outcome", ""),
            }
            for d in campaign.dispositions or []
        ],
        "verify_url": reverse("contact:desk"),
        "wrap_started_at": attempt.ended_at,
    }


def local_callback(text: str) -> datetime:
    """A callback time as typed (`2027-03-01T15:30`), the lead's wall-clock time."""
    try:
        return datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(
            "The callback time is a date and time (e.g. 2027-03-01 15:30).",
            fields={"callback_at": "not a time"},
        ) from None


def access_attempt(*, client_ids: list[int], attempt_id: int, user) -> CallAttempt:
    """The attempt, if it is one of the caller's clients' and the caller's own call (or
    the caller manages outbound); otherwise 404 -- another client's ids never leak."""
    from tercero.platform.errors import NotFound

    found = (
        CallAttempt.objects.filter(client_id__in=client_ids, pk=attempt_id)
        .select_related("lead", "campaign", "lead__campaign")
        .first()
        if 0 < attempt_id < 2**62
        else None
    )
    if found is None:
        raise NotFound("Call not found.")
    return found
