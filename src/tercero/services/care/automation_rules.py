"""What an automation rule may say, pure Python (no database): its trigger, its
conditions on a ticket's fields and content, its actions; checking a rule as a person
wrote it, matching it against a ticket, and telling it in words.

A rule as stored: `trigger` (a key of TRIGGERS), `conditions` (a list of
`{"field", "operator", "value"}`, all of which must hold), `actions` (a list of
`{"action", "value"}`, run in order) and, for the time trigger `waiting`, the business
days a ticket must have waited on the customer. Text conditions take a list of words and
hold when any of them appears (case and accents as written are ignored by `casefold`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tercero.platform.errors import InvalidInput

TRIGGERS = {
    "created": "a ticket is created",
    "updated": "a person changes a ticket",
    "customer_replied": "the customer writes",
    "sla_near": "an SLA clock is near its breach",
    "waiting": "a ticket has waited on the customer",
}
TIME_TRIGGERS = frozenset({"waiting"})

# the outbox events that fire each event trigger (`updated` only when a person made them)
EVENT_KINDS = {
    "created": frozenset({"item.created"}),
    "updated": frozenset(
        {
            "item.updated",
            "item.payload_changed",
            "item.transferred",
            "item.escalated",
            "item.waiting",
            "item.resumed",
            "item.resolved",
            "item.reopened",
        }
    ),
    "customer_replied": frozenset({"care.customer.replied"}),
    "sla_near": frozenset({"sla.at_risk"}),
}
BY_PEOPLE = frozenset({"updated"})

CHANNELS = {"email": "e-mail", "web_form": "web form", "chat": "chat", "phone": "phone"}
PRIORITIES = {"1": "P1 (highest)", "2": "P2", "3": "P3", "4": "P4"}

# field -> (words, kind): "text" takes contains / does_not_contain and a list of words;
# the others take is / is_not and one value
FIELDS = {
    "subject": ("the subject", "text"),
    "body": ("the customer's message", "text"),
    "channel": ("the channel", "channel"),
    "priority": ("the priority", "priority"),
    "tag": ("the tags", "tag"),
    "mailbox": ("the mailbox it came in through", "mailbox"),
    "queue": ("the queue", "queue"),
}
OPERATORS = {
    "text": {"contains": "contains", "does_not_contain": "does not contain"},
    "tag": {"is": "include", "is_not": "do not include"},
}
CHOICE_OPERATORS = {"is": "is", "is_not": "is not"}

# action -> (words, what its value is: "" none, "queue", "priority", "tag", "macro",
# "person", "text")
ACTIONS = {
    "move_to_queue": ("move it to the queue", "queue"),
    "set_priority": ("set the priority to", "priority"),
    "add_tag": ("add the tag", "tag"),
    "apply_macro": ("apply the macro", "macro"),
    "notify": ("notify", "person"),
    "acknowledge": ("send the mailbox's acknowledgement", ""),
    "remind": ("remind the customer", "text"),
    "close": ("close it", ""),
}
# actions that make sense only on one trigger
ONLY_ON = {"acknowledge": "created", "remind": "waiting", "close": "waiting"}
MAX_CONDITIONS = 10
MAX_ACTIONS = 10
MAX_WAIT_DAYS = 60
MAX_TEXT = 2000


@dataclass(frozen=True)
class Options:
    """What the engagement offers a rule to name: {id: name} of its queues, macros,
    mailboxes and the people who may be notified."""

    queues: Mapping[int, str] = field(default_factory=dict)
    macros: Mapping[int, str] = field(default_factory=dict)
    mailboxes: Mapping[int, str] = field(default_factory=dict)
    people: Mapping[int, str] = field(default_factory=dict)

    def named(self, kind: str) -> Mapping[int, str]:
        return {
            "queue": self.queues,
            "macro": self.macros,
            "mailbox": self.mailboxes,
            "person": self.people,
        }[kind]


@dataclass(frozen=True)
class Facts:
    """What the conditions read about one ticket."""

    subject: str
    body: str
    channel: str
    priority: int
    tags: frozenset[str]
    mailbox_id: int | None
    queue_id: int


@dataclass(frozen=True)
class Rule:
    """A rule as checked: ready to store, match and tell."""

    trigger: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    waited_business_days: int | None


def clean(
    *,
    trigger: str,
    conditions: list[Any],
    actions: list[Any],
    waited_business_days: Any,
    options: Options,
) -> Rule:
    """The rule in its stored form, or InvalidInput naming each problem by its place
    (`conditions.0.value`, `actions.1.action`)."""
    problems: dict[str, str] = {}
    if trigger not in TRIGGERS:
        problems["trigger"] = "one of " + ", ".join(TRIGGERS)
    days = _days(trigger, waited_business_days, problems)
    kept_conditions = _list(conditions, "conditions", MAX_CONDITIONS, problems)
    kept_actions = _list(actions, "actions", MAX_ACTIONS, problems)
    if not kept_actions and "actions" not in problems:
        problems["actions"] = "at least one action"
    cleaned_conditions = [
        _condition(i, raw, options, problems) for i, raw in enumerate(kept_conditions)
    ]
    cleaned_actions = [
        _action(i, raw, trigger, options, problems) for i, raw in enumerate(kept_actions)
    ]
    if problems:
        raise InvalidInput("Please check the rule.", fields=problems)
    return Rule(trigger, cleaned_conditions, cleaned_actions, days)


def _days(trigger: str, raw: Any, problems: dict[str, str]) -> int | None:
    if trigger not in TIME_TRIGGERS:
        return None
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_WAIT_DAYS:
        problems["waited_business_days"] = f"a whole number of business days, 1 to {MAX_WAIT_DAYS}"
    return days


def _list(raw: Any, name: str, limit: int, problems: dict[str, str]) -> list[Any]:
    if not isinstance(raw, list):
        problems[name] = "a list"
        return []
    if len(raw) > limit:
        problems[name] = f"at most {limit}"
        return []
    return raw


def _condition(i: int, raw: Any, options: Options, problems: dict[str, str]) -> dict[str, Any]:
    where = f"conditions.{i}"
    raw = raw if isinstance(raw, dict) else {}
    name = raw.get("field")
    if name not in FIELDS:
        problems[f"{where}.field"] = "one of " + ", ".join(FIELDS)
        return {}
    kind = FIELDS[name][1]
    operators = OPERATORS.get(kind, CHOICE_OPERATORS)
    operator = raw.get("operator")
    if operator not in operators:
        problems[f"{where}.operator"] = "one of " + ", ".join(operators)
    value = _value(kind, raw.get("value"), options, f"{where}.value", problems)
    return {"field": name, "operator": operator, "value": value}


def _action(
    i: int, raw: Any, trigger: str, options: Options, problems: dict[str, str]
) -> dict[str, Any]:
    where = f"actions.{i}"
    raw = raw if isinstance(raw, dict) else {}
    name = raw.get("action")
    if name not in ACTIONS:
        problems[f"{where}.action"] = "one of " + ", ".join(ACTIONS)
        return {}
    if name in ONLY_ON and ONLY_ON[name] != trigger:
        problems[f"{where}.action"] = f"only when {TRIGGERS[ONLY_ON[name]]}"
    if name not in ONLY_ON and trigger in TIME_TRIGGERS and name != "add_tag":
        problems[f"{where}.action"] = "a waiting rule reminds, closes or adds a tag"
    kind = ACTIONS[name][1]
    value = _value(kind, raw.get("value"), options, f"{where}.value", problems) if kind else ""
    return {"action": name, "value": value}


def _value(kind: str, raw: Any, options: Options, where: str, problems: dict[str, str]) -> Any:
    """The value a condition or action of `kind` stores."""
    if kind == "text":
        if where.startswith("conditions"):
            return _words(raw, where, problems)
        body = str(raw or "").strip()
        if not body or len(body) > MAX_TEXT:
            problems[where] = f"the text to send, at most {MAX_TEXT} characters"
        return body
    text = " ".join(str(raw if raw is not None else "").split())
    if kind in ("channel", "priority"):
        allowed = CHANNELS if kind == "channel" else PRIORITIES
        if text not in allowed:
            problems[where] = "one of " + ", ".join(allowed)
        return text
    if kind == "tag":
        if not text or len(text) > 50:
            problems[where] = "a tag of at most 50 characters"
        return text.lower()
    chosen = int(text) if text.isdigit() else 0
    if chosen not in options.named(kind):
        problems[where] = f"a {kind} of this engagement"
    return chosen


def _words(raw: Any, where: str, problems: dict[str, str]) -> list[str]:
    """Words to look for: a list, or one string separated by commas."""
    given = raw if isinstance(raw, list) else str(raw or "").split(",")
    words = [" ".join(str(w).split()) for w in given if str(w).strip()]
    if not words or len(words) > 20 or any(len(w) > 100 for w in words):
        problems[where] = "one to 20 words or phrases, separated by commas"
    return words[:20]


def matches(conditions: list[dict[str, Any]], facts: Facts) -> bool:
    """Every condition holds for the ticket."""
    return all(_holds(condition, facts) for condition in conditions)


def _holds(condition: dict[str, Any], facts: Facts) -> bool:
    name, operator, value = condition["field"], condition["operator"], condition["value"]
    if FIELDS[name][1] == "text":
        text = (facts.subject if name == "subject" else facts.body).casefold()
        found = any(word.casefold() in text for word in value)
        return found if operator == "contains" else not found
    actual = {
        "channel": facts.channel,
        "priority": str(facts.priority),
        "mailbox": facts.mailbox_id,
        "queue": facts.queue_id,
    }
    found = value in facts.tags if name == "tag" else actual[name] == value
    return found if operator == "is" else not found


def summary(rule: Rule, options: Options) -> str:
    """The rule in one sentence: "When a ticket is created and the subject contains
    "refund": move it to the queue Billing, then add the tag refund." """
    if rule.trigger in TIME_TRIGGERS:
        days = rule.waited_business_days or 0
        when = f"When {TRIGGERS[rule.trigger]} for {days} business day{'s' if days != 1 else ''}"
    else:
        when = f"When {TRIGGERS[rule.trigger]}"
    said = [_said_condition(c, options) for c in rule.conditions]
    if said:
        when += " and " + " and ".join(said)
    done = [_said_action(a, options) for a in rule.actions]
    return f"{when}: {', then '.join(done)}."


def _said_condition(condition: dict[str, Any], options: Options) -> str:
    words, kind = FIELDS[condition["field"]]
    operator = OPERATORS.get(kind, CHOICE_OPERATORS)[condition["operator"]]
    value = condition["value"]
    if kind == "text":
        shown = " or ".join(f'"{w}"' for w in value)
    else:
        shown = _said_value(kind, value, options)
    return f"{words} {operator} {shown}"


def _said_action(action: dict[str, Any], options: Options) -> str:
    words, kind = ACTIONS[action["action"]]
    if not kind:
        return words
    if kind == "text":
        return f'{words} ("{_short(action["value"])}")'
    return f"{words} {_said_value(kind, action['value'], options)}"


def _said_value(kind: str, value: Any, options: Options) -> str:
    if kind == "channel":
        return CHANNELS.get(value, value)
    if kind == "priority":
        return PRIORITIES.get(value, value).split(" ")[0]
    if kind == "tag":
        return str(value)
    return options.named(kind).get(value, "(removed)")


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
