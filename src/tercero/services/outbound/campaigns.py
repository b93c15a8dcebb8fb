"""Campaigns: create, change (version-checked), activate, pause and close.

Every field is checked before anything is written: dispositions have unique keys and
hotkeys and a known outcome, the rule pack is one `compliance.load` knows (an unknown
pack is 422), recycling rules name dispositions of the campaign, custom lead fields have
unique keys and a known kind. A campaign becomes active only with a queue and at least
one ready lead list.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.versioning import update_versioned
from tercero.services.outbound import compliance
from tercero.services.outbound.models import Campaign, LeadList

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement

OUTCOMES = frozenset(
    {
        "sale",
        "appointment",
        "no_sale",
        "callback",
        "not_interested",
        "wrong_number",
        "do_not_call",
        "no_answer",
        "busy",
        "machine",
    }
)
FIELD_KINDS = frozenset({"text", "number", "date", "choice"})
EDITABLE = (
    "name",
    "goal",
    "mode",
    "pack",
    "queue",
    "script",
    "dispositions",
    "lead_fields",
    "recycling",
    "abandon_cap_percent",
    "caller_id",
)
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

DEFAULT_DISPOSITIONS = [
    {"key": "sale", "label": "Sale", "hotkey": "1", "outcome": "sale"},
    {"key": "callback", "label": "Call back", "hotkey": "2", "outcome": "callback"},
    {
        "key": "not_interested",
        "label": "Not interested",
        "hotkey": "3",
        "outcome": "not_interested",
    },
    {"key": "no_answer", "label": "No answer", "hotkey": "4", "outcome": "no_answer"},
    {"key": "wrong_number", "label": "Wrong number", "hotkey": "5", "outcome": "wrong_number"},
    {"key": "do_not_call", "label": "Do not call", "hotkey": "9", "outcome": "do_not_call"},
]
DEFAULT_RECYCLING = {
    "no_answer": {"after_minutes": 240, "max_attempts": 5},
    "callback": {"after_minutes": 1440, "max_attempts": 3},
}


def clean(fields: dict[str, Any], *, engagement_id: int, client_id: int) -> dict[str, Any]:
    """The fields checked and put in stored form; InvalidInput naming each bad one."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        try:
            stored = "queue_id" if name == "queue" else name
            out[stored] = _CLEANERS[name](value, engagement_id, client_id)
        except InvalidInput as error:
            errors[name] = str(error)
        except KeyError:
            if name != "_dispositions":
                errors[name] = "cannot be set"
    if "recycling" in out:
        keys = {d["key"] for d in out.get("dispositions") or fields.get("_dispositions") or []}
        unknown = sorted(set(out["recycling"]) - keys) if keys else []
        if unknown:
            errors["recycling"] = f"no such disposition: {', '.join(unknown)}"
    if errors:
        raise InvalidInput("Please check the highlighted fields.", fields=errors)
    return out


def _name(value, *_):
    text = str(value or "").strip()
    if not text or len(text) > 120:
        raise InvalidInput("give a name of 1 to 120 characters")
    return text


def _choice(choices):
    def check(value, *_):
        if not isinstance(value, str) or value not in choices:
            raise InvalidInput(f"one of {', '.join(sorted(choices))}")
        return value

    return check


def _pack(value, *_):
    try:
        compliance.load(str(value))
    except compliance.PackError as error:
        raise InvalidInput(str(error)) from None
    return str(value)


def _queue(value, engagement_id, client_id):
    from tercero.delivery.work import selectors as work_selectors

    if value in (None, ""):
        return None
    try:
        queue_id = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("a queue id") from None
    if not 0 < queue_id < 2**62 or not (
        work_selectors.queues(client_ids=[client_id], engagement_id=engagement_id)
        .filter(pk=queue_id)
        .exists()
    ):
        raise InvalidInput("no such queue in this campaign's engagement")
    return queue_id


def _script(value, *_):
    if not isinstance(value, dict):
        raise InvalidInput("an object with a list of questions")
    questions = value.get("questions", [])
    if not isinstance(questions, list) or len(questions) > 100:
        raise InvalidInput("questions: a list of at most 100")
    keys = [q.get("key") for q in questions if isinstance(q, dict)]
    if len(keys) != len(questions) or not all(isinstance(key, str) and key for key in keys):
        raise InvalidInput("each question needs a key")
    if len(set(keys)) != len(keys):
        raise InvalidInput("each question needs its own key")
    for question in questions:
        if not isinstance(question.get("text"), str) or not question["text"].strip():
            raise InvalidInput(f"question {question['key']!r} has no text")
        branches = question.get("next") or {}
        if not isinstance(branches, dict):
            raise InvalidInput(f"question {question['key']!r}: next maps answers to questions")
        for target in branches.values():
            if target not in keys and target != "end":
                raise InvalidInput(f"question {question['key']!r} leads to unknown {target!r}")
    return value


def _dispositions(value, *_):
    if not isinstance(value, list) or not value:
        raise InvalidInput("a list of at least one disposition")
    keys, hotkeys, out = set(), set(), []
    for row in value:
        if not isinstance(row, dict):
            raise InvalidInput("each disposition is an object")
        key, hotkey = str(row.get("key", "")), str(row.get("hotkey", ""))
        if not KEY.match(key):
            raise InvalidInput(f"{key!r} is not a key (lower-case letters, digits, _)")
        if key in keys:
            raise InvalidInput(f"the key {key!r} is used twice")
        if hotkey and (len(hotkey) != 1 or hotkey in hotkeys):
            raise InvalidInput(f"the hotkey {hotkey!r} is used twice or is not one key")
        if str(row.get("outcome")) not in OUTCOMES:
            raise InvalidInput(f"{key}: the outcome is one of {', '.join(sorted(OUTCOMES))}")
        label = str(row.get("label") or "").strip()
        if not label:
            raise InvalidInput(f"{key}: give a label")
        keys.add(key)
        hotkeys.add(hotkey)
        out.append({"key": key, "label": label[:80], "hotkey": hotkey, "outcome": row["outcome"]})
    return out


def _lead_fields(value, *_):
    if not isinstance(value, list):
        raise InvalidInput("a list of field definitions")
    keys, out = set(), []
    for row in value:
        if not isinstance(row, dict):
            raise InvalidInput("each field is an object")
        key = str(row.get("key", ""))
        if not KEY.match(key) or key in keys or key in ("phone", "name", "postal_code"):
            raise InvalidInput(f"{key!r} is not a free, valid field key")
        kind = str(row.get("kind", "text"))
        if kind not in FIELD_KINDS:
            raise InvalidInput(f"{key}: the kind is one of {', '.join(sorted(FIELD_KINDS))}")
        given = row.get("choices") or []
        if not isinstance(given, list):
            raise InvalidInput(f"{key}: the choices are a list")
        choices = [str(c)[:80] for c in given[:100]] if kind == "choice" else []
        if kind == "choice" and not choices:
            raise InvalidInput(f"{key}: a choice field lists its choices")
        keys.add(key)
        out.append(
            {
                "key": key,
                "label": str(row.get("label") or key)[:80],
                "kind": kind,
                "required": bool(row.get("required", False)),
                "choices": choices,
            }
        )
    return out


def _recycling(value, *_):
    if not isinstance(value, dict):
        raise InvalidInput("an object: disposition -> {after_minutes, max_attempts}")
    out = {}
    for key, rule in value.items():
        if not isinstance(rule, dict):
            raise InvalidInput(f"{key}: after_minutes and max_attempts")
        try:
            after, most = int(rule["after_minutes"]), int(rule["max_attempts"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(f"{key}: after_minutes and max_attempts, whole numbers") from None
        if not (1 <= after <= 60 * 24 * 90 and 1 <= most <= 50):
            raise InvalidInput(f"{key}: 1 minute to 90 days, 1 to 50 attempts")
        out[str(key)] = {"after_minutes": after, "max_attempts": most}
    return out


def _percent(value, *_):
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput("a percentage, e.g. 3") from None
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
        raise InvalidInput("between 0 and 100")
    return percent.quantize(Decimal("0.01"))


def _caller_id(value, *_):
    text = str(value or "").strip()
    if text and not E164.match(text):
        raise InvalidInput("a number in international form, e.g. +12125550100")
    return text


_CLEANERS = {
    "name": _name,
    "goal": _choice(set(Campaign.Goal.values)),
    "mode": _choice(set(Campaign.Mode.values)),
    "pack": _pack,
    "queue": _queue,
    "script": _script,
    "dispositions": _dispositions,
    "lead_fields": _lead_fields,
    "recycling": _recycling,
    "abandon_cap_percent": _percent,
    "caller_id": _caller_id,
}


def create_campaign(*, actor, engagement: "Engagement", fields: dict[str, Any]) -> Campaign:
    """A draft campaign of `engagement`; default dispositions and recycling when none given."""
    fields = {"dispositions": DEFAULT_DISPOSITIONS, "recycling": DEFAULT_RECYCLING, **fields}
    for required in ("name", "pack"):
        if not fields.get(required):
            raise InvalidInput(
                "Please check the highlighted fields.", fields={required: "required"}
            )
    data = clean(fields, engagement_id=engagement.pk, client_id=engagement.client_id)
    campaign = Campaign(
        client_id=engagement.client_id, engagement=engagement, created_by=actor, **data
    )
    try:
        with transaction.atomic():
            campaign.save()
            _audit(campaign, "outbound.campaign.created", actor, {"fields": sorted(data)})
    except IntegrityError:
        raise Conflict("A campaign with this name exists.", fields={"name": "taken"}) from None
    return campaign


def update_campaign(*, actor, campaign: Campaign, version: int, changes: dict) -> Campaign:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput("These fields cannot be changed.", fields=dict.fromkeys(unknown, "?"))
    data = clean(
        {**changes, "_dispositions": campaign.dispositions} if "recycling" in changes else changes,
        engagement_id=campaign.engagement_id,
        client_id=campaign.client_id,
    )
    data.pop("_dispositions", None)
    with transaction.atomic():
        update_versioned(
            Campaign,
            pk=campaign.pk,
            version=version,
            changes=data,
            what="campaign",
            taken=("name", "A campaign with this name exists."),
        )
        _audit(campaign, "outbound.campaign.changed", actor, {"fields": sorted(data)})
    campaign.refresh_from_db()
    return campaign


def set_status(*, actor, campaign: Campaign, version: int, status: str) -> Campaign:
    """Activate (needs a queue and a ready list), pause, or close a campaign."""
    if status not in Campaign.Status.values or status == Campaign.Status.DRAFT:
        raise InvalidInput("Unknown status.", fields={"status": "active, paused or closed"})
    if campaign.status == Campaign.Status.CLOSED:
        raise Conflict("The campaign is closed.", code="closed")
    if status == Campaign.Status.ACTIVE:
        missing = {}
        if campaign.queue_id is None:
            missing["queue"] = "choose the queue whose agents dial it"
        if not LeadList.objects.filter(campaign=campaign, status=LeadList.Status.READY).exists():
            missing["lists"] = "load a lead list and let it be scrubbed"
        if missing:
            raise Conflict("The campaign cannot start yet.", code="not_ready", fields=missing)
    with transaction.atomic():
        update_versioned(
            Campaign, pk=campaign.pk, version=version, changes={"status": status}, what="campaign"
        )
        _audit(campaign, f"outbound.campaign.{status}", actor, {"from": campaign.status})
    campaign.refresh_from_db()
    return campaign


def _audit(campaign: Campaign, action: str, actor, payload: dict) -> None:
    record(
        action=action,
        actor=actor,
        client=campaign.client_id,
        object_type="campaign",
        object_id=campaign.pk,
        payload=payload,
    )
