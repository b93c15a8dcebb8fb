"""An engagement's web channels (contact form, hosted chat, embeddable widget) set up
without Django admin: checked against the engagement, audited; switched off rather than
deleted, as the chats and tickets that came through one keep pointing at it."""

import re
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from tercero.delivery.work import selectors as work_selectors
from tercero.platform.errors import Conflict, InvalidInput
from tercero.services.care.models import WebChannel
from tercero.services.care.services.setup_base import (
    audit,
    changed_names,
    lines_of,
    refuse_unknown,
)

CHANNEL_FIELDS = (
    "key",
    "queue_id",
    "title",
    "greeting",
    "allowed_origins",
    "has_chat",
    "has_form",
    "is_active",
    "brand_name",
    "brand_colour",
    "new_chats_per_minute",
)
MAX_ORIGINS = 20
MAX_CHATS_PER_MINUTE = 10_000
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


def origin_problem(origin: str) -> str | None:
    """Why `origin` is not a web origin (`https://shop.example` or with a port), or None."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - reading it checks the port is a number
    except ValueError:
        return f"{origin} is not an address"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{origin} is not https://host"
    if parts.path or parts.query or parts.fragment or parts.username:
        return f"{origin} has more than scheme, host and port"
    return None


def _origins(raw: Any, problems: dict[str, str]) -> list[str]:
    origins = [origin.lower().rstrip("/") for origin in lines_of(raw, commas=True)]
    origins = list(dict.fromkeys(origins))
    if len(origins) > MAX_ORIGINS:
        problems["allowed_origins"] = f"at most {MAX_ORIGINS} origins"
    for origin in origins:
        problem = origin_problem(origin)
        if problem:
            problems["allowed_origins"] = (
                f"one origin a line, like https://shop.example ({problem})"
            )
            break
    return origins


def _queue_problem(engagement, queue_id: Any) -> str | None:
    queue = (
        work_selectors.queues(client_ids=[engagement.client_id], engagement_id=engagement.pk)
        .filter(pk=queue_id if isinstance(queue_id, int) else 0)
        .first()
    )
    if queue is None:
        return "a queue of this engagement"
    if "care.ticket" not in queue.work_types:
        return "a queue that takes customer tickets (care.ticket)"
    return None


def _text(fields: dict[str, Any], name: str, limit: int, problems: dict[str, str]) -> str:
    text = " ".join(str(fields.get(name) or "").split())
    if len(text) > limit:
        problems[name] = f"at most {limit} characters"
    return text


def _cleaned(engagement, fields: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    key = str(fields.get("key") or "").strip().lower()
    if not _KEY.match(key):
        problems["key"] = "2 to 40 lower-case letters, digits or hyphens, starting with one"
    queue_problem = _queue_problem(engagement, fields.get("queue_id"))
    if queue_problem:
        problems["queue_id"] = queue_problem
    title = _text(fields, "title", 100, problems)
    if not title:
        problems["title"] = "a title of at most 100 characters"
    colour = str(fields.get("brand_colour") or "#1f5fa8").strip().lower()
    if not _COLOUR.match(colour):
        problems["brand_colour"] = "a colour written #rrggbb, like #1f5fa8"
    rate = fields.get("new_chats_per_minute", 300)
    if not isinstance(rate, int) or not 1 <= rate <= MAX_CHATS_PER_MINUTE:
        problems["new_chats_per_minute"] = f"a whole number from 1 to {MAX_CHATS_PER_MINUTE}"
    cleaned = {
        "key": key,
        "queue_id": fields.get("queue_id"),
        "title": title,
        "greeting": _text(fields, "greeting", 300, problems),
        "allowed_origins": _origins(fields.get("allowed_origins"), problems),
        "has_chat": bool(fields.get("has_chat", True)),
        "has_form": bool(fields.get("has_form", True)),
        "is_active": bool(fields.get("is_active", True)),
        "brand_name": _text(fields, "brand_name", 100, problems),
        "brand_colour": colour,
        "new_chats_per_minute": rate,
    }
    if not (cleaned["has_chat"] or cleaned["has_form"]):
        problems["has_chat"] = "a chat, a contact form or both"
    if problems:
        raise InvalidInput("Please check the web channel.", fields=problems)
    return cleaned


def create_web_channel(*, actor, engagement, **fields) -> WebChannel:
    """A new web channel of the engagement; its chats and messages become customer
    tickets in the queue given."""
    refuse_unknown(fields, CHANNEL_FIELDS)
    cleaned = _cleaned(engagement, fields)
    try:
        with transaction.atomic():
            channel = WebChannel.objects.create(
                client_id=engagement.client_id, engagement=engagement, **cleaned
            )
            audit("care.web_channel.created", actor, channel, fields=sorted(cleaned))
    except IntegrityError:
        raise _key_taken() from None
    return channel


def update_web_channel(*, actor, channel: WebChannel, **changes) -> WebChannel:
    """Change the fields given; `is_active=False` switches the channel off (its public
    pages answer 404 from then on)."""
    refuse_unknown(changes, CHANNEL_FIELDS)
    current = {name: getattr(channel, name) for name in CHANNEL_FIELDS}
    cleaned = _cleaned(channel.engagement, {**current, **changes})
    try:
        with transaction.atomic():
            WebChannel.objects.filter(pk=channel.pk).update(**cleaned)
            audit(
                "care.web_channel.changed", actor, channel, fields=changed_names(current, cleaned)
            )
    except IntegrityError:
        raise _key_taken() from None
    channel.refresh_from_db()
    return channel


def _key_taken() -> Conflict:
    return Conflict("Another web channel has this key.", fields={"key": "taken"})
